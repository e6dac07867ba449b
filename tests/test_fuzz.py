"""No input makes the site answer 500: random form data and query strings, with and without
HTMX, against every page and action of the authorization table, as a user allowed to use it.

Values are drawn to break parsers and databases: huge and negative numbers, NUL characters,
lone surrogates' neighbours, very long text, lists where one value is expected, wrong ids.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.authorization import ALLOW, client_for
from tests.url_table import CASES

FIELDS = [
    "item", "token", "rating", "typed_answer", "mode", "section", "count", "minutes", "on",
    "body", "note", "direction", "visibility", "set", "question", "action", "role", "days",
    "max_uses", "email", "title", "description", "owner", "q", "page", "next", "kind",
    "message", "answer_version", "language", "team", "confirm_name", "add", "reveal",
    "revealed", "login", "password", "name", "display_name", "time_zone", "desired_retention",
    "daily_new_limit", "confirm_email", "grade", "shown", "fmt",
]

WEIRD = st.sampled_from([
    "", "0", "-1", "1", "2", "3", "4", "5", "99999999999999999999", "-2147483649", "1e309",
    "nan", "NaN", "inf", "\x00", "a\x00b", "∞", "１２", "٣", " 3 ", "3.5", "true", "null",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "\u202e", "😀" * 50,
    "x" * 5000, "注意力" * 3000, "https://evil.example.com/", "//evil.example.com", "/\\evil",
    "javascript:alert(1)", "learner", "member", "owner", "link", "private", "team", "due",
    "new", "section", "set", "mock", "remove", "csv", "anki", "up", "down",
])
VALUE = st.one_of(WEIRD, st.text(max_size=300), st.integers().map(str))
FORM = st.dictionaries(st.sampled_from(FIELDS), st.one_of(VALUE, st.lists(VALUE, max_size=3)),
                       max_size=8)


def _allowed_role(case) -> str | None:
    for role in ("learner", "owner", "curator", "member", "editor", "other", "anonymous"):
        if case.expect.get(role) == ALLOW:
            return role
    return None


FUZZ_CASES = [c for c in CASES if _allowed_role(c) and c.name not in {"account_logout"}]


@pytest.mark.django_db
@pytest.mark.parametrize("case", FUZZ_CASES, ids=[c.id for c in FUZZ_CASES])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=FORM, htmx=st.booleans(), upload=st.binary(max_size=2000))
# Always tried, whatever hypothesis draws: a `next` that is not a path, NUL characters (which
# PostgreSQL refuses in text), and an empty form.
@example(form={}, htmx=False, upload=b"")
@example(form={"next": "0"}, htmx=False, upload=b"")
@example(form={k: "\x00" for k in FIELDS[:20]}, htmx=True, upload=b"\x00")
@example(form={k: "\x00" for k in FIELDS[20:]}, htmx=False, upload=b"")
def test_no_input_causes_a_server_error(client, world, case, form, htmx, upload):
    url = reverse(case.name, kwargs=case.kwargs(world))
    c = client_for(client, world, _allowed_role(case))
    c.raise_request_exception = False
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if case.method == "GET":
        response = c.get(url, form, **headers)
    else:
        data = dict(form)
        if case.name == "qa:set-import":
            data["file"] = SimpleUploadedFile("set.csv", upload)
        response = c.post(url, data, **headers)
    assert response.status_code < 500, (case.id, form, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/search/?q=%00", "/search/?q=" + "注" * 5000, "/bank/?page=-1", "/quiz/99999999999999999/",
    "/q/%00/", "/q/" + "a/" * 300, "/s/%ff%fe/", "/sets/1/export/%00/", "/healthz?x=%00",
])
def test_odd_urls_cause_no_server_error(client, world, path):
    client.force_login(world.users["learner"])
    client.raise_request_exception = False
    assert client.get(path).status_code < 500
