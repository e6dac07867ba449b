"""The team dashboard: progress per set and member, the team's weak spots, and what a plain
member may see of them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from qa import scheduling
from qa.models import Review, StudyState
from qa.selectors.sets import team_dashboard
from qa.services.sets import add_questions, create_set
from tests.factories import SectionFactory, UserFactory, bulk_questions

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_progress_and_weak_spots(client, alice, bob, team):
    carol = UserFactory(display_name="Carol")
    dave = UserFactory(display_name="Dave")
    erin = UserFactory(display_name="Erin")
    for user in (bob, carol, dave, erin):
        Membership.objects.create(user=user, team=team)
    questions = bulk_questions(SectionFactory(), 4)
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=questions)
    now = timezone.now()
    for user, studied in ((bob, questions[:3]), (carol, questions[:1]), (dave, questions[:1]),
                          (erin, questions[:1])):
        for q in studied:
            StudyState.objects.create(user=user, question=q, due=now, stability=2.0,
                                      difficulty=5.0, last_review=now - timedelta(days=3),
                                      state=StudyState.State.REVIEW)
    # questions[0]: all four failed it; questions[1]: bob passed.
    for i, (user, q, rating) in enumerate([(bob, questions[0], 1), (carol, questions[0], 1),
                                           (dave, questions[0], 1), (erin, questions[0], 1),
                                           (bob, questions[1], 3), (bob, questions[0], 3)]):
        Review.objects.create(user=user, question=q, rating=rating, answer_version=1,
                              token=f"t{i}")
    url = reverse("accounts:team-dashboard", args=[team.pk])

    client.force_login(bob)
    page = client.get(url).content.decode()
    assert "Basics" in page
    assert "3 / 4" in page  # bob's own progress
    assert 'data-member="' not in page  # no per-member rows for members
    weak = page[page.index('id="weak-spots"'):]
    assert questions[0].prompt in weak
    assert weak.index(questions[0].prompt) < weak.index("Lowest recall")
    assert "80%" in weak  # 4 of 5 grades "Again"
    recall = weak[weak.index("Lowest recall"):]
    assert "mean chance of recalling it now" in recall and questions[0].prompt in recall
    assert questions[3].prompt not in recall  # nobody studied it: not a recall weak spot
    assert "/admin/qa/errorreport/" not in page

    client.force_login(alice)
    page = client.get(url).content.decode()
    assert f'data-member="{carol.pk}"' in page and f'data-member="{bob.pk}"' in page
    assert "Carol" in page


def test_a_plain_member_sees_no_figure_that_is_one_other_person_s_record(client, alice, bob,
                                                                         team):
    Membership.objects.create(user=bob, team=team)
    question = bulk_questions(SectionFactory(), 1)[0]
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=[question])
    now = timezone.now()
    StudyState.objects.create(user=alice, question=question, due=now, stability=2.0,
                              difficulty=5.0, last_review=now - timedelta(days=3),
                              state=StudyState.State.REVIEW)
    Review.objects.create(user=alice, question=question, rating=1, answer_version=1,
                          token="t-alice")
    url = reverse("accounts:team-dashboard", args=[team.pk])

    client.force_login(bob)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Basics" in page and "0 / 1" in page  # bob's own progress
    assert "Started" not in page and "1 / 2" not in page  # that would be alice's
    weak = page[page.index('id="weak-spots"'):]
    assert question.prompt not in weak
    assert "The team is too small for its figures" in page
    assert "No one has graded" not in weak
    assert "The team is too small for its weak spots" in weak
    assert "Most often forgotten" not in weak and "Lowest recall" not in weak  # no empty lists

    client.force_login(alice)  # the owner sees it all
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Started" in page and "1 / 2" in page
    assert "1 person" in page[page.index('id="weak-spots"'):]


def test_the_database_averages_recall_as_fsrs_computes_it_card_by_card(alice, bob, team):
    """The team's mean chance of recall per question, averaged by the database, is the mean
    of scheduling.recall_probability() over the members' cards."""
    rng = random.Random(11)
    carol = UserFactory()
    Membership.objects.create(user=bob, team=team)
    Membership.objects.create(user=carol, team=team)
    questions = bulk_questions(SectionFactory(), 8)
    add_questions(study_set=create_set(user=alice, title="S", team=team), questions=questions)
    now = timezone.now()
    expected = {}
    for question in questions:
        values = []
        for user in (alice, bob, carol):
            stability = rng.uniform(0.2, 3.0)
            # Long ago (low recall, so each question is a weak spot), or not yet (a clock
            # ahead of the database's), or never reviewed.
            last_review = rng.choice([
                now - timedelta(days=rng.randint(5, 200), seconds=rng.uniform(0, 86399)),
                now + timedelta(hours=2),
                None,
            ])
            StudyState.objects.create(user=user, question=question, due=now, stability=stability,
                                      difficulty=5.0, last_review=last_review,
                                      state=StudyState.State.REVIEW)
            values.append(scheduling.recall_probability(stability, last_review, now))
        expected[question.pk] = sum(values) / len(values)
    dashboard = team_dashboard(team=team, membership=Membership.objects.get(user=alice, team=team),
                               now=now)
    got = {spot.question.pk: spot.mean_retrievability for spot in dashboard.by_retrievability}
    weak = {pk: mean for pk, mean in expected.items() if mean < scheduling.default_retention()}
    assert len(weak) >= 5
    assert got == pytest.approx(weak, abs=1e-12)
    assert {spot.studied_by for spot in dashboard.by_retrievability} == {3}


