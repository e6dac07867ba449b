"""System checks of how the accounts' protections are deployed."""

from __future__ import annotations

import os

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def login_limits_are_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The login limits (ACCOUNT_RATE_LIMITS) count in the cache: a cache of each process's own
    lets every gunicorn worker count failures apart. One worker (WEB_CONCURRENCY=1, as
    scripts/serve reads it) needs no shared cache."""
    backend = settings.CACHES["default"]["BACKEND"]
    single_worker = os.environ.get("WEB_CONCURRENCY", "").strip() == "1"
    if settings.DEBUG or single_worker or not backend.endswith("LocMemCache"):
        return []
    return [checks.Warning(
        "The cache is each process's own (REDIS_URL is not set): every worker counts failed "
        "logins apart, so the limit of 5 per account is multiplied by the number of workers.",
        hint="Set REDIS_URL, or run a single worker (WEB_CONCURRENCY=1).",
        id="accounts.W001",
    )]


@checks.register(checks.Tags.security, deploy=True)
def mail_has_a_sender(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Sign-up waits for a confirmation mail: a sender at localhost is refused or binned by
    most mail servers on the way."""
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    if settings.DEBUG or not address.lower().endswith("@localhost"):
        return []
    return [checks.Warning(
        f"Mail is sent from {address}: mail servers refuse or bin mail from localhost, and "
        "sign-ups wait for their confirmation mail.",
        hint="Set DEFAULT_FROM_EMAIL to an address of your domain, e.g. "
             "\"面试题 <noreply@mianshi.example.com>\".",
        id="accounts.W002",
    )]
