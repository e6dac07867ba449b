"""Our own 400/403/404/500/503 pages, in the site's style; the 500 and 503 pages need no
database."""

from __future__ import annotations

import psycopg
import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import OperationalError
from django.test import override_settings
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise BadRequest


def _bug(request):
    raise RuntimeError("a bug")


def _database_down(request):
    refused = psycopg.OperationalError("connection failed: Connection refused")
    raise OperationalError("the database is unreachable") from refused


urlpatterns = [
    path("forbidden/", _forbidden),
    path("bad/", _bad),
    path("boom/", _bug),
    path("db-down/", _database_down),
    *site_urlpatterns,
]


@pytest.mark.django_db
def test_missing_page_gets_the_sites_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="site-header"' in html
    assert "/static/css/site.css" in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_permission_denied_gets_the_403_page(client):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "You are not allowed to do that" in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_bad_request_gets_the_400_page(client):
    response = client.get("/bad/")
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_page_renders_without_the_database(client):
    # No django_db mark: any query made while rendering the 500 page would fail the test.
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "/static/css/site.css" in html
    assert "<script" not in html


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_outage_gets_the_503_page_without_the_database(client):
    response = client.get("/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert "Briefly unavailable" in html and "/static/css/site.css" in html


@pytest.mark.django_db
def test_csrf_failure_explains_that_the_form_expired(client):
    client = client.__class__(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_htmx_action_is_shown_in_its_card_in_development_too(client, settings):
    """django-htmx's DEBUG helper would put a 400's answer in place of the whole page, where
    the site shows it in the card that asked (data-swap-errors): development shows what
    production shows."""
    settings.DEBUG = True
    page = client.get("/").content.decode()
    assert "django_htmx/htmx-2.min.js" in page
    assert "django-htmx.js" not in page
