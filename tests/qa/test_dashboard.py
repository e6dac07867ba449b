"""The learner's home page (dashboard) and the query counts of every study page."""

from __future__ import annotations

import random
import re
import uuid
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa import scheduling
from qa.models import Question, Review
from qa.selectors import study as selectors
from qa.services import answering
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    ErrorReportFactory,
    NoteFactory,
    SectionFactory,
    StudyStateFactory,
    bulk_questions,
)

pytestmark = pytest.mark.django_db


def review(user, question, rating=3, when=None):
    Review.objects.create(user=user, question=question, rating=rating, answer_version=1,
                          token=uuid.uuid4().hex, reviewed_at=when or timezone.now())


def populate(user, *, sections: int, per_section: int, days: int):
    """Study history of a given size: states, reviews on many days, bookmarks, notes, mistakes."""
    now = timezone.now()
    questions = []
    for s in range(sections):
        section = SectionFactory(title=f"第{s}篇")
        questions += bulk_questions(section, per_section, start=s * 1000 + 1)
    for i, q in enumerate(questions):
        if i % 3 == 2:
            continue  # leave some new
        StudyStateFactory(user=user, question=q, due=now + timedelta(days=(i % 5) - 2),
                          lapses=4 if i % 7 == 0 else 0)
        review(user, q, rating=1 if i % 4 == 0 else 3, when=now - timedelta(days=i % days))
        if i % 2 == 0:
            BookmarkFactory(user=user, question=q)
            NoteFactory(user=user, question=q)
    return questions


def test_visitors_see_the_landing_page_not_a_dashboard(client):
    html = client.get("/").content.decode()
    assert "Create a free account" in html and "Your year" not in html


def test_dashboard_shows_due_new_streak_and_mastery(alice_client, alice):
    now = timezone.now()
    section = SectionFactory(title="进阶篇")
    q1, q2, q3, _q4 = bulk_questions(section, 4)
    StudyStateFactory(user=alice, question=q1, due=now - timedelta(hours=1))
    # Mastered: in review, reviewed today with a long stability.
    StudyStateFactory(user=alice, question=q2, due=now + timedelta(days=30), stability=50.0,
                      last_review=now)
    StudyStateFactory(user=alice, question=q3, due=now + timedelta(days=3))
    for days_ago in (0, 1, 2):
        review(alice, q1, when=now - timedelta(days=days_ago))
    html = alice_client.get("/").content.decode()
    stats = {label: value for value, label in re.findall(
        r'<span class="value">(\d+)</span><span class="label">([^<]+)', html)}
    assert stats["due today"] == "1"
    assert re.search(r'<span class="value">1</span><span class="label">new available today', html)
    assert stats["days in a row"] == "3"
    assert "1 of 4 mastered (25%)" in html
    assert "at least 90% likely to be remembered right now" in html
    assert "Review 1 due question" in html
    assert html.count("<rect class=\"hm-") >= 7 * 52
    assert "3 reviews in the last year" in html


def test_the_due_tile_says_when_the_cards_due_later_today_come(alice_client, alice):
    """"3 due today" beside "0 questions due now" would read as a contradiction."""
    now = timezone.now()
    # A zone where the day has hours left after the cards come due.
    alice.time_zone = next(zone for zone in ("Asia/Shanghai", "Europe/London",
                                             "America/New_York", "Pacific/Honolulu")
                           if 6 <= now.astimezone(zoneinfo.ZoneInfo(zone)).hour < 18)
    alice.save(update_fields=["time_zone"])
    first, second, third = bulk_questions(SectionFactory(), 3)
    StudyStateFactory(user=alice, question=first, due=now + timedelta(minutes=10))
    StudyStateFactory(user=alice, question=second, due=now + timedelta(minutes=50))
    StudyStateFactory(user=alice, question=third, due=now + timedelta(days=3))
    html = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0 questions due now · 2 more later today, the next in 10 minutes" in html


def test_each_day_of_the_heatmap_says_how_many_reviews_it_had(alice_client, alice, settings):
    settings.LANGUAGE_CODE = "en"
    question = bulk_questions(SectionFactory(), 1)[0]
    now = timezone.now()
    for _ in range(3):
        review(alice, question, when=now)
    html = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    today = selectors.local_date(now, alice.zone)
    yesterday = today - timedelta(days=1)
    assert f"<title>3 reviews on {today:%b}" in html.replace(".", "")
    assert re.search(r'<rect class="hm-4"[^>]*><title>3 reviews on ', html)
    assert re.search(r'<rect class="hm-0"[^>]*><title>0 reviews on ', html)
    assert f"{yesterday.day}, {yesterday.year}</title>" in html
    html = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"<title>{today.year}年{today.month}月{today.day}日 复习了 3 次</title>" in html


