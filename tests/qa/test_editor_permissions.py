"""Who may do what in the editors' admin: the Editors group, make_editor, users and teams."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from qa.editorial import EDITOR_PERMISSIONS, EDITORS_GROUP, make_editor, remove_editor
from qa.models import ErrorReport, Question
from tests.factories import ErrorReportFactory, QuestionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
MIGRATION = "qa.migrations.0003_editorial_editors_group"


def group_permissions() -> set[tuple[str, str]]:
    group = Group.objects.get(name=EDITORS_GROUP)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root@example.com", "root-pass-123456")


# --- The Editors group ----------------------------------------------------------------------


def test_the_migration_gives_editors_exactly_the_editor_permissions():
    migration = importlib.import_module(MIGRATION)
    assert set(migration.EDITOR_PERMISSIONS) == set(EDITOR_PERMISSIONS)
    Group.objects.filter(name=EDITORS_GROUP).delete()
    state = MigrationExecutor(connection).loader.project_state(
        ("qa", "0003_editorial_editors_group"), at_end=True
    )

    migration.create_editors_group(state.apps, SimpleNamespace(connection=connection))

    assert group_permissions() == set(EDITOR_PERMISSIONS)


def test_the_migration_is_idempotent_and_restores_the_exact_set():
    migration = importlib.import_module(MIGRATION)
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    state = MigrationExecutor(connection).loader.project_state(
        ("qa", "0003_editorial_editors_group"), at_end=True
    )

    for _run in range(2):
        migration.create_editors_group(state.apps, SimpleNamespace(connection=connection))

    assert Group.objects.filter(name=EDITORS_GROUP).count() == 1
    assert group_permissions() == set(EDITOR_PERMISSIONS)


def test_editor_permissions_cover_bank_content_reports_and_history_but_not_people_or_deletes():
    codenames = {codename for _app, codename in EDITOR_PERMISSIONS}
    assert {"change_question", "change_errorreport", "view_historicalquestion"} <= codenames
    assert not {c for c in codenames if c.startswith("delete_")}
    assert all(app == "qa" for app, _codename in EDITOR_PERMISSIONS)
    for private in ("studystate", "review", "bookmark", "note", "quiz", "studyset"):
        assert not {c for c in codenames if c.endswith(private)}


def test_make_editor_recreates_a_missing_group_with_the_permissions():
    Group.objects.filter(name=EDITORS_GROUP).delete()
    user = UserFactory()

    make_editor(user)

    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=EDITORS_GROUP).exists()
    assert group_permissions() == set(EDITOR_PERMISSIONS)


def test_make_editor_keeps_an_operators_changes_to_the_group():
    group = Group.objects.get(name=EDITORS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="add_bank"))

    make_editor(UserFactory())

    assert ("qa", "add_bank") not in group_permissions()


# --- The command ----------------------------------------------------------------------------


def test_make_editor_command_grants_and_removes_the_role():
    user = UserFactory(email="Someone@Example.com")

    call_command("make_editor", "someone@example.com", stdout=None)
    user.refresh_from_db()
    assert user.is_staff and user.groups.filter(name=EDITORS_GROUP).exists()

    call_command("make_editor", "someone@example.com", "--remove")
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.filter(name=EDITORS_GROUP).exists()


def test_make_editor_command_rejects_an_unknown_email():
    with pytest.raises(CommandError, match="No account"):
        call_command("make_editor", "nobody@example.com")


def test_make_editor_command_takes_an_address_for_no_lookalike():
    alice = UserFactory(email="alice@example.com")
    lookalike = UserFactory(email="alıce@example.com")  # a dotless ı, a sign-up of its own
    call_command("make_editor", "ALICE@example.com", stdout=None)
    alice.refresh_from_db()
    lookalike.refresh_from_db()
    assert alice.is_staff and not lookalike.is_staff
    call_command("make_editor", "alıce@example.com", stdout=None)
    lookalike.refresh_from_db()
    assert lookalike.is_staff


def test_removing_the_role_from_a_superuser_keeps_their_admin_access(superuser):
    make_editor(superuser)
    remove_editor(superuser)
    superuser.refresh_from_db()
    assert superuser.is_staff and superuser.is_superuser


def test_removing_the_role_keeps_admin_access_given_for_another_duty():
    from django.contrib.auth.models import Group

    support = UserFactory()
    make_editor(support)
    support.groups.add(Group.objects.create(name="Support"))
    plain = UserFactory()
    make_editor(plain)
    remove_editor(support)
    remove_editor(plain)
    support.refresh_from_db()
    plain.refresh_from_db()
    assert support.is_staff and not support.groups.filter(name="Editors").exists()
    assert not plain.is_staff


# --- What an editor can reach ---------------------------------------------------------------


def test_a_learner_is_sent_away_from_the_admin(alice_client):
    question = QuestionFactory()
    for url in ("/admin/", f"/admin/qa/question/{question.pk}/change/", "/admin/qa/errorreport/"):
        response = alice_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def test_an_editor_can_open_questions_history_and_the_report_queue(editor_client):
    question = QuestionFactory()
    report = ErrorReportFactory(question=question)
    for url in (
        "/admin/",
        "/admin/qa/question/",
        f"/admin/qa/question/{question.pk}/change/",
        f"/admin/qa/question/{question.pk}/history/",
        "/admin/qa/errorreport/",
        f"/admin/qa/errorreport/{report.pk}/change/",
        "/admin/qa/section/",
        "/admin/qa/tag/",
        "/admin/qa/bank/",
    ):
        assert editor_client.get(url).status_code == 200, url


def test_an_editor_cannot_open_users_or_teams(editor_client, superuser, client):
    team = TeamFactory()
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{superuser.pk}/change/",
                "/admin/accounts/team/", f"/admin/accounts/team/{team.pk}/change/",
                "/admin/accounts/membership/", "/admin/auth/group/"):
        assert editor_client.get(url).status_code == 403, url

    client.force_login(superuser)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/team/").status_code == 200


def test_an_editor_cannot_delete_questions(editor_client, superuser, client):
    question = QuestionFactory()
    url = f"/admin/qa/question/{question.pk}/delete/"
    assert editor_client.get(url).status_code == 403
    assert editor_client.post(url, {"post": "yes"}).status_code == 403
    assert Question.objects.filter(pk=question.pk).exists()

    client.force_login(superuser)
    assert client.get(url).status_code == 200


def test_an_editor_cannot_see_learners_study_data_in_the_admin(editor_client):
    for url in ("/admin/qa/studystate/", "/admin/qa/review/", "/admin/qa/note/",
                "/admin/qa/bookmark/", "/admin/qa/studyset/"):
        assert editor_client.get(url).status_code in (403, 404), url


def test_an_editor_can_edit_a_question_and_resolve_a_report(editor_client, editor):
    question = QuestionFactory(answer="旧答案")
    report = ErrorReportFactory(question=question)
    response = editor_client.post(
        f"/admin/qa/question/{question.pk}/change/",
        {
            "bank": question.bank_id, "section": question.section_id, "number": question.number,
            "status": "published", "prompt": question.prompt, "answer": "新答案",
            "change_kind": "substantive", "change_reason": "答案错误", "base_revision": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert (question.answer, question.answer_version) == ("新答案", 2)

    revision = Question.history.filter(id=question.pk).order_by("-history_id").first()
    response = editor_client.post(
        f"/admin/qa/errorreport/{report.pk}/change/",
        {"decision": "accepted", "correcting_revision": revision.history_id, "reply": "已修正"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report.refresh_from_db()
    assert (report.status, report.resolved_by, report.correcting_revision_id) == (
        ErrorReport.Status.ACCEPTED, editor, revision.history_id
    )


# --- The admin action on users --------------------------------------------------------------


def _run_user_action(client, action, users):
    return client.post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [u.pk for u in users], "index": 0},
    )


def test_only_superusers_can_make_editors_from_the_user_list(client, superuser):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="accounts", codename__in=["view_user", "change_user"]
    ))
    target = UserFactory()
    client.force_login(staff)
    _run_user_action(client, "make_editors", [target])
    target.refresh_from_db()
    assert not target.is_staff

    client.force_login(superuser)
    response = _run_user_action(client, "make_editors", [target])
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_staff and target.groups.filter(name=EDITORS_GROUP).exists()

    _run_user_action(client, "remove_editors", [target])
    target.refresh_from_db()
    assert not target.is_staff
