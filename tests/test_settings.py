"""The settings module reads the environment strictly: bad values stop the process at start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "mianshi.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "DEFAULT_FROM_EMAIL": "面试题 <noreply@mianshi.example.com>",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


_CONTROLLED = {
    "DEBUG", "SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE",
    "WEB_CONCURRENCY",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Start from the test process's environment minus anything that would decide the outcome.
    base = {k: v for k, v in os.environ.items() if k not in _CONTROLLED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("EMAIL_USE_TLS", " ", "EMAIL_USE_TLS is set but empty; set it to true or false, or "
                               "leave it unset for its default (true)."),
        ("DB_POOL_SIZE", "lots", "DB_POOL_SIZE='lots' is not a whole number"),
        ("DATABASE_URL", "nonsense://x", "DATABASE_URL is not a database URL"),
        ("REDIS_URL", "notaurl", "REDIS_URL (scheme '') is not a Redis URL"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose' is not one of: DEBUG, INFO, WARNING"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not one of: plain, json"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not a time zone name"),
        ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT=0 must be at least 1"),
        ("FSRS_DEFAULT_RETENTION", "5", "FSRS_DEFAULT_RETENTION=5.0 must be between 0.7 and 0.99"),
        ("FSRS_DEFAULT_RETENTION", "nan", "FSRS_DEFAULT_RETENTION='nan' is not a number"),
        ("ACCOUNT_EMAIL_VERIFICATION", "always",
         "ACCOUNT_EMAIL_VERIFICATION='always' is not one of: mandatory, optional, none"),
    ],
)
def test_bad_values_fail_at_start_with_a_clear_message(name, value, message):
    env = {name: value}
    if name == "DB_POOL_SIZE":
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/x"
    if name in ("EMAIL_TIMEOUT", "EMAIL_USE_TLS"):
        env["EMAIL_HOST"] = "smtp.example.com"
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"Configuration error: {message}" in result.stderr
    assert "Traceback" not in result.stderr  # the message alone, not buried under a stack


def test_level_and_format_are_read_in_any_capitals():
    result = run_manage("check", env={"LOG_LEVEL": "warning", "LOG_FORMAT": "JSON"})
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_real_secret_key():
    env = {**PRODUCTION_ENV}
    env.pop("SECRET_KEY")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

    result = run_manage("check", env={**env, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_of_login_limits_kept_per_process_without_redis():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "accounts.W001" in result.stderr and "REDIS_URL is not set" in result.stderr
    single = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env={**env, "WEB_CONCURRENCY": "1"})
    assert single.returncode == 0, single.stderr


def test_a_redis_url_of_the_wrong_kind_is_refused_without_showing_its_password():
    result = run_manage("check", env={"REDIS_URL": "redis+sentinel://:S3cret@host:26379/0"})
    assert result.returncode != 0
    assert "not a Redis URL" in result.stderr and "S3cret" not in result.stderr


def test_production_uses_hashed_compressed_static_files():
    result = run_manage(
        "shell", "-c",
        "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])",
        env=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    backend = result.stdout.strip().splitlines()[-1]
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_redis_url_makes_the_cache_shared():
    result = run_manage(
        "shell", "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        env={"REDIS_URL": "redis://127.0.0.1:6379/1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"


def _database_options(**env: str) -> str:
    result = run_manage(
        "shell", "-c",
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        env={"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_postgresql_prepares_repeated_statements_unless_turned_off():
    assert _database_options() == "True 5"
    assert _database_options(DB_PREPARE_THRESHOLD="0") == "True 0"
    assert _database_options(DB_PREPARE_THRESHOLD="-1") == "None None"
    result = run_manage("check", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
                                      "DB_PREPARE_THRESHOLD": "-2"})
    assert result.returncode != 0 and "DB_PREPARE_THRESHOLD" in result.stderr


def test_check_deploy_warns_of_mail_sent_from_localhost():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DEFAULT_FROM_EMAIL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "accounts.W002" in result.stderr and "noreply@localhost" in result.stderr


def test_mail_over_tls_from_the_first_byte_and_hsts_without_subdomains_can_be_chosen():
    code = ("from django.conf import settings as s; print(s.EMAIL_USE_SSL, s.EMAIL_USE_TLS, "
            "s.EMAIL_PORT, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)")
    result = run_manage("shell", "-v", "0", "-c", code, env={
        **PRODUCTION_ENV, "EMAIL_USE_SSL": "true", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"})
    assert result.stdout.split() == ["True", "False", "465", "False", "False"], result.stderr
    both = run_manage("check", env={**PRODUCTION_ENV, "EMAIL_USE_SSL": "true",
                                    "EMAIL_USE_TLS": "true"})
    assert both.returncode != 0 and "set one" in both.stderr
    default = run_manage("shell", "-v", "0", "-c", code, env=PRODUCTION_ENV)
    assert default.stdout.split() == ["False", "True", "587", "True", "True"], default.stderr


def test_a_request_for_another_host_is_a_400_that_logs_no_error():
    """Scanners send any Host: each would otherwise log an ERROR with a traceback."""
    result = run_manage(
        "shell", "-c",
        "from django.test import Client; "
        "print('status', Client().get('/', HTTP_HOST='scanner.invalid').status_code)",
        env=PRODUCTION_ENV,
    )
    assert "status 400" in result.stdout, result.stderr
    assert "scanner.invalid" not in result.stderr and "Traceback" not in result.stderr