def test_section_totals_follow_the_bank_when_questions_are_published_or_retired(
    alice_client, alice
):
    section = SectionFactory(title="进阶篇")
    questions = bulk_questions(section, 4)
    assert "0 of 4 mastered" in alice_client.get("/").content.decode()
    questions[0].status = Question.Status.RETIRED
    questions[0].save()
    html = alice_client.get("/").content.decode()
    assert "0 of 3 mastered" in html and "3 new" in html
    other = SectionFactory(title="新篇")
    bulk_questions(other, 2)  # a bulk import sends no signals ...
    other.save()  # ... but saving the section does, as the importer and editors do
    assert "新篇" in alice_client.get("/").content.decode()


def test_only_questions_first_reviewed_today_count_against_the_new_limit(alice):
    now = timezone.now()
    day_start, _end = selectors.local_day_bounds(now, alice.zone)
    yesterday = day_start - timedelta(hours=3)
    again, fresh, old = bulk_questions(SectionFactory(), 3)
    for question, when in ((again, yesterday), (again, now), (fresh, now), (fresh, now),
                           (old, yesterday)):
        review(alice, question, when=when)
    quota = selectors.new_quota(user=alice, now=now)
    assert quota["introduced"] == 1  # `fresh`, reviewed twice today, and nothing else


def test_streak_counts_back_from_today_or_yesterday():
    today = date(2025, 5, 10)
    counts = {today - timedelta(days=d): 1 for d in (1, 2, 3, 5)}
    assert selectors.streak(counts, today) == 3
    counts[today] = 2
    assert selectors.streak(counts, today) == 4
    assert selectors.streak({today - timedelta(days=2): 1}, today) == 0


def test_heatmap_is_53_weeks_with_shades_by_count():
    today = date(2025, 5, 14)  # a Wednesday
    heat = selectors.heatmap({today: 8, today - timedelta(days=1): 2}, today)
    assert len(heat["cells"]) == 52 * 7 + 3
    assert heat["cells"][-1]["date"] == today and heat["cells"][-1]["level"] == 4
    assert heat["cells"][-2]["level"] == 1 and heat["cells"][0]["level"] == 0
    assert heat["cells"][0]["date"].weekday() == 0
    assert 11 <= len(heat["months"]) <= 13


