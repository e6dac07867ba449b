"""config.routes.id_url: reverse() for routes with one integer id, put together from a cached
split of the URL."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.base import set_script_prefix
from django.urls.converters import IntConverter

from config.routes import id_url


def _id_routes(resolver=None, namespace=""):
    """Every named route of the project whose only argument is an <int:...>."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if not entry.pattern.converters:
                yield from _id_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = list(entry.pattern.converters.values())
            if len(converters) == 1 and isinstance(converters[0], IntConverter):
                yield f"{namespace}{entry.name}"


ROUTES = sorted(set(_id_routes()))


def test_the_project_has_such_routes():
    assert {"qa:quiz", "qa:quiz-grade", "qa:bookmark-toggle", "qa:note-save"} <= set(ROUTES)


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("pk", [0, 7, 918273645546372819, 2**63 - 1])
def test_same_as_reverse(name, pk):
    assert id_url(name, pk) == reverse(name, args=[pk])


@pytest.mark.parametrize("prefix", ["/", "/mianshi/"])
def test_follows_the_script_prefix(prefix):
    set_script_prefix(prefix)
    try:
        assert id_url("qa:quiz-grade", 12) == reverse("qa:quiz-grade", args=[12])
        assert id_url("qa:quiz-grade", 12).startswith(f"{prefix}quiz/12/")
    finally:
        set_script_prefix("/")


def test_what_is_no_id_goes_to_reverse():
    with pytest.raises(NoReverseMatch):
        id_url("qa:quiz", -1)
    assert id_url("qa:quiz", "12") == reverse("qa:quiz", args=["12"])


def test_a_route_that_takes_no_single_argument_is_refused_as_reverse_refuses_it():
    with pytest.raises(NoReverseMatch):
        id_url("home", 5)
    with pytest.raises(NoReverseMatch):
        id_url("qa:set-item-note", 5)  # two ids
