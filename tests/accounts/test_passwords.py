"""Passwords: wrong ones and the lockout they lead to, changing one, resetting one by mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts import link_from_last_mail

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-passphrase-77"


def test_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_six_wrong_passwords_lock_the_account_even_for_the_right_one(client, alice, password):
    for _ in range(6):
        response = client.post(
            reverse("account_login"), {"login": alice.email, "password": "wrong-password"}
        )
        assert response.status_code in (200, 429)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": password})
    assert response.status_code in (200, 429)
    assert "Too many failed logins for this account" in response.content.decode()
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_a_locked_account_is_unlocked_by_resetting_its_password(client, alice, password):
    for _ in range(6):
        client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"})
    locked = client.post(reverse("account_login"), {"login": alice.email, "password": password})
    assert "resetting the password unlocks it at once" in locked.content.decode()
    client.post(reverse("account_reset_password"), {"email": alice.email})
    response = client.get(link_from_last_mail(), follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = client.post(reverse("account_login"),
                           {"login": alice.email, "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_lockout_ends_when_the_window_passes(client, alice, password):
    from django.core.cache import cache

    for _ in range(6):
        client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"})
    locked = client.post(reverse("account_login"), {"login": alice.email, "password": password})
    assert "Too many failed logins for this account" in locked.content.decode()
    # The window is kept in the cache; when it expires, the right password works again.
    cache.clear()
    response = client.post(reverse("account_login"), {"login": alice.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == alice


def test_password_change(client, alice, password):
    client.force_login(alice)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_with_wrong_old_password_changes_nothing(client, alice, password):
    client.force_login(alice)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(password)


def test_a_new_password_the_same_as_the_current_one_is_refused(client, alice, password):
    client.force_login(alice)
    mail.outbox.clear()
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": password, "password2": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "That is your current password: choose a new one." in response.content.decode()
    assert mail.outbox == []  # no "your password was changed" for nothing changed


def test_password_reset_by_email(client, alice):
    response = client.post(reverse("account_reset_password"), {"email": alice.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset_url = link_from_last_mail()
    # allauth redirects the key URL to a key-less URL that keeps the key in the session.
    response = client.get(reset_url, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else reset_url
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The page it ends on names the reset and leads on to the login.
    done = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<h1>重置密码</h1>" in done.replace("\n", "").replace("  ", "")
    assert f'href="{reverse("account_login")}"' in done.split("<main", 1)[1]


def test_a_changed_password_is_told_to_the_account_s_address(client, alice, password):
    client.force_login(alice)
    mail.outbox.clear()
    client.post(reverse("account_change_password"), {
        "oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
