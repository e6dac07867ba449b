"""generate_scale_data: the sizes asked for, consistent study states, searchable text."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min

from accounts.models import Membership, Team, User
from qa.models import Bank, Question, Review, SetItem, StudySet, StudyState
from qa.scale_data import SCALE_PASSWORD
from qa.search import build_search_text
from qa.synthetic_text import LATIN_TERMS, TERMS

pytestmark = pytest.mark.django_db

SIZES = ["--questions", "300", "--users", "20", "--reviews", "900", "--teams", "3",
         "--sets", "6", "--sections", "4"]


def test_it_generates_the_sizes_asked_for(client):
    call_command("generate_scale_data", *SIZES, verbosity=0)
    assert Question.objects.filter(bank__slug="scale").count() == 300
    assert User.objects.filter(email__endswith="@scale.example.com").count() == 20
    assert Review.objects.count() == 900
    assert Team.objects.count() == 3
    assert Membership.objects.filter(role="owner").count() == 3
    assert StudySet.objects.count() == 6
    assert SetItem.objects.exists()
    # A generated learner can log in with the documented password.
    response = client.post("/accounts/login/", {"login": "learner000001@scale.example.com",
                                                "password": SCALE_PASSWORD})
    assert response.status_code == 302


def test_study_states_agree_with_the_reviews_behind_them():
    call_command("generate_scale_data", *SIZES, verbosity=0)
    pairs = {
        (row["user_id"], row["question_id"]): row
        for row in Review.objects.values("user_id", "question_id").annotate(
            n=Count("pk"), last=Max("reviewed_at")
        )
    }
    states = list(StudyState.objects.all())
    assert len(states) == len(pairs)
    for state in states:
        row = pairs[(state.user_id, state.question_id)]
        assert state.reps == row["n"]
        assert state.last_review == row["last"]
        assert state.due >= state.last_review
    assert Review.objects.aggregate(m=Min("reviewed_at"))["m"] is not None


def test_the_same_seed_gives_the_same_data():
    call_command("generate_scale_data", *SIZES, verbosity=0)
    first = list(Question.objects.order_by("key").values_list("key", "prompt")[:50])
    tokens = list(Review.objects.order_by("pk").values_list("token", flat=True)[:50])
    # A second run refuses to add to the first ...
    with pytest.raises(CommandError, match="fresh database"):
        call_command("generate_scale_data", *SIZES, verbosity=0)
    # ... and a run with another bank slug and the same seed repeats the same text.
    Review.objects.all().delete()
    User.objects.filter(email__endswith="@scale.example.com").delete()
    call_command("generate_scale_data", *SIZES, "--bank-slug", "scale2", verbosity=0)
    again = list(Question.objects.filter(bank__slug="scale2").order_by("key")
                 .values_list("key", "prompt")[:50])
    assert [p for _, p in again] == [p for _, p in first]
    assert list(Review.objects.order_by("pk").values_list("token", flat=True)[:50]) == tokens


def test_generated_questions_are_found_by_search():
    from qa.selectors.search import search_questions

    call_command("generate_scale_data", *SIZES, verbosity=0)
    question = Question.objects.filter(bank__slug="scale").order_by("pk").first()
    assert question.search_text == build_search_text(question.prompt, question.answer)
    term = next(t for t in TERMS + LATIN_TERMS if t in question.prompt)
    found = search_questions(query=term, limit=500).results
    assert question.pk in {r.question.pk for r in found}
    assert all(term.lower() in (r.question.prompt + r.question.answer).lower() for r in found)


def test_generated_study_states_can_be_scheduled():
    from django.utils import timezone

    from qa import scheduling

    call_command("generate_scale_data", *SIZES, verbosity=0)
    now = timezone.now()
    states = list(StudyState.objects.all())
    assert {s.state for s in states} >= {StudyState.State.REVIEW}
    for state in states:
        scheduling.preview_labels(state, now, 0.9)
        for rating in (1, 2, 3, 4):
            scheduling.apply(state, rating, now, 0.9)


def test_a_bank_slug_its_urls_could_not_carry_is_refused():
    with pytest.raises(CommandError, match="--bank-slug must be lowercase"):
        call_command("generate_scale_data", *SIZES, "--bank-slug", "Bad Slug!", verbosity=0)
    assert not Bank.objects.exists()
