"""The world of the authorization tables (tests/test_authorization_matrix.py,
test_authorization_admin.py): one user per role, something private of each kind, and how a
response is judged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Invitation, Membership, Team
from qa.editorial import make_editor
from qa.models import ErrorReport, Question, Quiz, SetItem, StudySet, Tag
from qa.services import answering, marks, study
from tests.factories import QuestionFactory, SectionFactory, UserFactory

ALLOW, LOGIN, NOT_FOUND, FORBIDDEN, GONE = "allow", "login", "404", "403", "405"

ROLES = ["anonymous", "learner", "other", "owner", "curator", "member", "ex_member",
         "editor", "superuser"]
TEAM = ("owner", "curator", "member")

SECRETS = {
    "note": "ALICE-NOTE-SECRET",
    "typed": "ALICE-TYPED-SECRET",
    "report": "ALICE-REPORT-SECRET",
    "private_set": "ALICE-PRIVATE-SET",
    "team": "TEAM-SECRET-NAME",
    "team_set": "TEAM-SET-SECRET",
    "team_note": "TEAM-CURATOR-NOTE",
}
# Who may read which secret (on pages other than the admin's, which a superuser sees whole).
ENTITLED = {
    "anonymous": set(),
    "learner": {"note", "typed", "report", "private_set"},
    "other": set(),
    "owner": {"team", "team_set", "team_note"},
    "curator": {"team", "team_set", "team_note"},
    "member": {"team", "team_set", "team_note"},
    "ex_member": set(),
    "editor": {"report"},  # the error-report queue
    "superuser": {"report"},
}


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    o: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    """Everyone in ROLES, and something private of each kind, each carrying its SECRETS marker."""
    w = World()
    for role in ROLES[1:]:
        w.users[role] = UserFactory(email=f"{role}@example.com",
                                    is_superuser=role == "superuser",
                                    is_staff=role == "superuser")
    make_editor(w.users["editor"])
    section = SectionFactory(key="basics", title="基础篇")
    q1 = QuestionFactory(section=section, prompt="什么是注意力？")
    q2 = QuestionFactory(section=section, prompt="什么是归一化？")
    draft = QuestionFactory(section=section, status=Question.Status.DRAFT, prompt="草稿题")
    q1.tags.add(Tag.objects.create(name="注意力"))
    alice = w.users["learner"]

    # The learner's own things.
    marks.set_bookmark(user=alice, question=q1, on=True)
    marks.save_note(user=alice, question=q1, body=SECRETS["note"])
    quiz = study.start_quiz(user=alice, mode=Quiz.Mode.SECTION, section=section)
    first, second = quiz.items.order_by("position")[:2]
    answering.reveal(user=alice, quiz_item=first, typed_answer=SECRETS["typed"])
    answering.record_review(user=alice, quiz_item=first, rating=1, token=uuid.uuid4().hex)
    report = ErrorReport.objects.create(reporter=alice, question=q1, answer_version=1,
                                        kind="wrong", message=SECRETS["report"])
    private_set = StudySet.objects.create(title=SECRETS["private_set"], owner=alice,
                                          created_by=alice)
    private_item = SetItem.objects.create(study_set=private_set, question=q1, position=0)
    link_set = StudySet.objects.create(title="Shared by link", owner=alice, created_by=alice,
                                       visibility=StudySet.Visibility.LINK,
                                       share_token="link-token-123")
    SetItem.objects.create(study_set=link_set, question=q2, position=0)

    # A team, its set, an invitation, and someone who left.
    team = Team.objects.create(name=SECRETS["team"], created_by=w.users["owner"])
    for role in TEAM:
        Membership.objects.create(team=team, user=w.users[role], role=role)
    Membership.objects.create(team=team, user=w.users["ex_member"]).delete()
    team_set = StudySet.objects.create(title=SECRETS["team_set"], team=team,
                                       visibility=StudySet.Visibility.TEAM,
                                       created_by=w.users["owner"])
    team_item = SetItem.objects.create(study_set=team_set, question=q1, position=0,
                                       note=SECRETS["team_note"])
    invitation = Invitation.objects.create(team=team, created_by=w.users["owner"],
                                           expires_at=timezone.now() + timedelta(days=7),
                                           max_uses=100)

    # A correction with a public log entry.
    q1.answer = "更正后的答案。"
    q1.answer_version = 2
    q1._change_kind = "substantive"
    q1._change_reason = "fix"
    q1.save()
    change = q1.history.order_by("-history_id").first()

    w.o.update(section=section, q1=q1, q2=q2, draft=draft, quiz=quiz, item=second,
               report=report, private_set=private_set, private_item=private_item,
               link_set=link_set, team=team, team_set=team_set, team_item=team_item,
               invitation=invitation, member_ms=Membership.objects.get(
                   team=team, user=w.users["member"]), change=change)
    return w


# --- Judging a response --------------------------------------------------------------------------

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        location = response.get("Location", "")
        return LOGIN if any(p in location for p in LOGIN_PATHS) else ALLOW
    if status == 404:
        return NOT_FOUND
    if status == 403:
        return FORBIDDEN
    if status == 405:
        return GONE
    if status in (200, 201, 204, 400, 409):
        return ALLOW
    return f"status {status}"


def client_for(client, world: World, role: str):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def assert_no_leak(response, role: str, where: str, *, also: set[str] = frozenset()) -> None:
    content = (b"".join(response.streaming_content) if getattr(response, "streaming", False)
               else response.content)
    body = content.decode("utf-8", "replace")
    for key, marker in SECRETS.items():
        if key not in ENTITLED[role] | also:
            assert marker not in body, f"{where}: {role} sees {key}"


# --- Which URLs there are ------------------------------------------------------------------------


def url_names(patterns=None, namespace=None) -> set[str]:
    names = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            names |= url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}:{p.name}" if namespace else p.name)
    return names


def unnamed_routes(patterns=None, prefix: str = "") -> list[str]:
    """The routes of URL patterns without a name: the table could not name them."""
    routes = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            routes += unnamed_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and not p.name:
            routes.append(prefix + str(p.pattern))
    return routes


ADMIN_SITE_URLS = {"admin:index", "admin:login", "admin:logout", "admin:password_change",
                   "admin:password_change_done", "admin:autocomplete", "admin:jsi18n",
                   "admin:view_on_site", "admin:app_list"}


def admin_cases() -> list[tuple[str, str, str]]:
    """(url name, object model label or '', action) for every registered model admin."""
    cases = []
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        cases += [(f"{prefix}_changelist", "", "view"), (f"{prefix}_add", "", "add"),
                  (f"{prefix}_change", opts.label, "view"),
                  (f"{prefix}_history", opts.label, "view"),
                  (f"{prefix}_delete", opts.label, "delete")]
    return cases


ADMIN_CASES = admin_cases()


# Extra admin views of a model admin (preview, compare, revert ...) are checked in
# test_authorization_admin.test_admin_extra_views_are_for_staff_only.
def is_admin_extra(name: str) -> bool:
    return name.startswith("admin:") and name not in ADMIN_SITE_URLS and not any(
        name == c[0] for c in ADMIN_CASES
    )
