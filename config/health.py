"""`/healthz`: is this process able to serve? For load balancers and uptime checks.

Answers 200 {"status": "ok"} when the database (and the shared cache, when there is one)
answer, 503 {"status": "unavailable", ...} when not. It never raises: a database outage must
look like an outage to the load balancer, not like a bug. It recovers by itself because a
failed connection is closed here and the next request opens a new one.
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health check: database unavailable: %s", exc)
        # Drop the broken connection (or return it to the pool as bad) so the next request
        # reconnects instead of reusing it.
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):
                connection.close()
        return "unavailable"
    return "ok"


def _check_cache() -> str:
    try:
        cache.set("healthz", "1", timeout=10)
        if cache.get("healthz") != "1":
            return "unavailable"
    except Exception as exc:  # the Redis client raises its own exception types
        logger.warning("health check: cache unavailable: %s", exc)
        return "unavailable"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["cache"] = _check_cache()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks},
        status=200 if healthy else 503,
    )
