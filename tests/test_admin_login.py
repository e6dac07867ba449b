"""The admin login page is rate-limited like the site's login (allauth's login_failed policy)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMITED = "Too many failed logins for this account"


@pytest.fixture
def editor(db):
    return UserFactory(email="editor@example.com", is_staff=True)


def _admin_login(client, email, password):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": reverse("admin:index")},
    )


def test_staff_logs_in_to_the_admin_with_the_right_password(client, editor):
    response = _admin_login(client, editor.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_five_failures_lock_the_account_even_for_the_right_password(client, editor):
    for _ in range(5):
        response = _admin_login(client, editor.email, "wrong-password")
        assert response.status_code == 200
        assert LIMITED not in response.content.decode()

    response = _admin_login(client, editor.email, PASSWORD)
    assert response.status_code == 200
    assert LIMITED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_account(client, editor):
    other = UserFactory(email="other-editor@example.com", is_staff=True)
    for _ in range(5):
        _admin_login(client, editor.email, "wrong-password")
    assert LIMITED in _admin_login(client, editor.email, PASSWORD).content.decode()

    response = _admin_login(client, other.email, PASSWORD)
    assert response.status_code == 302


def test_email_case_does_not_escape_the_lock(client, editor):
    for _ in range(5):
        _admin_login(client, editor.email.upper(), "wrong-password")
    assert LIMITED in _admin_login(client, editor.email, PASSWORD).content.decode()


def test_successful_logins_do_not_use_up_the_allowance(client, editor):
    for _ in range(7):
        assert _admin_login(client, editor.email, PASSWORD).status_code == 302
        client.logout()


def test_admin_failures_count_towards_the_sites_login_limit(client, editor):
    for _ in range(5):
        _admin_login(client, editor.email, "wrong-password")
    response = client.post(
        reverse("account_login"), {"login": editor.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert LIMITED in response.content.decode()


def test_admin_pages_carry_the_site_icon(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page


@pytest.mark.parametrize("host", ["TESTSERVER", "testserver.", "testserver:8000"])
@pytest.mark.parametrize("login_page", ["admin", "site"])
def test_the_host_name_a_request_comes_to_does_not_escape_the_lock(client, editor, host,
                                                                   login_page):
    """The same site under another spelling of its host name counts the same failures."""
    def attempt(password, **extra):
        if login_page == "admin":
            return client.post(reverse("admin:login"), {"username": editor.email,
                               "password": password, "next": reverse("admin:index")}, **extra)
        return client.post(reverse("account_login"), {"login": editor.email,
                                                      "password": password}, **extra)

    for _ in range(5):
        attempt("wrong-password")
    response = attempt(PASSWORD, HTTP_HOST=host)
    assert response.status_code in (200, 429)
    assert LIMITED in response.content.decode()
    assert "_auth_user_id" not in client.session
