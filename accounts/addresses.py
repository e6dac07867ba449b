"""The sign-in addresses of accounts an administrator made or changed.

allauth keeps every address an account signs in with, and whether it was verified, in its own
table (EmailAddress); its sign-up and email pages write there. An account made by
`createsuperuser`, `create_user` or the admin, or whose address the admin changed, would have
its address only on the user row: allauth would let another account add and confirm it, and
making it primary there would break the unique address of the user table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.db import transaction

if TYPE_CHECKING:
    from accounts.models import User


def vouch_for_address(user: User) -> None:
    """Make `user.email` the account's primary address, verified (an administrator vouches
    for it). The primary address it had before no longer signs in."""
    with transaction.atomic():
        EmailAddress.objects.filter(user=user, primary=True).exclude(email=user.email).delete()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )


def verified_elsewhere(email: str, *, user: User | None) -> bool:
    """Whether another account than `user` signs in with `email` (verified there)."""
    others = EmailAddress.objects.filter(email__iexact=email, verified=True)
    if user is not None and user.pk:
        others = others.exclude(user=user)
    return others.exists()
