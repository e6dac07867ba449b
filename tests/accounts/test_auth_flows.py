"""Sign-up, verification, login, logout, password change and reset through allauth's real views."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts import confirm_password, link_from_last_mail

pytestmark = pytest.mark.django_db


def test_signup_verification_login_logout(client, password):
    response = client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    assert User.objects.filter(email="carol@example.com").exists()
    # Verification is mandatory: the address is unverified until the link is followed.
    assert not EmailAddress.objects.get(email="carol@example.com").verified
    assert len(mail.outbox) == 1
    assert "carol@example.com" in mail.outbox[0].to

    confirm_url = link_from_last_mail()
    page = client.get(confirm_url)
    assert page.status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="carol@example.com").verified

    home = client.get(reverse("home"))
    assert home.context["user"].email == "carol@example.com"

    out = client.post(reverse("account_logout"), follow=True).content.decode()
    assert not client.get(reverse("home")).context["user"].is_authenticated
    assert "You have logged out." in out  # the site's words: log in, log out

    response = client.post(
        reverse("account_login"), {"login": "carol@example.com", "password": password}
    )
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.context["user"].is_authenticated
    assert "Successfully logged in as carol." in home.content.decode()


@pytest.mark.parametrize("language, expected", [
    ("en", "This password is too short. It must contain at least 8 characters."),
    ("zh-hans", "密码太短。至少需要 8 个字符。"),
])
def test_a_short_password_is_refused_in_the_visitors_language(client, language, expected):
    response = client.post(
        reverse("account_signup"),
        {"email": "dan@example.com", "password1": "Zq8!wx", "password2": "Zq8!wx"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not User.objects.filter(email="dan@example.com").exists()


def test_unverified_user_cannot_log_in_until_verified(client, password):
    client.post(
        reverse("account_signup"),
        {"email": "dave@example.com", "password1": password, "password2": password},
    )
    client.post(reverse("account_logout"))
    response = client.post(
        reverse("account_login"), {"login": "dave@example.com", "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_a_new_learner_starts_with_the_sites_default_retention(client, settings, password):
    settings.FSRS_DEFAULT_RETENTION = 0.85
    client.post(reverse("account_signup"),
                {"email": "carol@example.com", "password1": password, "password2": password})
    assert User.objects.get(email="carol@example.com").desired_retention == 0.85


def test_signup_with_a_taken_email_creates_nothing_and_does_not_reveal_the_account(
    client, alice, password
):
    response = client.post(
        reverse("account_signup"),
        {"email": "alice@example.com", "password1": password, "password2": password},
    )
    # Same answer as a fresh sign-up (no account enumeration); the owner is told by email.
    assert response.status_code == 302
    assert User.objects.filter(email="alice@example.com").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "already" in mail.outbox[0].body


def test_allauth_pages_wear_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in html
    assert "css/site.css" in html
    assert 'class="button primary"' in html


def test_the_password_prompt_wears_the_site_layout_in_the_visitors_language(client, alice):
    client.force_login(alice)
    html = client.get(reverse("account_reauthenticate"), HTTP_ACCEPT_LANGUAGE="zh-hans"
                      ).content.decode()
    assert 'class="site-header"' in html and 'name="password"' in html
    assert "确认身份" in html  # allauth's "Confirm Access", in the site's words
    # By the password only: no sign-in code by mail instead.
    assert reverse("account_request_reauthentication_code") not in html


# --- addresses with capitals -------------------------------------------------------------------


def test_an_account_made_with_capitals_in_its_address_signs_in_however_it_is_typed(
    client, password
):
    user = User.objects.create_user("Frank.Lee@Example.COM", password)  # createsuperuser's way
    assert user.email == "frank.lee@example.com"
    for typed in ("Frank.Lee@Example.COM", "frank.lee@example.com"):
        response = client.post(reverse("account_login"), {"login": typed, "password": password})
        assert response.status_code == 302, typed
        client.post(reverse("account_logout"))


def test_signing_up_with_an_address_taken_in_other_capitals_makes_no_second_account(
    client, alice, password
):
    client.post(reverse("account_signup"), {"email": "ALICE@example.com", "password1": password,
                                            "password2": password})
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def add_user_in_the_admin(client, email: str):
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-123"))
    return client.post("/admin/accounts/user/add/", {
        "email": email, "usable_password": "true",
        "password1": "a-fine-passphrase-9", "password2": "a-fine-passphrase-9",
    })


def test_the_admin_refuses_a_new_user_whose_address_differs_only_in_case(client, alice):
    response = add_user_in_the_admin(client, "Alice@Example.com")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_the_migration_lowercases_stored_addresses_unless_two_accounts_clash(db):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    frank = User.objects.create_user("frank@example.com")
    first = User.objects.create_user("twin@example.com")
    second = User.objects.create_user("twin2@example.com")
    User.objects.filter(pk=frank.pk).update(email="Frank@Example.com")
    User.objects.filter(pk=second.pk).update(email="TWIN@example.com")
    migration = importlib.import_module("accounts.migrations.0004_lowercase_emails")
    migration.lowercase_emails(apps, SimpleNamespace(connection=connection))
    assert sorted(User.objects.filter(pk__in=[frank.pk, first.pk, second.pk])
                  .values_list("email", flat=True)) == [
        "TWIN@example.com", "frank@example.com", "twin@example.com"]


def test_too_many_attempts_are_refused_on_a_page_of_the_site_in_the_visitors_language(
    client, alice
):
    for _ in range(10):
        response = client.post(reverse("account_reset_password"), {"email": alice.email},
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    page = response.content.decode()
    assert "尝试次数过多" in page and 'class="site-header"' in page


def test_the_email_page_asks_before_removing_an_address(client, alice):
    client.force_login(alice)
    page = client.get(reverse("account_email")).content.decode()
    assert "account/js/account.js" in page and "data-allauth-onload" in page


def test_the_email_page_shows_each_addresss_status_as_a_pill(client, alice):
    EmailAddress.objects.create(user=alice, email="work@example.com", verified=False)
    client.force_login(alice)
    page = client.get(reverse("account_email")).content.decode()
    assert '<span class="pill ok">' in page and '<span class="pill warn">' in page
    assert re.search(r'<span class="pill">\s*Primary\s*</span>', page)
    # The way back to the rest of the settings.
    assert re.search(r'<nav class="breadcrumbs"[^>]*><a href="/me/settings/">Settings</a>', page)


def test_a_refused_settings_form_does_not_show_its_values_as_saved(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:settings"), {
        "display_name": "Not Saved", "desired_retention": "5", "daily_new_limit": "10"})
    assert response.status_code == 200
    page = response.content.decode()
    nav = page[page.index('class="nav-user'):][:300]
    assert "Alice" in nav and "Not Saved" not in nav
    alice.refresh_from_db()
    assert alice.display_name == "Alice"


# --- accounts an administrator makes ------------------------------------------------------------


def test_an_account_made_by_an_administrator_keeps_its_address_to_itself(
    client, alice, password
):
    eve = User.objects.create_user("eve@example.com", "pw-eve-123456")
    assert list(EmailAddress.objects.filter(user=eve).values_list("email", "verified",
                                                                   "primary")) == [
        ("eve@example.com", True, True)]
    confirm_password(client, alice, password)
    response = client.post(reverse("account_email"),
                           {"action_add": "", "email": "eve@example.com"})
    assert response.status_code in (200, 302)
    assert "reauthenticate" not in response.get("Location", "")
    if mail.outbox:  # allauth may send the confirmation anyway (no enumeration)
        client.post(link_from_last_mail())
    response = client.post(reverse("account_email"),
                           {"action_primary": "", "email": "eve@example.com"})
    assert response.status_code in (200, 302)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not EmailAddress.objects.filter(user=alice, email="eve@example.com",
                                           verified=True).exists()


def change_address_in_the_admin(client, user: User, email: str):
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-123"))
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if value is not None and not isinstance(value, (list, tuple))}
    data.update(email=email, date_joined_0=form["date_joined"].value().strftime("%Y-%m-%d"),
                date_joined_1="00:00:00", desired_retention="0.9", daily_new_limit="10")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_an_address_changed_in_the_admin_signs_in_and_the_old_one_no_longer(client, alice,
                                                                           password):
    change_address_in_the_admin(client, alice, "Alice.New@Example.com")
    client.logout()
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert client.post(reverse("account_login"), {"login": "alice@example.com",
                                                  "password": password}).status_code == 200
    assert client.post(reverse("account_login"), {"login": "alice.new@example.com",
                                                  "password": password}).status_code == 302


def test_the_admin_refuses_an_address_another_account_signs_in_with(client, alice, bob):
    EmailAddress.objects.create(user=bob, email="bob.work@example.com", verified=True)
    response = add_user_in_the_admin(client, "Bob.Work@example.com")
    assert response.status_code == 200
    assert "Another account signs in with this address." in response.content.decode()
    assert not User.objects.filter(email="bob.work@example.com").exists()


def test_the_migration_gives_every_account_its_address(db):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    eve = User.objects.create_user("eve@example.com")
    EmailAddress.objects.filter(user=eve).delete()
    migration = importlib.import_module(
        "accounts.migrations.0005_email_addresses_for_every_account")
    migration.add_missing_addresses(apps, SimpleNamespace(connection=connection))
    assert EmailAddress.objects.filter(user=eve, email="eve@example.com", verified=True,
                                       primary=True).exists()


# --- a session in someone else's hands ----------------------------------------------------------


def test_changing_sign_in_addresses_asks_for_the_password_again(client, alice, password):
    client.force_login(alice)  # a session whose password entry is not on record (or too old)
    response = client.post(reverse("account_email"),
                           {"action_add": "", "email": "thief@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="thief@example.com").exists()
    client.post(response["Location"], {"password": password})
    client.post(reverse("account_email"),
                           {"action_add": "", "email": "second@example.com"})
    assert EmailAddress.objects.filter(user=alice, email="second@example.com").exists()


def test_other_capitals_typed_in_the_admin_do_not_confirm_an_unconfirmed_address(client,
                                                                                  password):
    client.post(reverse("account_signup"), {"email": "claim@victim.test", "password1": password,
                                            "password2": password})
    claimant = User.objects.get(email="claim@victim.test")
    change_address_in_the_admin(client, claimant, "Claim@Victim.test")
    assert not EmailAddress.objects.get(email="claim@victim.test").verified


def test_createsuperuser_refuses_an_address_another_account_signs_in_with(bob):
    EmailAddress.objects.create(user=bob, email="shared@example.com", verified=True)
    with pytest.raises(ValueError, match=r"Another account signs in with shared@example\.com"):
        User.objects.create_superuser("Shared@example.com", "root-password-123")
    assert not User.objects.filter(email="shared@example.com").exists()


def test_an_account_left_with_capitals_by_the_migration_can_still_save_its_settings(client):
    twin = User.objects.create_user("twin2@example.com")
    User.objects.create_user("twin@example.com")
    User.objects.filter(pk=twin.pk).update(email="TWIN@example.com")
    client.force_login(User.objects.get(pk=twin.pk))
    response = client.post(reverse("accounts:settings"), {
        "display_name": "Twin", "desired_retention": "0.9", "daily_new_limit": "10"})
    assert response.status_code == 302
    twin.refresh_from_db()
    assert (twin.email, twin.display_name) == ("TWIN@example.com", "Twin")


def test_mails_greet_with_the_site_s_name_not_the_host(client, alice):
    mail.outbox.clear()
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"},
                HTTP_ACCEPT_LANGUAGE="en")
    body = mail.outbox[-1].body
    assert body.startswith("Hello from Mianshi — interview question study!")
    assert "testserver" in body  # the address of the site, where the link points
