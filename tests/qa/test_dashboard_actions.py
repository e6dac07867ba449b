"""The dashboard's ways into studying: quizzes to pick up again, new questions against the daily
limit, and the study sets."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import create_team
from qa.models import Question, Review
from qa.selectors import study as selectors
from qa.services import interviews
from qa.services import study as services
from qa.services.sets import create_set
from tests.factories import SectionFactory, StudyStateFactory, bulk_questions

pytestmark = pytest.mark.django_db


def test_pick_up_where_you_left_off_counts_as_the_quiz_counts(alice_client, alice):
    section = SectionFactory()
    questions = bulk_questions(section, 3)
    quiz = services.start_quiz(user=alice, mode="section", section=section)
    Question.objects.filter(pk=questions[2].pk).update(status=Question.Status.RETIRED)
    page = alice_client.get("/").content.decode()
    assert "0 of 2 graded" in page
    # Nothing left to grade once the rest is retired: not offered as a quiz to continue.
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(
        status=Question.Status.RETIRED)
    page = alice_client.get("/").content.decode()
    assert "Pick up where you left off" not in page
    assert reverse("qa:quiz", args=[quiz.pk]) not in page


def test_new_questions_waiting_in_an_open_quiz_are_not_told_as_a_spent_limit(alice_client,
                                                                            alice):
    """A new quiz opened and not yet graded takes the day's new questions: "0 for today" and
    "Daily new limit reached" read as if they were learned."""
    section = SectionFactory()
    bulk_questions(section, 12)
    services.start_quiz(user=alice, mode="new", section=section)
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0 for today · 10 waiting in a quiz you have open" in page
    assert "Today’s new questions wait in a quiz you have open" in page
    assert "Daily new limit reached" not in page


def test_pick_up_where_you_left_off_shows_the_latest_of_each_kind(alice):
    section = SectionFactory()
    bulk_questions(section, 6)
    now = timezone.now()
    mocks = [services.start_quiz(user=alice, mode="mock", count=n, time_limit_seconds=600,
                                 now=now - timedelta(minutes=10 - n)) for n in (2, 3, 4)]
    section_quiz = services.start_quiz(user=alice, mode="section", section=section,
                                       now=now - timedelta(minutes=30))
    shown = selectors.dashboard(user=alice, now=now)["unfinished"]
    # Three interviews left open read as one row, the latest; the section quiz is not pushed
    # off the list by the older two.
    assert [q.pk for q in shown] == [mocks[-1].pk, section_quiz.pk]
    # An interview with an answer handed in keeps a row of its own: only it leads there.
    first = mocks[0].items.order_by("position").first()
    interviews.save_mock_answer(user=alice, quiz_item=first, typed_answer="我的回答",
                               now=now - timedelta(minutes=7))
    shown = selectors.dashboard(user=alice, now=now)["unfinished"]
    assert [q.pk for q in shown] == [mocks[-1].pk, mocks[0].pk, section_quiz.pk]


def test_a_daily_new_limit_reached_says_how_to_learn_more_today(alice_client, alice):
    first, _second = bulk_questions(SectionFactory(), 2)
    alice.daily_new_limit = 1
    alice.save()
    StudyStateFactory(user=alice, question=first, due=timezone.now() + timedelta(days=1))
    Review.objects.create(user=alice, question=first, rating=3, answer_version=1,
                          token=uuid.uuid4().hex)  # today's one new question
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Today’s 1 new question is done." in page
    assert 'href="/me/settings/#id_daily_new_limit">raise your daily limit</a>' in page
    alice.daily_new_limit = 0
    alice.save()
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your daily limit of new questions is 0." in page
    alice.daily_new_limit = 5
    alice.save()
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "raise your daily limit" not in page and "raise it</a>" not in page


def test_the_dashboard_leads_to_the_learner_s_and_their_teams_sets(alice_client, alice, bob):
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/sets/"' in page and "Make one from search results or a section" in page
    team = create_team(user=bob, name="读书会")
    Membership.objects.create(team=team, user=alice, role=Membership.Role.MEMBER)
    create_set(user=bob, title="团队题单", team=team, visibility="team")
    create_set(user=bob, title="策划中", team=team, visibility="private")  # curators only
    create_set(user=alice, title="我的题单")
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 sets, yours and your teams’" in page
