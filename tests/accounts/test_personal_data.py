"""Downloading one's own data: everything that is theirs, nothing that is someone else's."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from accounts import personal_data
from accounts import services as team_services
from accounts.models import FormSubmission, InvitationUse, Membership, Removal, User
from qa.editorial import make_editor
from qa.models import ErrorReport, Question, Quiz, RevisionInfo
from qa.services import answering, editorial
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    ErrorReportFactory,
    InvitationFactory,
    MembershipFactory,
    NoteFactory,
    QuestionFactory,
    SetItemFactory,
    StudySetFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def download(client) -> dict:
    response = client.get(reverse("accounts:data-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mianshi-my-data-')
    return json.loads(b"".join(response.streaming_content))


def as_json(value):
    """A value as the document writes it (a time as an ISO string)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def grade_new(user, rating: int, typed: str = "") -> None:
    """A new question, graded in a quiz of its own."""
    QuestionFactory()
    quiz = services.start_quiz(user=user, mode=Quiz.Mode.NEW, count=1)
    item = quiz.items.get()
    answering.reveal(user=user, quiz_item=item, typed_answer=typed)
    answering.record_review(user=user, quiz_item=item, rating=rating, token=uuid.uuid4().hex)


def test_it_needs_a_login(client):
    response = client.get(reverse("accounts:data-export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_holds_the_learner_s_study_history_and_writing(alice_client, alice, bob):
    grade_new(alice, 3, typed="我的回答")
    question = Question.objects.get()
    Question.objects.filter(pk=question.pk).update(prompt="什么是注意力机制？")
    NoteFactory(user=alice, question=question, body="记住 **QKV**")
    BookmarkFactory(user=alice, question=question)
    ErrorReportFactory(reporter=alice, question=question, message="答案过时")
    own = StudySetFactory(owner=alice, title="My set")
    SetItemFactory(study_set=own, question=question, position=1, note="first")
    team = TeamFactory(name="Group")
    MembershipFactory(user=alice, team=team, role=Membership.Role.CURATOR)
    left = TeamFactory(name="Former group")  # joined through an invitation, then removed
    InvitationUse.objects.create(
        user=alice, invitation=InvitationFactory(team=left, role=Membership.Role.MEMBER))
    Removal.objects.create(user=alice, team=left)
    Removal.objects.create(user=bob, team=team)
    # Bob's data, which must not appear.
    NoteFactory(user=bob, question=question, body="Bob's secret note")
    StudySetFactory(owner=bob, title="Bob's set")

    data = download(alice_client)

    assert data["format"] == "mianshi.personal-data"
    assert data["version"] == 1
    assert data["account"]["email"] == "alice@example.com"
    assert data["account"]["keyboard_shortcuts"] is True
    assert data["email_addresses"] == [
        {"email": "alice@example.com", "verified": True, "primary": True}]
    assert [(r["question_key"], r["rating"], r["typed_answer"]) for r in data["reviews"]] == [
        (question.key, 3, "我的回答")]
    assert [s["question_key"] for s in data["study_states"]] == [question.key]
    assert [q["mode"] for q in data["quizzes"]] == ["new"]
    assert data["quizzes"][0]["ended"] == ""  # why a quiz ended, when the learner did not end it
    assert [i["typed_answer"] for i in data["quiz_items"]] == ["我的回答"]
    assert data["notes"] == [{"body": "记住 **QKV**", "updated_at": data["notes"][0]["updated_at"],
                              "question_key": question.key, "prompt": "什么是注意力机制？"}]
    assert [b["question_key"] for b in data["bookmarks"]] == [question.key]
    assert [r["message"] for r in data["error_reports"]] == ["答案过时"]
    assert [(s["title"], s["items"]) for s in data["study_sets"]] == [
        ("My set", [{"position": 1, "note": "first", "question_key": question.key}])]
    assert [(t["team_name"], t["role"]) for t in data["teams"]] == [("Group", "curator")]
    assert [(i["team_name"], i["role"]) for i in data["invitations_used"]] == [
        ("Former group", "member")]
    assert [r["team_name"] for r in data["team_removals"]] == ["Former group"]
    assert "Bob" not in json.dumps(data, ensure_ascii=False)


def test_an_account_with_nothing_yet_gets_empty_lists(alice_client):
    data = download(alice_client)
    for name in ("reviews", "notes", "bookmarks", "error_reports", "study_sets", "quizzes",
                 "teams_created", "invitations_made", "team_sets_created",
                 "question_revisions", "error_reports_resolved", "admin_actions",
                 "form_submissions"):
        assert data[name] == []
    assert (data["account"]["is_staff"], data["account"]["groups"]) == (False, [])


@pytest.mark.parametrize("notes", [2, 3, 4, 5])
def test_lists_written_in_batches_are_valid_json(alice_client, alice, monkeypatch, notes):
    monkeypatch.setattr(personal_data, "BATCH", 2)
    for _ in range(notes):
        NoteFactory(user=alice)
    assert len(download(alice_client)["notes"]) == notes


def test_it_reads_the_same_number_of_queries_for_a_long_history(client, alice,
                                                                count_queries):
    def queries() -> int:
        client.force_login(alice)
        with count_queries() as q:
            response = client.get(reverse("accounts:data-export"))
            b"".join(response.streaming_content)
        return len(q)

    bob = UserFactory()
    grade_new(alice, 3)
    NoteFactory(user=alice)
    work_for_others(alice, bob)
    few = queries()
    for rating in (2, 3, 4, 3, 3, 4):
        grade_new(alice, rating)
    for _ in range(5):
        NoteFactory(user=alice)
        StudySetFactory(owner=alice)
        work_for_others(alice, bob)
    assert queries() == few


def work_for_others(user, other) -> None:
    """One of each thing `user` makes for others: a team with `other` in it, an invitation,
    a set for the team, a revision, a decided report, an admin action, a sent form."""
    team = team_services.create_team(user=user, name="Team")
    MembershipFactory(user=other, team=team)
    team_services.create_invitation(actor=user, team=team, email="someone@example.com")
    SetItemFactory(study_set=StudySetFactory(owner=None, team=team, created_by=user))
    question = QuestionFactory()
    edit = editorial.save_question_edit(
        question=question, editor=user, data={"answer": "改过"},
        kind=RevisionInfo.Kind.SUBSTANTIVE, reason="why", expected_revision=question.revision)
    editorial.resolve_report(report=ErrorReportFactory(reporter=other, question=question),
                             editor=user, decision=ErrorReport.Status.ACCEPTED,
                             correcting_revision_id=edit.record.history_id)
    LogEntry.objects.create(user=user, content_type=ContentType.objects.get_for_model(Question),
                            object_id=str(question.pk), object_repr=str(question),
                            action_flag=CHANGE)
    FormSubmission.objects.create(user=user, token=uuid.uuid4().hex, location="/teams/")


def test_sets_of_a_team_only_the_learner_belongs_to_are_theirs(alice_client, alice, bob):
    question = QuestionFactory()
    alone = TeamFactory(name="Just me")
    MembershipFactory(user=alice, team=alone, role=Membership.Role.OWNER)
    mine = StudySetFactory(owner=None, team=alone, title="Curated alone", created_by=alice)
    SetItemFactory(study_set=mine, question=question, position=1, note="mine")
    shared = TeamFactory(name="Shared")
    MembershipFactory(user=alice, team=shared, role=Membership.Role.OWNER)
    MembershipFactory(user=bob, team=shared, role=Membership.Role.MEMBER)
    StudySetFactory(owner=None, team=shared, title="The team's")
    StudySetFactory(owner=alice, title="Own, empty")

    data = download(alice_client)

    assert [(s["title"], s["team_name"], [i["note"] for i in s["items"]])
            for s in data["study_sets"]] == [
        ("Curated alone", "Just me", ["mine"]), ("Own, empty", None, [])]
    assert data["team_sets_created"] == []  # made for a team of one: listed once, as theirs


def test_prompts_are_given_only_for_published_questions(alice_client, alice):
    draft = QuestionFactory(status=Question.Status.DRAFT, prompt="Editor's unpublished wording")
    BookmarkFactory(user=alice, question=draft)
    [bookmark] = download(alice_client)["bookmarks"]
    assert (bookmark["question_key"], bookmark["prompt"]) == (draft.key, "")


def test_downloads_of_one_s_data_are_limited_per_hour(alice_client):
    from accounts.views import DATA_EXPORTS_PER_HOUR

    url = reverse("accounts:data-export")
    for _ in range(DATA_EXPORTS_PER_HOUR):
        assert alice_client.get(url).status_code == 200
    refused = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "You have downloaded your data 5 times in the last hour" in refused.content.decode()


def test_it_holds_an_editor_s_role_revisions_decisions_and_admin_actions(editor_client, editor,
                                                                        bob):
    question = QuestionFactory(prompt="什么是 RoPE？")
    edit = editorial.save_question_edit(
        question=question, editor=editor, data={"answer": "旋转位置编码"},
        kind=RevisionInfo.Kind.SUBSTANTIVE, reason="公式写错了", expected_revision=1)
    report = editorial.resolve_report(
        report=ErrorReportFactory(reporter=bob, question=question, message="Bob's report"),
        editor=editor, decision=ErrorReport.Status.ACCEPTED, reply="已改正",
        correcting_revision_id=edit.record.history_id)
    editor.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    LogEntry.objects.create(user=editor, content_type=ContentType.objects.get_for_model(User),
                            object_id=str(bob.pk), object_repr=str(bob), action_flag=CHANGE,
                            change_message='[{"changed": {"fields": ["Bob"]}}]')
    # Bob's editorial work, which must not appear.
    make_editor(bob)
    other = QuestionFactory()
    editorial.save_question_edit(question=other, editor=bob, data={"answer": "Bob's answer"},
                                 kind=RevisionInfo.Kind.TYPO, reason="Bob's reason",
                                 expected_revision=1)
    editorial.resolve_report(report=ErrorReportFactory(question=other), editor=bob,
                             decision=ErrorReport.Status.REJECTED, reply="Bob's reply")
    LogEntry.objects.create(user=bob, content_type=ContentType.objects.get_for_model(Question),
                            object_id=str(other.pk), object_repr="Bob's object",
                            action_flag=CHANGE)

    data = download(editor_client)

    account = data["account"]
    assert (account["is_staff"], account["is_superuser"]) == (True, False)
    assert (account["groups"], account["permissions"]) == (["Editors"], ["admin.view_logentry"])
    assert data["question_revisions"] == [{
        "history_type": "~", "change_kind": "substantive", "revision": 2, "answer_version": 2,
        "status": "published", "revision_id": edit.record.history_id,
        "revised_at": as_json(edit.record.history_date), "reason": "公式写错了",
        "question_key": question.key,
    }]
    # The decision and the reply are the editor's; the report's message and its reporter not.
    assert data["error_reports_resolved"] == [{
        "status": "accepted", "reply": "已改正", "resolved_at": as_json(report.resolved_at),
        "correcting_revision_id": edit.record.history_id, "question_key": question.key,
        "prompt": "什么是 RoPE？",
    }]
    # Which object, not the name the log gives it: an account's is its holder's.
    [action] = data["admin_actions"]
    assert action == {"action_time": action["action_time"], "object_id": str(bob.pk),
                      "action": "changed", "app_label": "accounts", "model": "user"}
    text = json.dumps(data, ensure_ascii=False)
    assert "Bob" not in text and "bob@example.com" not in text


def test_it_holds_the_teams_invitations_and_team_sets_the_learner_made(alice_client, alice,
                                                                       bob):
    question = QuestionFactory()
    team = team_services.create_team(user=alice, name="Study group")
    MembershipFactory(user=bob, team=team, role=Membership.Role.CURATOR)
    addressed = team_services.create_invitation(
        actor=alice, team=team, role=Membership.Role.CURATOR, max_uses=3,
        email="carol@example.com")
    team_services.revoke_invitation(actor=alice, invitation=addressed)
    link = team_services.create_invitation(actor=alice, team=team)
    TeamFactory(name="Founded, then left", created_by=alice)
    written = StudySetFactory(owner=None, team=team, created_by=alice, title="Week 1")
    SetItemFactory(study_set=written, question=question, position=1, note="先看这个")
    StudySetFactory(owner=alice, created_by=alice, title="Mine")
    # Bob's, which must not appear.
    bobs = team_services.create_team(user=bob, name="Bob's team")
    team_services.create_invitation(actor=bob, team=bobs)
    StudySetFactory(owner=None, team=team, created_by=bob, title="Bob's set")

    data = download(alice_client)

    assert [t["team_name"] for t in data["teams_created"]] == [
        "Study group", "Founded, then left"]
    addressed.refresh_from_db()
    # What the maker set, and that the link went to an address; not whose (the invitee's).
    assert data["invitations_made"] == [
        {"role": "curator", "expires_at": as_json(addressed.expires_at), "max_uses": 3,
         "uses": 0, "revoked_at": as_json(addressed.revoked_at),
         "created_at": as_json(addressed.created_at), "team_name": "Study group",
         "addressed": True},
        {"role": "member", "expires_at": as_json(link.expires_at), "max_uses": 1, "uses": 0,
         "revoked_at": None, "created_at": as_json(link.created_at),
         "team_name": "Study group", "addressed": False},
    ]
    # A set made for a team with others in it stays with the team, and is listed apart.
    # Which sets, not what they say: a team's curators write its sets together.
    assert [(s["title"], s["team_name"]) for s in data["team_sets_created"]] == [
        ("Week 1", "Study group")]
    assert "items" not in data["team_sets_created"][0]
    assert "description" not in data["team_sets_created"][0]
    assert "先看这个" not in json.dumps(data, ensure_ascii=False)
    assert [s["title"] for s in data["study_sets"]] == ["Mine"]
    text = json.dumps(data, ensure_ascii=False)
    assert "carol@example.com" not in text and addressed.token not in text
    assert link.token not in text and "Bob" not in text


def test_it_holds_the_forms_the_site_remembers_sending(alice_client, alice, bob):
    token = uuid.uuid4().hex
    created = alice_client.post(reverse("accounts:team-list"),
                                {"name": "Study group", "submission": token})
    FormSubmission.objects.create(user=bob, token=uuid.uuid4().hex, location="/bob/")

    [submission] = download(alice_client)["form_submissions"]

    assert submission == {"token": token, "location": created["Location"],
                          "created_at": submission["created_at"]}
