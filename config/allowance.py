"""Hourly allowances for actions that cost someone else something (a report in the editors'
queue, a mail to a stranger): a fixed window counted in the shared cache (Redis in production),
so the count holds across worker processes."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def take_slot(*, action: str, who: int, limit: int, window_seconds: int = 3600) -> bool:
    """Count one `action` by `who` against `limit` per window; False once it is used up."""
    window = int(time.time() // window_seconds)
    key = f"allowance:{action}:{who}:{window}"
    cache.add(key, 0, timeout=window_seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 60)
        count = 1
    return count <= limit


def seconds_left(*, window_seconds: int = 3600) -> int:
    """Seconds until the current window ends and every count starts over."""
    return window_seconds - int(time.time()) % window_seconds


def refusal(request: HttpRequest, message: str, *, window_seconds: int = 3600) -> HttpResponse:
    """The answer to a request whose allowance is used up: the site's 429 page with `message`,
    and when to try again."""
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds_left(window_seconds=window_seconds))
    return response
