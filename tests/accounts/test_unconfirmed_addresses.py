"""An address one account added and never confirmed may be a typo for someone else's: it
does not keep its owner from signing up, receives no password reset for that account, and
cannot be confirmed once another account signed up with it."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts import confirm_password, link_from_last_mail

pytestmark = pytest.mark.django_db


def _add_unconfirmed_address(client, user, password, email: str) -> None:
    confirm_password(client, user, password)
    client.post(reverse("account_email"), {"action_add": "", "email": email})
    assert EmailAddress.objects.filter(user=user, email=email, verified=False).exists()
    client.logout()


def test_an_address_another_account_added_but_never_confirmed_does_not_block_sign_up(
        client, bob, password):
    # Added some time ago (the confirmation mail's per-address limit has passed).
    EmailAddress.objects.create(user=bob, email="carol@example.com", verified=False,
                                primary=False)
    response = client.post(reverse("account_signup"), {
        "email": "carol@example.com", "password1": password, "password2": password})
    assert response.status_code == 302
    carol = User.objects.get(email="carol@example.com")
    # Signed up with by its owner, the address is no longer pending on the other account.
    assert not EmailAddress.objects.filter(user=bob, email="carol@example.com").exists()
    assert "confirm" in mail.outbox[-1].body.lower()
    client.get(link_from_last_mail())
    client.post(link_from_last_mail())
    assert EmailAddress.objects.get(user=carol, email="carol@example.com").verified


def test_an_address_one_account_confirms_is_no_longer_pending_on_another(client, alice, bob,
                                                                         password):
    """Both added it; the one whose mailbox it is confirms it: the other's copy goes."""
    _add_unconfirmed_address(client, bob, password, "shared@example.com")
    _add_unconfirmed_address(client, alice, password, "shared@example.com")
    mine = EmailAddress.objects.get(user=alice, email="shared@example.com")
    from allauth.account.models import EmailConfirmationHMAC

    client.force_login(alice)
    response = client.post(reverse("account_confirm_email",
                                   args=[EmailConfirmationHMAC(mine).key]))
    assert response["Location"] == reverse("account_email")  # back to the addresses
    assert EmailAddress.objects.get(pk=mine.pk).verified
    assert not EmailAddress.objects.filter(user=bob, email="shared@example.com").exists()


def test_an_address_another_account_signed_up_with_cannot_be_confirmed_elsewhere(client,
                                                                                 bob):
    """A copy pending on another account from before the sign-up (or added since) is not
    confirmed: it would take the address, and the account, from the one who signed up."""
    from allauth.account.models import EmailConfirmationHMAC

    carol = User.objects.create_user(email="carol@example.com", password="x" * 20)
    EmailAddress.objects.filter(user=carol).update(verified=False)  # not confirmed yet
    pending = EmailAddress.objects.create(user=bob, email=carol.email, verified=False,
                                          primary=False)
    client.force_login(bob)
    url = reverse("account_confirm_email", args=[EmailConfirmationHMAC(pending).key])
    client.post(url)
    assert not EmailAddress.objects.get(pk=pending.pk).verified
    assert EmailAddress.objects.filter(user=carol, email=carol.email, primary=True).exists()
    assert User.objects.get(pk=bob.pk).email == "bob@example.com"


def test_a_password_reset_goes_only_to_an_account_that_confirmed_the_address(client, bob,
                                                                             password):
    """An address someone added to their account by mistake and never confirmed belongs to
    someone else: a reset link sent there would hand that person the account."""
    _add_unconfirmed_address(client, bob, password, "carol@example.com")
    mail.outbox.clear()
    assert client.post(reverse("account_reset_password"),
                       {"email": "carol@example.com"}).status_code == 302
    assert all("password/reset/key" not in m.body for m in mail.outbox)
    # The account's own sign-up address still gets one, confirmed or not.
    assert client.post(reverse("account_reset_password"), {"email": bob.email}).status_code == 302
    assert "password/reset/key" in mail.outbox[-1].body
