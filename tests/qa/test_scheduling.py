"""FSRS transitions through qa.scheduling (no database: StudyState rows are built unsaved)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qa import scheduling
from qa.models import StudyState

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


def row(**fields) -> StudyState:
    return StudyState(pk=7, due=NOW, **fields)


def learning(step: int = 0) -> StudyState:
    # What a new card looks like after its first Good/Hard: short-term stability, step set.
    fields = scheduling.apply(None, GOOD if step else HARD, NOW - timedelta(minutes=10),
                              fuzz=False)
    return row(state=scheduling.LEARNING, step=step, stability=fields.stability,
               difficulty=fields.difficulty, last_review=NOW - timedelta(minutes=10))


def review(days_ago: int = 10, stability: float = 10.0) -> StudyState:
    return row(state=scheduling.REVIEW, step=None, stability=stability, difficulty=5.0,
               last_review=NOW - timedelta(days=days_ago))


def relearning() -> StudyState:
    return row(state=scheduling.RELEARNING, step=0, stability=2.0, difficulty=7.0,
               last_review=NOW - timedelta(minutes=10))


def apply(state, rating, retention=0.9):
    return scheduling.apply(state, rating, NOW, retention, fuzz=False)


# --- new --------------------------------------------------------------------------------


def test_new_again_stays_learning_for_one_minute():
    fields = apply(None, AGAIN)
    assert (fields.state, fields.step) == (scheduling.LEARNING, 0)
    assert fields.due == NOW + timedelta(minutes=1)
    assert fields.last_review == NOW
    assert fields.stability is not None and fields.difficulty is not None


def test_new_hard_waits_between_the_two_learning_steps():
    fields = apply(None, HARD)
    assert (fields.state, fields.step) == (scheduling.LEARNING, 0)
    assert fields.due == NOW + timedelta(minutes=5, seconds=30)


def test_new_good_moves_to_the_second_learning_step():
    fields = apply(None, GOOD)
    assert (fields.state, fields.step) == (scheduling.LEARNING, 1)
    assert fields.due == NOW + timedelta(minutes=10)


def test_new_easy_graduates_straight_to_review_days_later():
    fields = apply(None, EASY)
    assert fields.state == scheduling.REVIEW
    assert fields.step is None
    assert fields.due - NOW >= timedelta(days=1)


def test_first_grades_set_difficulty_lower_for_easier_ratings():
    difficulties = [apply(None, r).difficulty for r in (AGAIN, HARD, GOOD, EASY)]
    assert difficulties == sorted(difficulties, reverse=True)


# --- learning ---------------------------------------------------------------------------


def test_learning_again_goes_back_to_the_first_step():
    fields = apply(learning(step=1), AGAIN)
    assert (fields.state, fields.step) == (scheduling.LEARNING, 0)
    assert fields.due == NOW + timedelta(minutes=1)


def test_learning_hard_repeats_the_step():
    fields = apply(learning(step=1), HARD)
    assert (fields.state, fields.step) == (scheduling.LEARNING, 1)
    assert fields.due == NOW + timedelta(minutes=10)


def test_learning_good_on_the_last_step_graduates_to_review():
    fields = apply(learning(step=1), GOOD)
    assert fields.state == scheduling.REVIEW
    assert fields.due - NOW >= timedelta(days=1)


def test_learning_easy_graduates_to_review():
    fields = apply(learning(step=0), EASY)
    assert fields.state == scheduling.REVIEW
    assert fields.step is None


# --- review -----------------------------------------------------------------------------


def test_review_again_lapses_into_relearning_for_ten_minutes():
    fields = apply(review(), AGAIN)
    assert (fields.state, fields.step) == (scheduling.RELEARNING, 0)
    assert fields.due == NOW + timedelta(minutes=10)
    assert fields.stability < 10.0


@pytest.mark.parametrize("rating", [HARD, GOOD, EASY])
def test_review_recall_stays_in_review_with_a_longer_stability(rating):
    fields = apply(review(), rating)
    assert fields.state == scheduling.REVIEW
    assert fields.stability > 10.0
    assert fields.due - NOW >= timedelta(days=1)


def test_review_intervals_grow_from_hard_to_easy():
    hard, good, easy = (apply(review(), r).due for r in (HARD, GOOD, EASY))
    assert hard < good < easy


# --- relearning -------------------------------------------------------------------------


def test_relearning_again_restarts_the_relearning_step():
    fields = apply(relearning(), AGAIN)
    assert (fields.state, fields.step) == (scheduling.RELEARNING, 0)
    assert fields.due == NOW + timedelta(minutes=10)


def test_relearning_hard_waits_one_and_a_half_steps():
    fields = apply(relearning(), HARD)
    assert fields.state == scheduling.RELEARNING
    assert fields.due == NOW + timedelta(minutes=15)


@pytest.mark.parametrize("rating", [GOOD, EASY])
def test_relearning_good_or_easy_returns_to_review(rating):
    fields = apply(relearning(), rating)
    assert fields.state == scheduling.REVIEW
    assert fields.step is None
    assert fields.due - NOW >= timedelta(days=1)


# --- retention, fuzz, input -------------------------------------------------------------


def test_higher_desired_retention_brings_reviews_back_sooner():
    relaxed = apply(review(stability=30), GOOD, retention=0.8).due
    default = apply(review(stability=30), GOOD, retention=0.9).due
    strict = apply(review(stability=30), GOOD, retention=0.97).due
    assert strict < default < relaxed


def test_retention_is_clamped_to_the_allowed_range():
    assert apply(review(), GOOD, retention=0.999).due == apply(review(), GOOD, retention=0.99).due
    assert apply(review(), GOOD, retention=0.1).due == apply(review(), GOOD, retention=0.7).due


def test_one_scheduler_is_built_per_retention():
    assert scheduling.scheduler_for(0.9) is scheduling.scheduler_for(0.9)
    assert scheduling.scheduler_for(0.9) is not scheduling.scheduler_for(0.85)


def test_fuzz_keeps_long_intervals_close_to_the_computed_one():
    exact = apply(review(stability=60), GOOD).due - NOW
    for _ in range(20):
        fuzzed = scheduling.apply(review(stability=60), GOOD, NOW, 0.9, fuzz=True).due - NOW
        assert abs(fuzzed - exact) <= exact * 0.1 + timedelta(days=1)


def test_fuzz_setting_off_gives_deterministic_dates(settings):
    settings.FSRS_ENABLE_FUZZING = False
    dates = {scheduling.apply(review(stability=60), GOOD, NOW).due for _ in range(10)}
    assert len(dates) == 1


@pytest.mark.parametrize("bad", [0, 5, 7, -1, True])
def test_invalid_rating_is_refused(bad):
    with pytest.raises(ValueError):
        scheduling.apply(None, bad, NOW)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        scheduling.apply(None, GOOD, datetime(2025, 3, 1, 12, 0))


def test_aware_non_utc_datetimes_are_converted_to_utc():
    shanghai = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
    assert scheduling.apply(None, GOOD, shanghai).due == NOW + timedelta(minutes=10)


# --- preview labels, retrievability -----------------------------------------------------


def test_preview_matches_what_apply_would_do_without_fuzz():
    state = review()
    previews = scheduling.preview(state, NOW)
    for rating in (AGAIN, HARD, GOOD, EASY):
        assert previews[rating] == apply(state, rating).due


def test_preview_labels_for_a_new_card():
    assert scheduling.preview_labels(None, NOW) == {
        AGAIN: "1m", HARD: "6m", GOOD: "10m", EASY: scheduling.humanize_interval(
            apply(None, EASY).due - NOW),
    }


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(seconds=20), "<1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=12), "12d"),
        (timedelta(days=96), "3.2mo"),
        (timedelta(days=90), "3mo"),
        (timedelta(days=548), "1.5y"),
        # Rounded into the next unit, named in it: never "60m", "24h", "30d" nor "12.1mo".
        (timedelta(minutes=59, seconds=40), "1h"),
        (timedelta(hours=23, minutes=40), "1d"),
        (timedelta(days=29, hours=14), "1mo"),
        (timedelta(days=363), "1y"),
        (timedelta(days=350), "11.7mo"),
    ],
)
def test_humanize_interval(delta, label):
    assert scheduling.humanize_interval(delta) == label


def test_retrievability_is_zero_for_a_new_question():
    assert scheduling.retrievability(None, NOW) == 0.0


def test_retrievability_falls_as_time_passes():
    state = review(days_ago=0, stability=10)
    soon = scheduling.retrievability(state, NOW + timedelta(days=1))
    later = scheduling.retrievability(state, NOW + timedelta(days=30))
    assert 1.0 >= soon > later > 0.0
    # By definition, recall probability is 90% after `stability` days.
    assert scheduling.retrievability(state, NOW + timedelta(days=10)) == pytest.approx(0.9)


@pytest.mark.parametrize("retention", [0.7, 0.85, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("stability", [0.37, 2.3065, 9.5, 41.2, 365.25])
def test_the_mastery_horizon_is_where_recall_falls_below_the_retention(retention, stability):
    last_day = math.floor(stability * scheduling.mastery_horizon(retention))
    at = NOW - timedelta(days=last_day, hours=23)  # the last whole day still counted as in
    past = NOW - timedelta(days=last_day + 1)
    assert scheduling.recall_probability(stability, at, NOW) >= retention
    assert scheduling.recall_probability(stability, past, NOW) < retention


@pytest.mark.parametrize("make", [learning, review, relearning], ids=["learning", "review",
                                                                     "relearning"])
def test_recall_probability_from_two_columns_is_what_fsrs_computes_for_the_whole_card(make):
    state = make()
    for later in (timedelta(0), timedelta(hours=5), timedelta(days=1), timedelta(days=9),
                  timedelta(days=40), -timedelta(days=2)):
        now = NOW + later
        card = scheduling.to_card(state, now)
        expected = scheduling.scheduler_for().get_card_retrievability(card, now)
        assert scheduling.recall_probability(state.stability, state.last_review, now) == expected
        assert scheduling.retrievability(state, now) == expected
    assert scheduling.recall_probability(None, NOW, NOW) == 0.0
    assert scheduling.recall_probability(3.0, None, NOW) == 0.0


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(minutes=59, seconds=40), "1 hour"),
        (timedelta(hours=23, minutes=40), "1 day"),
        (timedelta(days=29, hours=14), "1 month"),
        (timedelta(days=360), "1 year"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(days=45), "2 months"),
    ],
)
def test_describe_interval_names_a_rounded_value_in_its_own_unit(delta, said):
    from django.utils import translation

    with translation.override("en"):
        assert scheduling.describe_interval(delta) == said


@pytest.mark.parametrize("days", [1, 29.6, 30, 200, 345, 346, 350, 358, 359, 400, 800])
def test_a_page_names_an_interval_in_the_unit_its_grade_button_did(days):
    from django.utils import translation

    units = {"mo": "month", "y": "year", "d": "day"}
    delta = timedelta(days=days)
    with translation.override("en"):
        label, said = scheduling.humanize_interval(delta), scheduling.describe_interval(delta)
    unit = units[label.lstrip("0123456789.")]
    assert said.split(" ")[1].rstrip("s") == unit, (label, said)
