"""Where a form sends the learner back to."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str = "") -> str:
    """The `next` parameter if it is a path on this site, else `fallback` (a URL or URL name).

    Only local absolute paths are accepted: anything else (another host, `//evil`, a bare word
    that `redirect()` would try to reverse as a view name) falls back.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return resolve_url(fallback) if fallback else ""
