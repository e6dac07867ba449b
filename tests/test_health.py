"""/healthz: 200 while the database answers, 503 (never 500) while it does not, then 200 again."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_check_says_ok_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_check_needs_no_login_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


def _broken_cursor(*args, **kwargs):
    raise OperationalError("connection refused")


def test_health_check_answers_503_while_the_database_is_down_and_recovers(client):
    from django.db import connection

    with mock.patch.object(connection, "cursor", _broken_cursor):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}

    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_health_check_reports_a_broken_shared_cache(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with mock.patch("config.health.cache") as cache:
        cache.set.side_effect = ConnectionError("redis is down")
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}

    with mock.patch("config.health.cache") as cache:
        cache.get.return_value = "1"
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_check_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405