def test_heatmap_days_are_local_dates(alice, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    q = bulk_questions(SectionFactory(), 1)[0]
    # 23:30 UTC on May 1st is already May 2nd in Shanghai.
    when = datetime(2025, 5, 1, 23, 30, tzinfo=UTC)
    review(alice, q, when=when)
    assert selectors.review_days(user=alice, since=date(2025, 4, 1)) == {date(2025, 5, 2): 1}


def test_a_learner_s_days_are_those_of_their_own_time_zone(alice_client, alice, settings):
    """A Berlin learner reviewing at 16:30 and, the next day, at 18:30 has a two-day streak,
    though those are Shanghai's 12th and 14th (in summer as in winter)."""
    settings.TIME_ZONE = "Asia/Shanghai"
    q = bulk_questions(SectionFactory(), 1)[0]
    now = timezone.now()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.localtime(now, berlin).date()
    if timezone.localtime(now, berlin).time() < time(18, 35):
        today -= timedelta(days=1)  # the second review must not be in the future
    first = datetime.combine(today - timedelta(days=1), time(16, 30), tzinfo=berlin)
    second = datetime.combine(today, time(18, 30), tzinfo=berlin)
    review(alice, q, when=first)
    review(alice, q, when=second)
    assert selectors.dashboard(user=alice, now=second)["streak"] == 1  # Shanghai's days
    response = alice_client.post(reverse("accounts:settings"), {
        "display_name": "Alice", "time_zone": "Europe/Berlin", "desired_retention": "0.9",
        "daily_new_limit": "20", "credit_in_corrections": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Berlin"
    assert selectors.dashboard(user=alice, now=second)["streak"] == 2
    assert selectors.review_days(user=alice, since=first.date()) == {first.date(): 1,
                                                                     second.date(): 1}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "PRC", "Etc/GMT+8",
                                  # old names of a place's zone, kept for compatibility
                                  "Asia/Chongqing", "Asia/Calcutta"])
def test_a_time_zone_that_is_not_a_place_s_is_refused_and_changes_nothing(alice_client, alice,
                                                                          zone):
    """Offered: the zones of places, by region, with their offset now; not the database's
    aliases ("Etc/GMT+8" is UTC-8), nor, where the system lists zones by country, old names."""
    from accounts.forms import _listed_zones

    if "/" in zone and zone.startswith("Asia/") and _listed_zones() is None:
        pytest.skip("this system has no zone.tab: old names stay offered")
    page = alice_client.get(reverse("accounts:settings"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<option value="Europe/Berlin">Europe/Berlin (UTC+0' in page.content.decode()
    assert '<option value="Asia/Shanghai">' in page.content.decode()
    response = alice_client.post(reverse("accounts:settings"), {
        "display_name": "Alice", "time_zone": zone, "desired_retention": "0.9",
        "daily_new_limit": "20"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_mastery_uses_the_learners_desired_retention(alice):
    now = timezone.now()
    section = SectionFactory()
    q = bulk_questions(section, 1)[0]
    state = StudyStateFactory(user=alice, question=q, stability=90.0,
                              last_review=now - timedelta(days=30))
    r = scheduling.retrievability(state, now)
    alice.desired_retention = round(r - 0.02, 2)
    assert selectors.dashboard(user=alice, now=now)["bank_progress"][0]["sections"][0].mastered == 1
    alice.desired_retention = round(r + 0.02, 2)
    assert selectors.dashboard(user=alice, now=now)["bank_progress"][0]["sections"][0].mastered == 0


def test_a_card_just_out_of_learning_is_likely_remembered_but_not_yet_mastered(alice):
    """Right after a review every card is likely to be remembered: mastery also needs FSRS to
    expect it to last (the mistakes list and "mastered" disagreed the day after)."""
    now = timezone.now()
    fresh, lasting = bulk_questions(SectionFactory(), 2)
    for question, stability in ((fresh, 3.2), (lasting, 25.0)):
        StudyStateFactory(user=alice, question=question, stability=stability, last_review=now,
                          due=now + timedelta(days=stability))
    assert selectors.dashboard(user=alice, now=now)["bank_progress"][0]["sections"][0].mastered == 1


@pytest.mark.parametrize("retention", [0.8, 0.9, 0.97])
def test_the_database_counts_per_section_what_fsrs_computes_per_card(alice, retention):
    """The dashboard counts mastered, due and studied cards in the database; each count is the
    one recall_probability() card by card gives (random cards on either side of the line)."""
    rng = random.Random(7)
    now = timezone.now()
    sections = [SectionFactory(title=f"第{n}篇") for n in range(3)]
    expected = {s.pk: {"studied": 0, "due": 0, "mastered": 0} for s in sections}
    for n, question in enumerate(
        q for i, s in enumerate(sections) for q in bulk_questions(s, 40, start=i * 100 + 1)
    ):
        state = rng.choice([scheduling.LEARNING, scheduling.REVIEW, scheduling.REVIEW,
                            scheduling.RELEARNING])
        # Short and long stabilities: mastery needs a long one at a high retention.
        stability = rng.choice([rng.uniform(0.3, 60.0), rng.uniform(60.0, 300.0)])
        # Whole days since the last review from -1 to 90, at a random time of day.
        last_review = now - timedelta(days=rng.randint(-1, 90), seconds=rng.uniform(0, 86399))
        due = now + timedelta(hours=rng.uniform(-72, 72))
        StudyStateFactory(user=alice, question=question, state=state, stability=stability,
                          last_review=last_review if n % 17 else None, due=due)
        counts = expected[question.section_id]
        counts["studied"] += 1
        counts["due"] += due <= now
        counts["mastered"] += (
            state == scheduling.REVIEW and n % 17 != 0
            and stability * scheduling.mastery_horizon(retention)
            >= scheduling.MASTERED_INTERVAL_DAYS
            and scheduling.recall_probability(stability, last_review, now) >= retention
        )
    alice.desired_retention = retention
    rows = [r for entry in selectors.dashboard(user=alice, now=now)["bank_progress"]
            for r in entry["sections"]]
    got = {r.section.pk: {"studied": r.studied, "due": r.due, "mastered": r.mastered}
           for r in rows}
    assert got == expected
    assert 0 < sum(c["mastered"] for c in got.values()) < sum(c["studied"] for c in got.values())


# --- query counts at two data sizes ---------------------------------------------------------


@pytest.mark.parametrize("page", ["dashboard", "bookmarks", "notes", "mistakes", "quiz-card",
                                  "summary"])
def test_study_pages_run_the_same_number_of_queries_at_two_sizes(
    client, count_queries, django_user_model, page
):
    counts = []
    for size, (sections, per_section, days) in enumerate([(1, 3, 2), (4, 25, 40)]):
        user = django_user_model.objects.create_user(email=f"size{size}@example.com")
        client.force_login(user)
        questions = populate(user, sections=sections, per_section=per_section, days=days)
        section = questions[0].section
        if page == "quiz-card":
            quiz = services.start_quiz(user=user, mode="section", section=section)
            answering.reveal(user=user, quiz_item=quiz.items.first())
            url = reverse("qa:quiz", kwargs={"pk": quiz.pk})
        elif page == "summary":
            # A mock interview's summary lists every question with grade buttons.
            quiz = services.start_quiz(user=user, mode="mock", count=per_section)
            services.finish_quiz(user=user, quiz=quiz)
            url = reverse("qa:quiz", kwargs={"pk": quiz.pk})
        else:
            url = {"dashboard": "/", "bookmarks": reverse("qa:bookmarks"),
                   "notes": reverse("qa:notes"), "mistakes": reverse("qa:mistakes")}[page]
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(queries)
    assert len(counts[0]) == len(counts[1]), (counts[0], counts[1])


def test_a_streak_longer_than_the_heatmap_is_counted_whole(alice):
    question = bulk_questions(SectionFactory(), 1)[0]
    now = timezone.now()
    Review.objects.bulk_create(
        Review(user=alice, question=question, rating=3, answer_version=1,
               token=uuid.uuid4().hex, reviewed_at=now - timedelta(days=d))
        for d in range(800)
    )
    assert selectors.dashboard(user=alice, now=now)["streak"] == 800


def test_the_bank_s_words_carry_its_language_on_the_dashboard_and_my_reports(alice_client,
                                                                             alice):
    """Screen readers read the bank's Chinese with a Chinese voice on an English page."""
    section = SectionFactory(title="基础篇", bank__title="大模型面试", bank__language="zh-hans")
    question = bulk_questions(section, 2)[0]
    services.start_quiz(user=alice, mode="section", section=section)
    ErrorReportFactory(reporter=alice, question=question)
    lang = 'lang="zh-hans"'
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<h3 {lang}>大模型面试</h3>' in page
    assert f'{lang}>基础篇</a>' in page  # mastery
    section_url = reverse("qa:section", args=[section.bank.slug, section.key])
    assert f'<a href="{section_url}" {lang}>基础篇</a>' in page  # the section, not its bank
    bank_list = alice_client.get(reverse("qa:bank-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'<h2 {lang}>大模型面试</h2>' in bank_list.content.decode()
    bank_page = alice_client.get(reverse("qa:bank", args=[section.bank.slug]),
                                 HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<h1 {lang}>大模型面试</h1>' in bank_page and f'{lang}>基础篇</a>' in bank_page
    section_page = alice_client.get(section_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<h1 {lang}>基础篇</h1>' in section_page
    assert f'<span {lang}>基础篇</span>' in page  # pick up where you left off
    assert f'{lang}>大模型面试 · 基础篇</option>' in page  # mock interview
    reports = alice_client.get(reverse("qa:my-reports"),
                               HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'{lang}>{question.prompt}' in reports


def test_a_new_learner_is_welcomed_and_one_who_studied_welcomed_back(alice_client, alice):
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Welcome, Alice" in page and "Welcome back" not in page
    # Studied more than a year ago: outside the heatmap, still a returning learner.
    question = bulk_questions(SectionFactory(), 1)[0]
    StudyStateFactory(user=alice, question=question, due=timezone.now())
    review(alice, question, when=timezone.now() - timedelta(days=400))
    assert "Welcome back, Alice" in alice_client.get(
        "/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_zone_kept_from_before_the_list_was_narrowed_stays_chosen(alice_client, alice):
    from accounts.models import User

    User.objects.filter(pk=alice.pk).update(time_zone="US/Pacific")
    page = alice_client.get(reverse("accounts:settings")).content.decode()
    assert '<option value="US/Pacific" selected>' in page
    assert 'max="0.99"' in page and 'max="500"' in page  # the other fields' bounds stay
    response = alice_client.post(reverse("accounts:settings"), {
        "display_name": "Alice B", "time_zone": "US/Pacific", "desired_retention": "0.9",
        "daily_new_limit": "20"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.time_zone) == ("Alice B", "US/Pacific")
