"""Every URL of the site × every kind of visitor: who gets in, who is refused, and nobody
sees what is not theirs.

The table (tests/url_table.py) names every URL pattern (a new URL fails
`test_every_url_is_in_the_table` until it is added) with the request to make and the expected
outcome per role:
- ALLOW: the request reached the view's own logic (2xx, a redirect that is not to a login
  page, or a 400/409 about the submitted data);
- LOGIN: redirected to the login page;
- NOT_FOUND: 404, the object's existence not revealed;
- FORBIDDEN: 403, for someone who may see the object but not do this to it.
Whatever the outcome, no response may contain a secret the role is not entitled to (every
private object below carries a unique marker in its text).

Admin URLs are covered model by model from the admin site's registry in
test_authorization_admin.py. The world both tables share: tests/authorization.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.authorization import (
    ADMIN_CASES,
    ADMIN_SITE_URLS,
    NOT_FOUND,
    ROLES,
    SECRETS,
    assert_no_leak,
    client_for,
    is_admin_extra,
    outcome,
    unnamed_routes,
    url_names,
)
from tests.url_table import CASES, NOT_IN_TABLE, Case

# --- Running a cell ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(client, world, case: Case, role: str):
    url = reverse(case.name, kwargs=case.kwargs(world))
    c = client_for(client, world, role)
    data = case.data(world) if case.data else {}
    response = c.get(url) if case.method == "GET" else c.post(url, data)
    got = outcome(response)
    assert got == case.expect[role], f"{case.id} as {role}: {response.status_code} " \
        f"{response.get('Location', '')}"
    assert_no_leak(response, role, case.id, also=case.reveals)


# --- Completeness --------------------------------------------------------------------------------


def test_every_url_is_in_the_table():
    covered = {c.name for c in CASES} | {c[0] for c in ADMIN_CASES} | ADMIN_SITE_URLS
    missing = sorted(n for n in url_names() - covered - NOT_IN_TABLE
                     if not is_admin_extra(n))
    assert not missing, f"URLs with no row in the authorization table: {missing}"
    # The admin's own redirects to an object's change page, and static files in development,
    # have no name (the admin's are covered by test_authorization_admin.py).
    unnamed = [r for r in unnamed_routes()
               if not r.startswith(("admin/", "^static/"))]
    assert unnamed == [], "every URL pattern needs a name to have a row in the table"


@pytest.mark.django_db
def test_the_table_can_fail(client, world):
    """A learner's private set, opened by someone else, is a 404 without its title."""
    c = client_for(client, world, "other")
    response = c.get(reverse("qa:set", kwargs={"pk": world.o["private_set"].pk}))
    assert outcome(response) == NOT_FOUND
    # ... and the check would notice a leak:
    with pytest.raises(AssertionError):
        assert_no_leak(type("R", (), {"content": SECRETS["private_set"].encode()})(),
                       "other", "synthetic")