def test_well_remembered_questions_are_not_weak_spots(client, alice, bob, team):
    Membership.objects.create(user=bob, team=team)
    fresh, faded = bulk_questions(SectionFactory(), 2)
    add_questions(study_set=create_set(user=alice, title="S", team=team),
                  questions=[fresh, faded])
    now = timezone.now()
    for question, stability, days in ((fresh, 50.0, 1), (faded, 1.0, 20)):
        StudyState.objects.create(user=bob, question=question, due=now, stability=stability,
                                  difficulty=5.0, last_review=now - timedelta(days=days),
                                  state=StudyState.State.REVIEW)
    client.force_login(alice)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk])).content.decode()
    recall = page[page.index("Lowest recall"):]
    assert faded.prompt in recall
    assert fresh.prompt not in recall


def test_editors_get_the_error_report_queue_link(client, alice, team):
    from qa.editorial import make_editor

    questions = bulk_questions(SectionFactory(), 1)
    add_questions(study_set=create_set(user=alice, title="S", team=team), questions=questions)
    Review.objects.create(user=alice, question=questions[0], rating=1, answer_version=1,
                          token="t")
    alice.is_staff = True  # staff who may not see the reports get the report form instead
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk])).content.decode()
    assert "/admin/qa/errorreport/" not in page and "/report/" in page
    make_editor(alice)
    client.force_login(alice)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk])).content.decode()
    assert f"/admin/qa/errorreport/?question__id__exact={questions[0].pk}" in page


def test_ex_members_do_not_count_on_the_dashboard(client, alice, bob, team):
    questions = bulk_questions(SectionFactory(), 2)
    add_questions(study_set=create_set(user=alice, title="S", team=team), questions=questions)
    Review.objects.create(user=bob, question=questions[0], rating=1, answer_version=1,
                          token="t")  # bob is not (or no longer) a member
    client.force_login(alice)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk])).content.decode()
    assert "No one has graded" in page


def _studied(user, question, *ratings):
    now = timezone.now()
    StudyState.objects.create(user=user, question=question, due=now, stability=2.0,
                              difficulty=5.0, last_review=now - timedelta(days=3),
                              state=StudyState.State.REVIEW)
    for rating in ratings:
        Review.objects.create(user=user, question=question, rating=rating, answer_version=1,
                              token=f"{user.pk}-{question.pk}-{Review.objects.count()}")


def test_a_set_s_team_figures_wait_for_three_people_to_study_it_whatever_the_team_size(
        client, alice, bob, team):
    """In a team of three where only carol has studied, "23% · 1 / 3 started" is carol's own
    record: a plain member sees a set's team figures once three people have started it."""
    carol, dave = UserFactory(), UserFactory()
    for user in (bob, carol, dave):
        Membership.objects.create(user=user, team=team)
    questions = bulk_questions(SectionFactory(), 11)
    quiet = create_set(user=alice, title="Quiet set", team=team)
    busy = create_set(user=alice, title="Busy set", team=team)
    add_questions(study_set=quiet, questions=questions[:10])
    add_questions(study_set=busy, questions=questions[10:])
    for question in questions[:7]:
        _studied(carol, question)
    for user in (alice, carol, dave):
        _studied(user, questions[10])
    client.force_login(bob)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    quiet_row = page[page.index("Quiet set"):page.index("</tr>", page.index("Quiet set"))]
    busy_row = page[page.index("Busy set"):page.index("</tr>", page.index("Busy set"))]
    assert "0 / 10" in quiet_row  # bob's own
    assert "1 / 4" not in quiet_row and "18%" not in quiet_row  # carol's record
    assert "3 / 4" in busy_row and "75%" in busy_row  # three people: blended
    assert "once at least 3 members besides you have started it" in page

    client.force_login(alice)  # the owner sees every figure
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 / 4" in page[page.index("Quiet set"):]
    assert "members besides you" not in page


def test_a_plain_member_sees_the_weak_spots_three_people_studied_past_ten_of_one_person(
        client, alice, bob, team):
    carol, dave = UserFactory(), UserFactory()
    for user in (bob, carol, dave):
        Membership.objects.create(user=user, team=team)
    questions = bulk_questions(SectionFactory(), 12)
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=questions)
    for question in questions[:10]:  # only carol: each 100% "Again"
        _studied(carol, question, Review.Rating.AGAIN)
    for user in (alice, carol, dave):  # three people, 50% "Again"
        StudyState.objects.filter(user=user, question=questions[10]).delete()
        _studied(user, questions[10], Review.Rating.AGAIN, Review.Rating.GOOD)
    StudyState.objects.filter(question=questions[10]).update(
        last_review=timezone.now() - timedelta(days=400))  # and low recall
    client.force_login(bob)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    weak = page[page.index('id="weak-spots"'):]
    forgotten = weak[:weak.index("Lowest recall")]
    recall = weak[weak.index("Lowest recall"):]
    assert questions[10].prompt in forgotten and "50%" in forgotten
    assert questions[10].prompt in recall
    assert not any(q.prompt in weak for q in questions[:10])


