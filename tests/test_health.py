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


@pytest.mark.django_db(transaction=True)
def test_a_page_answers_503_not_500_while_the_database_is_away_and_recovers(client, alice):
    import psycopg
    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        pytest.skip("takes a PostgreSQL database away for real")
    settings = connection.settings_dict
    name = settings["NAME"]
    admin = psycopg.connect(dbname="postgres", host=settings["HOST"] or None,
                            port=settings["PORT"] or None, user=settings["USER"] or None,
                            password=settings["PASSWORD"] or None, autocommit=True)
    client.force_login(alice)
    assert client.get("/").status_code == 200
    try:
        # New connections refused and the open ones cut, as in an outage.
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        response = client.get("/")
        # The 404 page draws the navigation, which reads the signed-in user.
        missing = client.get("/no-such-page/")
    finally:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.close()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Briefly unavailable" in response.content.decode()
    assert missing.status_code == 503
    # Between requests Django drops a connection that failed (request_finished; the test
    # client leaves that signal out), and the next request reconnects.
    close_old_connections()
    assert client.get("/").status_code == 200


# --- which database errors are an outage (503) and which a bug (500) -----------------------


def _raised(sql: str) -> Exception:
    from django.db import connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint in a test
            cursor.execute(sql)
    except Exception as exc:  # the error Django's database layer raises
        return exc
    raise AssertionError(f"{sql} ran")


def test_a_schema_error_or_a_timeout_is_a_bug_not_an_outage(db):
    from django.db import connection

    from config.middleware import database_away

    assert not database_away(_raised("SELECT no_such_column FROM accounts_user"))
    if connection.vendor == "postgresql":
        timed_out = _raised("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
        assert type(timed_out.__cause__).__name__ == "QueryCanceled"
        assert not database_away(timed_out)


@pytest.mark.parametrize(("sqlstate", "away"), [
    (None, True),  # a connection that failed or broke, the pool timing out
    ("08006", True), ("57P01", True), ("53300", True), ("40001", True), ("40P01", True),
    ("57014", False), ("54000", False), ("53100", False), ("42703", False),
])
def test_psycopg_errors_by_sqlstate(sqlstate, away):
    import psycopg
    from django.db import OperationalError as DjangoOperationalError

    from config.middleware import database_away

    cause = psycopg.errors.lookup(sqlstate)("x") if sqlstate else psycopg.OperationalError("x")
    try:
        raise DjangoOperationalError("x") from cause
    except DjangoOperationalError as exc:
        assert database_away(exc) is away


def test_a_page_answers_503_not_500_while_the_shared_cache_is_away(client, settings, alice,
                                                                    password):
    """Sessions and the login limits live in Redis: with Redis away (here: nothing listens on
    its port) signing in is an outage to wait out, as the health check says, not a bug."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    response = client.post(reverse("account_login"), {"login": alice.email,
                                                      "password": password})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
