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

Admin URLs are covered model by model from the admin site's registry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Team
from qa.editorial import make_editor
from qa.models import ErrorReport, Question, Quiz, SetItem, StudySet, Tag
from qa.services import answering, study
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


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    o: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
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
    study.set_bookmark(user=alice, question=q1, on=True)
    study.save_note(user=alice, question=q1, body=SECRETS["note"])
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
    body = response.content.decode("utf-8", "replace")
    for key, marker in SECRETS.items():
        if key not in ENTITLED[role] | also:
            assert marker not in body, f"{where}: {role} sees {key}"


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


# --- The admin ----------------------------------------------------------------------------------


def _admin_cases() -> list[tuple[str, str, str]]:
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


ADMIN_CASES = _admin_cases()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "model_label", "action"), ADMIN_CASES,
                         ids=[c[0] for c in ADMIN_CASES])
def test_admin_matrix(client, world, name, model_label, action):
    from django.apps import apps

    kwargs = {}
    model = None
    if model_label:
        model = apps.get_model(model_label)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model_label}"
        kwargs = {"object_id": obj.pk}
    url = reverse(name, kwargs=kwargs)
    for role in ROLES:
        client.logout()
        c = client_for(client, world, role)
        response = c.get(url)
        got = outcome(response)
        if role in ("editor", "superuser"):
            expected = ALLOW if _admin_allows(world.users[role], name, model, action) \
                else FORBIDDEN
            if role == "editor" and opts_of(name, model).app_label in PEOPLE_APPS:
                # Editors curate the bank; accounts, teams and groups are not theirs.
                assert expected == FORBIDDEN, f"{name}: editors must not manage people"
        else:
            expected = LOGIN  # non-staff are sent to the admin's login page
        assert got == expected, f"{name} as {role}: {response.status_code}"
        if role != "superuser":
            assert_no_leak(response, role, name)


PEOPLE_APPS = {"accounts", "auth", "account"}


def opts_of(name: str, model):
    return (model or _changelist_model(name))._meta


def _admin_allows(user, name: str, model, action: str) -> bool:
    from django.test import RequestFactory

    model = model or _changelist_model(name)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = user
    obj = model._default_manager.order_by("pk").first() if not name.endswith(
        ("_changelist", "_add")) else None
    if not model_admin.has_module_permission(request):
        return False
    if name.endswith("_add"):
        return model_admin.has_add_permission(request)
    if action == "delete":
        return model_admin.has_delete_permission(request, obj)
    return model_admin.has_view_or_change_permission(request, obj)


def _changelist_model(name: str):
    from django.apps import apps

    app_model = name.split(":", 1)[1].rsplit("_", 1)[0]
    for model in admin.site._registry:
        if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
            return model
    return apps.get_model(app_model.replace("_", ".", 1))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_index_is_for_staff_only(client, world, role):
    c = client_for(client, world, role)
    got = outcome(c.get(reverse("admin:index")))
    assert got == (ALLOW if role in ("editor", "superuser") else LOGIN)


# --- Completeness --------------------------------------------------------------------------------


def _url_names(patterns=None, namespace=None) -> set[str]:
    names = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            names |= _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}:{p.name}" if namespace else p.name)
    return names


ADMIN_SITE_URLS = {"admin:index", "admin:login", "admin:logout", "admin:password_change",
                   "admin:password_change_done", "admin:autocomplete", "admin:jsi18n",
                   "admin:view_on_site", "admin:app_list"}


def test_every_url_is_in_the_table():
    covered = {c.name for c in CASES} | {c[0] for c in ADMIN_CASES} | ADMIN_SITE_URLS
    missing = sorted(n for n in _url_names() - covered - NOT_IN_TABLE
                     if not _admin_extra(n))
    assert not missing, f"URLs with no row in the authorization table: {missing}"


# Extra admin views of a model admin (preview, compare, revert ...) are checked in
# test_admin_extra_views_are_for_staff_only.
def _admin_extra(name: str) -> bool:
    return name.startswith("admin:") and name not in ADMIN_SITE_URLS and not any(
        name == c[0] for c in ADMIN_CASES
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n in _url_names() if _admin_extra(n)))
def test_admin_extra_views_are_for_staff_only(client, world, name):
    from django.urls import NoReverseMatch

    q1 = world.o["q1"]
    candidates = [{}, {"object_id": q1.pk}, {"id": world.users["learner"].pk},
                  {"object_id": q1.pk, "history_id": world.o["change"].history_id}]
    url = None
    for kwargs in candidates:
        try:
            url = reverse(name, kwargs=kwargs)
            break
        except NoReverseMatch:
            try:
                url = reverse(name, args=[q1.pk, world.o["change"].history_id])
                break
            except NoReverseMatch:
                continue
    assert url, name
    for role in ROLES:
        client.logout()
        c = client_for(client, world, role)
        got = outcome(c.get(url))
        people = name.split(":", 1)[1].split("_", 1)[0] in PEOPLE_APPS
        if role == "editor" and people:
            assert got == FORBIDDEN, f"{name} as {role}: {got}"
        elif role in ("editor", "superuser"):
            assert got in (ALLOW, GONE), f"{name} as {role}: {got}"
        else:
            assert got in (LOGIN, NOT_FOUND, FORBIDDEN), f"{name} as {role}: {got}"


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

