"""An address confirmed by one account is no longer pending on the others that added it."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.dispatch import receiver


@receiver(email_confirmed)
def drop_pending_elsewhere(sender, email_address: EmailAddress, **kwargs) -> None:
    """Copies other accounts added and never confirmed. (None is another account's sign-up
    address: AccountAdapter.confirm_email refuses to confirm such an address elsewhere.)"""
    EmailAddress.objects.filter(email__iexact=email_address.email, verified=False).exclude(
        user_id=email_address.user_id).delete()
