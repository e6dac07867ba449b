"""Every URL of the site × every kind of visitor: who gets in, who is refused, and nobody
sees what is not theirs.

The table below names every URL pattern (a new URL fails `test_every_url_is_in_the_table`
until it is added) with the request to make and the expected outcome per role:
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

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse

from tests.authorization import (
    ADMIN_CASES,
    ADMIN_SITE_URLS,
    ALLOW,
    FORBIDDEN,
    LOGIN,
    NOT_FOUND,
    ROLES,
    SECRETS,
    assert_no_leak,
    client_for,
    is_admin_extra,
    outcome,
    url_names,
)

# --- The table ---------------------------------------------------------------------------------


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


PUBLIC = everyone(ALLOW)
SIGNED_IN = {**everyone(ALLOW), "anonymous": LOGIN}
LEARNER_ONLY = {**everyone(NOT_FOUND), "anonymous": LOGIN, "learner": ALLOW}
TEAM_READ = {**everyone(NOT_FOUND), "anonymous": LOGIN, "owner": ALLOW, "curator": ALLOW,
             "member": ALLOW}
TEAM_CURATE = {**TEAM_READ, "member": FORBIDDEN}
TEAM_OWNER = {**TEAM_READ, "curator": FORBIDDEN, "member": FORBIDDEN}
STAFF_PREVIEW = {**everyone(NOT_FOUND), "editor": ALLOW, "superuser": ALLOW}


@dataclass
class Case:
    name: str
    method: str
    kwargs: Any  # callable(world) -> dict
    expect: dict[str, str]
    data: Any = None  # callable(world) -> dict
    label: str = ""
    reveals: set[str] = field(default_factory=set)  # secrets this page may show anyone

    @property
    def id(self) -> str:
        return f"{self.name}{'[' + self.label + ']' if self.label else ''}"


def _k(**values):
    return lambda w: {k: (v(w) if callable(v) else v) for k, v in values.items()}


def _o(name, attr="pk"):
    return lambda w: getattr(w.o[name], attr)


CASES = [
    Case("home", "GET", _k(), PUBLIC),
    Case("healthz", "GET", _k(), PUBLIC),
    Case("set_language", "POST", _k(), PUBLIC, data=lambda w: {"language": "en", "next": "/"}),
    # allauth
    Case("account_login", "GET", _k(), PUBLIC),
    Case("account_logout", "GET", _k(), PUBLIC),
    Case("account_inactive", "GET", _k(), PUBLIC),
    Case("account_signup", "GET", _k(), PUBLIC),
    Case("account_reauthenticate", "GET", _k(), SIGNED_IN),
    Case("account_request_reauthentication_code", "GET", _k(), SIGNED_IN),
    Case("account_confirm_reauthentication_code", "GET", _k(), SIGNED_IN),
    Case("account_email", "GET", _k(), SIGNED_IN),
    Case("account_email_verification_sent", "GET", _k(), PUBLIC),
    Case("account_change_password", "GET", _k(), SIGNED_IN),
    Case("account_set_password", "GET", _k(), SIGNED_IN),
    Case("account_reset_password", "GET", _k(), PUBLIC),
    Case("account_confirm_login_code", "GET", _k(), SIGNED_IN),
    Case("account_confirm_email", "GET", _k(key="no-such-key"), PUBLIC),
    Case("account_reset_password_from_key_done", "GET", _k(), PUBLIC),
    Case("account_reset_password_from_key", "GET", _k(uidb36="1", key="bad-key"), PUBLIC),
    Case("account_reset_password_done", "GET", _k(), PUBLIC),
    # Accounts and teams
    Case("accounts:settings", "GET", _k(), SIGNED_IN),
    Case("accounts:team-list", "GET", _k(), SIGNED_IN),
    Case("accounts:team", "GET", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-dashboard", "GET", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-leave", "POST", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-edit", "GET", _k(pk=_o("team")), TEAM_OWNER),
    Case("accounts:team-delete", "GET", _k(pk=_o("team")), TEAM_OWNER),
    Case("accounts:team-member-role", "POST",
         _k(pk=_o("team"), membership_pk=_o("member_ms")), TEAM_OWNER,
         data=lambda w: {"role": "curator"}),
    Case("accounts:team-member-remove", "POST",
         _k(pk=_o("team"), membership_pk=_o("member_ms")), TEAM_OWNER),
    Case("accounts:team-invitation-create", "POST", _k(pk=_o("team")), TEAM_OWNER,
         data=lambda w: {"role": "member", "days": "7", "max_uses": "1"}),
    Case("accounts:team-invitation-revoke", "POST",
         _k(pk=_o("team"), invitation_pk=_o("invitation")), TEAM_OWNER),
    # The link is the invitation: whoever holds it may see which team it is for.
    Case("accounts:invite-accept", "GET", _k(token=_o("invitation", "token")), SIGNED_IN,
         reveals={"team"}),
    # The bank
    Case("qa:bank-list", "GET", _k(), PUBLIC),
    Case("qa:bank", "GET", _k(slug=lambda w: w.o["section"].bank.slug), PUBLIC),
    Case("qa:section", "GET",
         _k(slug=lambda w: w.o["section"].bank.slug, section_key="basics"), PUBLIC),
    Case("qa:search", "GET", _k(), PUBLIC),
    Case("qa:question", "GET", _k(key=_o("q1", "key")), PUBLIC),
    Case("qa:question", "GET", _k(key=_o("draft", "key")), STAFF_PREVIEW, label="draft"),
    Case("qa:question-answer", "GET", _k(key=_o("q1", "key")), PUBLIC),
    Case("qa:question-answer", "GET", _k(key=_o("draft", "key")), STAFF_PREVIEW,
         label="draft"),
    Case("qa:question-change", "GET",
         _k(key=_o("q1", "key"), history_id=_o("change", "history_id")), PUBLIC),
    # Error reports
    Case("qa:report-create", "GET", _k(key=_o("q1", "key")), SIGNED_IN),
    Case("qa:my-reports", "GET", _k(), SIGNED_IN),
    Case("qa:report", "GET", _k(pk=_o("report")), LEARNER_ONLY),
    # Studying
    Case("qa:quiz-start", "POST", _k(), SIGNED_IN, data=lambda w: {"mode": "due"}),
    Case("qa:quiz", "GET", _k(pk=_o("quiz")), LEARNER_ONLY),
    Case("qa:quiz-reveal", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk}),
    Case("qa:quiz-grade", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk, "rating": "3", "token": uuid.uuid4().hex}),
    Case("qa:quiz-answer", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk, "typed_answer": "x"}),
    Case("qa:quiz-finish", "POST", _k(pk=_o("quiz")), LEARNER_ONLY),
    Case("qa:bookmarks", "GET", _k(), SIGNED_IN),
    Case("qa:bookmark-toggle", "POST", _k(question_id=_o("q1")), SIGNED_IN,
         data=lambda w: {"on": "1"}),
    Case("qa:note-save", "POST", _k(question_id=_o("q1")), SIGNED_IN,
         data=lambda w: {"body": "mine"}),
    Case("qa:note-delete", "POST", _k(question_id=_o("q1")), SIGNED_IN),
    Case("qa:mistakes", "GET", _k(), SIGNED_IN),
    # Only the learner has this question among their mistakes; for anyone else it is a 404.
    Case("qa:mistake-clear", "POST", _k(question_id=_o("q1")), LEARNER_ONLY),
    # Study sets: the learner's private set ...
    Case("qa:set-list", "GET", _k(), SIGNED_IN),
    Case("qa:set-create", "GET", _k(), SIGNED_IN),
    Case("qa:set-import", "GET", _k(), SIGNED_IN),
    Case("qa:set-add-from-search", "GET", _k(), SIGNED_IN),
    Case("qa:set-question", "POST", _k(), LEARNER_ONLY,
         data=lambda w: {"set": w.o["private_set"].pk, "question": w.o["q2"].pk}),
    Case("qa:set", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-edit", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-delete", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-add", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-add-section", "POST", _k(pk=_o("private_set")), LEARNER_ONLY,
         data=lambda w: {"section": w.o["section"].pk}),
    Case("qa:set-add-bookmarks", "POST", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-item-move", "POST", _k(pk=_o("private_set"), item_pk=_o("private_item")),
         LEARNER_ONLY, data=lambda w: {"direction": "down"}),
    Case("qa:set-item-remove", "POST",
         _k(pk=_o("private_set"), item_pk=_o("private_item")), LEARNER_ONLY),
    Case("qa:set-item-note", "POST", _k(pk=_o("private_set"), item_pk=_o("private_item")),
         LEARNER_ONLY, data=lambda w: {"note": "n"}),
    Case("qa:set-share", "POST", _k(pk=_o("private_set")), LEARNER_ONLY,
         data=lambda w: {"visibility": "link"}),
    Case("qa:set-copy", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-study", "POST", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-export", "GET", _k(pk=_o("private_set"), fmt="csv"), LEARNER_ONLY),
    # ... a team's set ...
    Case("qa:set", "GET", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-edit", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-delete", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-add", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-item-note", "POST", _k(pk=_o("team_set"), item_pk=_o("team_item")),
         TEAM_CURATE, data=lambda w: {"note": "n"}, label="team"),
    Case("qa:set-item-remove", "POST", _k(pk=_o("team_set"), item_pk=_o("team_item")),
         TEAM_CURATE, label="team"),
    Case("qa:set-study", "POST", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-copy", "GET", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-export", "GET", _k(pk=_o("team_set"), fmt="csv"), TEAM_READ, label="team"),
    # ... and one shared by link.
    Case("qa:set-shared", "GET", _k(token=_o("link_set", "share_token")), PUBLIC),
    Case("qa:set-shared", "GET", _k(token="no-such-token"), everyone(NOT_FOUND),
         label="bad token"),
    Case("qa:set-shared-study", "POST", _k(token=_o("link_set", "share_token")), SIGNED_IN),
    Case("qa:set-shared-copy", "GET", _k(token=_o("link_set", "share_token")), SIGNED_IN),
    Case("qa:bank-export", "GET", _k(slug=lambda w: w.o["section"].bank.slug, fmt="csv"),
         SIGNED_IN),
]

# URL names deliberately left to the admin sweep below or not served in production.
NOT_IN_TABLE = {"bench-ceiling"}


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