def test_owners_see_every_set_s_figures_even_before_anyone_started(client, alice, bob, team):
    Membership.objects.create(user=bob, team=team)
    study_set = create_set(user=alice, title="Untouched", team=team)
    add_questions(study_set=study_set, questions=bulk_questions(SectionFactory(), 2))
    client.force_login(alice)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index("Untouched"):page.index("</tr>", page.index("Untouched"))]
    assert "0 / 2" in row and "Started" in page
    assert "members have started it" not in page


def test_a_question_forgotten_by_many_comes_before_one_forgotten_once(alice, bob, team):
    """"Most often forgotten" ranks by how surely a question is hard, not by its bare rate: one
    "Again" of one grade (100%) says less than 9 of 10 grades by five people (90%), and more
    than 1 of 20."""
    people = [bob, *(UserFactory() for _ in range(4))]
    for user in people:
        Membership.objects.create(user=user, team=team)
    once, many, rarely = bulk_questions(SectionFactory(), 3)
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=[once, many, rarely])
    _studied(bob, once, Review.Rating.AGAIN)
    for user in people:
        _studied(user, many, Review.Rating.AGAIN, Review.Rating.GOOD if user is bob
                 else Review.Rating.AGAIN)
    _studied(bob, rarely, Review.Rating.AGAIN, *[Review.Rating.GOOD] * 3)
    for user in people[1:]:
        _studied(user, rarely, *[Review.Rating.GOOD] * 4)
    owner = Membership.objects.get(user=alice, team=team)
    board = team_dashboard(team=team, membership=owner)
    assert [s.question for s in board.by_again] == [many, once, rarely]
    assert [s.again_percent for s in board.by_again] == [90, 100, 5]


def test_a_plain_member_s_own_record_does_not_unlock_the_others(client, alice, bob, team):
    """In a team of three, bob's own progress made "3 started" of two others: 83% with bob at
    4 of 8 told him both others had finished. Team figures wait for three members besides
    the one looking, and a team too small for that says so."""
    carol = UserFactory()
    for user in (bob, carol):
        Membership.objects.create(user=user, team=team)
    questions = bulk_questions(SectionFactory(), 8)
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=questions)
    for question in questions:
        _studied(alice, question, Review.Rating.AGAIN)
        _studied(carol, question, Review.Rating.AGAIN)
    for question in questions[:4]:
        _studied(bob, question, Review.Rating.AGAIN)
    client.force_login(bob)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index("Basics"):page.index("</tr>", page.index("Basics"))]
    assert "4 / 8" in row  # bob's own
    assert "83%" not in row and "3 / 3" not in row and "2 / 3" not in row
    weak = page[page.index('id="weak-spots"'):]
    assert not any(q.prompt in weak for q in questions)
    assert "members besides you" in page
    assert "too small" in page

    dave, erin = UserFactory(), UserFactory()
    for user in (dave, erin):
        Membership.objects.create(user=user, team=team)
        for question in questions[:2]:
            _studied(user, question, Review.Rating.GOOD)
    page = client.get(reverse("accounts:team-dashboard", args=[team.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index("Basics"):page.index("</tr>", page.index("Basics"))]
    assert "5 / 5" in row  # four others started: blended
    assert "too small" not in page


def test_grades_given_before_a_correction_do_not_make_a_weak_spot(alice, bob, team):
    """Failures of an answer the editors have since corrected say nothing of the question."""
    from qa.models import Question

    question = bulk_questions(SectionFactory(), 1)[0]
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=[question])
    for user in (alice, bob):
        Membership.objects.get_or_create(user=user, team=team)
        Review.objects.create(user=user, question=question, rating=1, answer_version=1,
                              token=f"old-{user.pk}")
    owner = Membership.objects.get(user=alice, team=team)
    assert [s.question for s in team_dashboard(team=team, membership=owner).by_again] == [question]
    Question.objects.filter(pk=question.pk).update(answer_version=2)
    assert team_dashboard(team=team, membership=owner).by_again == []
    Review.objects.create(user=bob, question=question, rating=1, answer_version=2, token="new")
    spots = team_dashboard(team=team, membership=owner).by_again
    assert [(s.question, s.again, s.reviews) for s in spots] == [(question, 1, 1)]


@pytest.mark.parametrize(("part", "whole", "said"), [
    (0, 0, 0), (0, 5, 0), (5, 5, 100), (199, 200, 99), (1, 200, 1), (1, 201, 1), (1, 2, 50),
])
def test_a_share_says_all_or_none_only_when_it_is(part, whole, said):
    from qa.selectors.sets import share_percent

    assert share_percent(part, whole) == said
