"""Downloading one's own data: everything that is theirs, nothing that is someone else's."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from accounts import personal_data
from accounts.models import InvitationUse, Membership, Removal
from qa.models import Question, Quiz
from qa.services import answering
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
)

pytestmark = pytest.mark.django_db


def download(client) -> dict:
    response = client.get(reverse("accounts:data-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mianshi-my-data-')
    return json.loads(b"".join(response.streaming_content))


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
    for name in ("reviews", "notes", "bookmarks", "error_reports", "study_sets", "quizzes"):
        assert data[name] == []


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

    grade_new(alice, 3)
    NoteFactory(user=alice)
    few = queries()
    for rating in (2, 3, 4, 3, 3, 4):
        grade_new(alice, rating)
    for _ in range(5):
        NoteFactory(user=alice)
        StudySetFactory(owner=alice)
    assert queries() == few


def test_sets_of_a_team_only_the_learner_belongs_to_are_theirs(alice_client, alice, bob):
    question = QuestionFactory()
    alone = TeamFactory(name="Just me")
    MembershipFactory(user=alice, team=alone, role=Membership.Role.OWNER)
    mine = StudySetFactory(owner=None, team=alone, title="Curated alone")
    SetItemFactory(study_set=mine, question=question, position=1, note="mine")
    shared = TeamFactory(name="Shared")
    MembershipFactory(user=alice, team=shared, role=Membership.Role.OWNER)
    MembershipFactory(user=bob, team=shared, role=Membership.Role.MEMBER)
    StudySetFactory(owner=None, team=shared, title="The team's")
    StudySetFactory(owner=alice, title="Own, empty")

    sets = download(alice_client)["study_sets"]

    assert [(s["title"], s["team_name"], [i["note"] for i in s["items"]]) for s in sets] == [
        ("Curated alone", "Just me", ["mine"]), ("Own, empty", None, [])]


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
