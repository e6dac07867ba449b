"""Reversing a route whose one argument is an integer id, fast.

Django's reverse() checks the arguments against each possible pattern of the name, every time
(tens of microseconds); a quiz card carries half a dozen links by id, on every answer. The URL
of such a route is the same text on either side of the id, so it is reversed once per process
(per script prefix and URLconf) with a marker in place of the id, and put together after that.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_MARKER = 918273645546372819  # an id written in no route's fixed text


@lru_cache(maxsize=128)
def _around(viewname: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    url = reverse(viewname, args=[_MARKER], urlconf=urlconf)
    head, marker, tail = url.partition(str(_MARKER))
    if not marker or str(_MARKER) in tail:
        raise ValueError(f"{viewname} is not a route with one integer id: {url}")
    return head, tail


def id_url(viewname: str, pk: int) -> str:
    """reverse(viewname, args=[pk]) for a route whose one argument is an int id (<int:...>)."""
    if type(pk) is not int or pk < 0:  # <int:...> takes digits only; bool is no id
        return reverse(viewname, args=[pk])
    head, tail = _around(viewname, get_script_prefix(), get_urlconf())
    return f"{head}{pk}{tail}"
