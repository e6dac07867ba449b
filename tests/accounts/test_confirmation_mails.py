"""A confirmation mail that is lost, late or asked for again: the pages say what to do."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.accounts import confirm_password

pytestmark = pytest.mark.django_db


def test_the_confirmation_page_says_how_to_get_a_new_mail(client, password):
    """allauth's page ended on "contact us", and the site names no contact: a lost or expired
    confirmation mail is replaced by logging in again."""
    response = client.post(reverse("account_signup"), {
        "email": "dora@example.com", "password1": password, "password2": password}, follow=True)
    page = response.content.decode()
    assert "contact us" not in page.lower()
    assert f'<a href="{reverse("account_login")}">Log in</a> with your email address' in page
    assert "at most one every 3 minutes" in page
    zh = client.get(reverse("account_email_verification_sent"),
                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "联系我们" not in zh and "3 分钟" in zh
    for url in (reverse("account_reset_password"), reverse("account_reset_password_done")):
        assert "contact us" not in client.get(url).content.decode().lower()


def test_a_confirmation_mail_asked_again_too_soon_says_why_none_came(client, alice, password):
    EmailAddress.objects.create(user=alice, email="work@example.com", verified=False)
    confirm_password(client, alice, password)
    sent = len(mail.outbox)
    first = client.post(reverse("account_email"), {"action_send": "", "email": "work@example.com"},
                        follow=True).content.decode()
    assert len(mail.outbox) == sent + 1 and "less than 3 minutes ago" not in first
    again = client.post(reverse("account_email"), {"action_send": "", "email": "work@example.com"},
                        follow=True).content.decode()
    assert len(mail.outbox) == sent + 1
    assert "A confirmation link was sent to work@example.com less than 3 minutes ago" in again


def test_an_address_someone_else_added_does_not_hold_up_its_owner_s_sign_up(client, alice,
                                                                            password):
    """One confirmation mail per address every 3 minutes: the one sent for the account that
    added the address (a typo, or someone else's) took the owner's sign-up mail with it."""
    confirm_password(client, alice, password)
    client.post(reverse("account_email"), {"action_add": "", "email": "frank@example.com"})
    assert [m.to for m in mail.outbox] == [["frank@example.com"]]
    client.logout()
    client.post(reverse("account_signup"), {
        "email": "frank@example.com", "password1": password, "password2": password})
    assert [m.to for m in mail.outbox] == [["frank@example.com"]] * 2
    assert "/accounts/confirm-email/" in mail.outbox[-1].body


def test_no_link_for_this_account_goes_to_another_account_s_sign_in_address(client, alice,
                                                                             password):
    """It could not be confirmed here (it is the other account's), and it would use up the
    owner's own allowance: an owner who has not confirmed yet would get no new link."""
    from tests.factories import UserFactory

    carol = UserFactory(email="carol@example.com")
    EmailAddress.objects.filter(user=carol).update(verified=False)
    confirm_password(client, alice, password)
    client.post(reverse("account_email"), {"action_add": "", "email": "carol@example.com"})
    assert mail.outbox == []
    client.logout()
    client.post(reverse("account_login"), {"login": "carol@example.com", "password": password})
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]


def test_an_address_added_again_too_soon_says_why_no_mail_came(client, alice, password):
    confirm_password(client, alice, password)
    url = reverse("account_email")
    client.post(url, {"action_add": "", "email": "work@example.com"})
    client.post(url, {"action_remove": "", "email": "work@example.com"})
    sent = len(mail.outbox)
    page = client.post(url, {"action_add": "", "email": "work@example.com"},
                       follow=True).content.decode()
    assert len(mail.outbox) == sent
    assert "A confirmation link was sent to work@example.com less than 3 minutes ago" in page


def test_a_confirmation_link_used_already_leads_to_the_login(client, password):
    from tests.accounts import link_from_last_mail

    client.post(reverse("account_signup"), {
        "email": "dora@example.com", "password1": password, "password2": password})
    link = link_from_last_mail()
    client.post(link)
    client.logout()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This link has been used already, or has expired." in page
    assert f'<a href="{reverse("account_login")}">Log in</a>' in page
    assert reverse("account_email") not in page.split("<main", 1)[1]


def test_adding_an_address_tells_nothing_of_whether_it_has_an_account(client, alice, password):
    """Added twice within the limit, an address with an account and one without say the same
    (no link goes to the one with an account, but it counts as sent)."""
    from tests.factories import UserFactory

    UserFactory(email="taken@example.com")
    confirm_password(client, alice, password)
    url = reverse("account_email")
    said = {}
    for address in ("taken@example.com", "free@example.com"):
        client.post(url, {"action_add": "", "email": address})
        client.post(url, {"action_remove": "", "email": address})
        said[address] = "less than 3 minutes ago" in client.post(
            url, {"action_add": "", "email": address}, follow=True).content.decode()
        again = client.post(url, {"action_send": "", "email": address},
                            follow=True).content.decode()
        said[address] = (said[address], "less than 3 minutes ago" in again)
    assert said["taken@example.com"] == said["free@example.com"] == (True, True)
    sent_to = [m.to for m in mail.outbox]
    assert (sent_to.count(["taken@example.com"]), sent_to.count(["free@example.com"])) == (0, 1)


@pytest.mark.parametrize(("language", "prefix"), [("en", "[Mianshi] "), ("zh-hans", "[面试题] ")])
def test_mail_subjects_name_the_site_in_the_reader_s_language(client, password, language,
                                                               prefix):
    client.post(reverse("account_signup"), {
        "email": "dora@example.com", "password1": password, "password2": password},
        HTTP_ACCEPT_LANGUAGE=language)
    [confirmation] = mail.outbox
    assert confirmation.subject.startswith(prefix)
    assert ("Confirm" in confirmation.subject) == (language == "en")
