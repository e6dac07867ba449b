"""The authorization table: every URL pattern of the site (but the admin's) with the request
to make and the outcome expected for each role. tests/test_authorization_matrix.py runs it and
tests/test_fuzz.py sends random input to the cells a role may reach."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.authorization import ALLOW, FORBIDDEN, LOGIN, NOT_FOUND, ROLES


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


PUBLIC = everyone(ALLOW)
SIGNED_IN = {**everyone(ALLOW), "anonymous": LOGIN}
LEARNER_ONLY = {**everyone(NOT_FOUND), "anonymous": LOGIN, "learner": ALLOW}
TEAM_READ = {**everyone(NOT_FOUND), "anonymous": LOGIN, "owner": ALLOW, "curator": ALLOW,
             "member": ALLOW}
TEAM_CURATE = {**TEAM_READ, "member": FORBIDDEN}
TEAM_OWNER = {**TEAM_READ, "curator": FORBIDDEN, "member": FORBIDDEN}
SWITCHED_OFF = {**everyone(FORBIDDEN), "anonymous": LOGIN}
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
    # Reauthentication is by password only (ACCOUNT_REAUTHENTICATION_METHODS): no code by mail.
    Case("account_request_reauthentication_code", "GET", _k(), SWITCHED_OFF),
    Case("account_confirm_reauthentication_code", "GET", _k(), SWITCHED_OFF),
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
    Case("accounts:settings", "POST", _k(), SIGNED_IN, label="save",
         data=lambda w: {"display_name": "Name", "desired_retention": "0.85",
                         "daily_new_limit": "10", "time_zone": "Europe/Berlin"}),
    Case("accounts:data-export", "GET", _k(), SIGNED_IN),
    Case("accounts:delete", "GET", _k(), SIGNED_IN),
    Case("accounts:delete", "POST", _k(), SIGNED_IN, label="wrong password",
         data=lambda w: {"password": "not-the-password", "confirm_email": "x@example.com"}),
    Case("accounts:team-list", "GET", _k(), SIGNED_IN),
    Case("accounts:team-list", "POST", _k(), SIGNED_IN, label="create",
         data=lambda w: {"name": "New team", "description": ""}),
    Case("accounts:team", "GET", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-dashboard", "GET", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-leave", "POST", _k(pk=_o("team")), TEAM_READ),
    Case("accounts:team-edit", "GET", _k(pk=_o("team")), TEAM_OWNER),
    Case("accounts:team-edit", "POST", _k(pk=_o("team")), TEAM_OWNER, label="save",
         data=lambda w: {"name": "Renamed", "description": "d"}),
    Case("accounts:team-delete", "GET", _k(pk=_o("team")), TEAM_OWNER),
    Case("accounts:team-delete", "POST", _k(pk=_o("team")), TEAM_OWNER, label="confirm",
         data=lambda w: {"confirm_name": w.o["team"].name}),
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
    Case("accounts:invite-accept", "POST", _k(token=_o("invitation", "token")), SIGNED_IN,
         reveals={"team"}, label="accept"),
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
    Case("qa:report-create", "POST", _k(key=_o("q1", "key")), SIGNED_IN, label="send",
         data=lambda w: {"kind": "wrong", "message": "不对", "answer_version": "2"}),
    Case("qa:my-reports", "GET", _k(), SIGNED_IN),
    Case("qa:report", "GET", _k(pk=_o("report")), LEARNER_ONLY),
    # Studying
    Case("qa:quiz-start", "POST", _k(), SIGNED_IN, data=lambda w: {"mode": "due"}),
    Case("qa:quiz", "GET", _k(pk=_o("quiz")), LEARNER_ONLY),
    Case("qa:quiz-reveal", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk}),
    Case("qa:quiz-grade", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk, "rating": "3", "token": uuid.uuid4().hex}),
    Case("qa:quiz-undo", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"grade": uuid.uuid4().hex}),
    Case("qa:quiz-answer", "POST", _k(pk=_o("quiz")), LEARNER_ONLY,
         data=lambda w: {"item": w.o["item"].pk, "typed_answer": "x"}),
    Case("qa:quiz-finish", "POST", _k(pk=_o("quiz")), LEARNER_ONLY),
    Case("qa:bookmarks", "GET", _k(), SIGNED_IN),
    Case("qa:notes", "GET", _k(), SIGNED_IN),
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
    Case("qa:set-create", "POST", _k(), SIGNED_IN, label="save",
         data=lambda w: {"title": "New set", "description": "", "owner": ""}),
    Case("qa:set-import", "GET", _k(), SIGNED_IN),
    Case("qa:set-import", "POST", _k(), SIGNED_IN, label="upload",
         data=lambda w: {"title": "", "owner": ""}),
    Case("qa:set-add-from-search", "GET", _k(), SIGNED_IN),
    # Into the learner's private set: for anyone else a refusal that does not name it.
    Case("qa:set-add-from-search", "POST", _k(), SIGNED_IN, label="add",
         data=lambda w: {"set": w.o["private_set"].pk, "question": [w.o["q2"].pk]}),
    Case("qa:set-question", "POST", _k(), LEARNER_ONLY,
         data=lambda w: {"set": w.o["private_set"].pk, "question": w.o["q2"].pk}),
    Case("qa:set", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-edit", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-edit", "POST", _k(pk=_o("private_set")), LEARNER_ONLY, label="save",
         data=lambda w: {"title": "Renamed", "description": ""}),
    Case("qa:set-delete", "GET", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-delete", "POST", _k(pk=_o("private_set")), LEARNER_ONLY, label="confirm"),
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
    Case("qa:set-copy", "POST", _k(pk=_o("private_set")), LEARNER_ONLY, label="copy",
         data=lambda w: {"title": "Mine now", "owner": ""}),
    Case("qa:set-study", "POST", _k(pk=_o("private_set")), LEARNER_ONLY),
    Case("qa:set-export", "GET", _k(pk=_o("private_set"), fmt="csv"), LEARNER_ONLY),
    # ... a team's set ...
    Case("qa:set", "GET", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-edit", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-edit", "POST", _k(pk=_o("team_set")), TEAM_CURATE, label="team save",
         data=lambda w: {"title": "Renamed", "description": ""}),
    Case("qa:set-delete", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-delete", "POST", _k(pk=_o("team_set")), TEAM_CURATE, label="team confirm"),
    Case("qa:set-add", "GET", _k(pk=_o("team_set")), TEAM_CURATE, label="team"),
    Case("qa:set-item-note", "POST", _k(pk=_o("team_set"), item_pk=_o("team_item")),
         TEAM_CURATE, data=lambda w: {"note": "n"}, label="team"),
    Case("qa:set-item-remove", "POST", _k(pk=_o("team_set"), item_pk=_o("team_item")),
         TEAM_CURATE, label="team"),
    Case("qa:set-study", "POST", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-copy", "GET", _k(pk=_o("team_set")), TEAM_READ, label="team"),
    Case("qa:set-copy", "POST", _k(pk=_o("team_set")), TEAM_READ, label="team copy",
         data=lambda w: {"title": "Mine now", "owner": ""}),
    Case("qa:set-export", "GET", _k(pk=_o("team_set"), fmt="csv"), TEAM_READ, label="team"),
    # ... and one shared by link.
    Case("qa:set-shared", "GET", _k(token=_o("link_set", "share_token")), PUBLIC),
    Case("qa:set-shared", "GET", _k(token="no-such-token"), everyone(NOT_FOUND),
         label="bad token"),
    Case("qa:set-shared-study", "POST", _k(token=_o("link_set", "share_token")), SIGNED_IN),
    Case("qa:set-shared-copy", "GET", _k(token=_o("link_set", "share_token")), SIGNED_IN),
    Case("qa:set-shared-copy", "POST", _k(token=_o("link_set", "share_token")), SIGNED_IN,
         label="copy", data=lambda w: {"title": "Mine now", "owner": ""}),
    Case("qa:bank-export", "GET", _k(slug=lambda w: w.o["section"].bank.slug, fmt="csv"),
         SIGNED_IN),
]

# URL names not served in production (the admin's are covered by test_authorization_admin.py).
NOT_IN_TABLE = {"bench-ceiling"}
