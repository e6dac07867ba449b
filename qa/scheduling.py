"""FSRS scheduling: the only module that knows about the `fsrs` package.

A learner's `StudyState` row holds the FSRS card fields as columns; this module converts a row
(or no row: a new question) to an `fsrs.Card`, reviews it, and hands back plain values.

Fuzz: FSRS spreads review-state intervals by a few percent at random, so cards learned together
do not all come back on the same day. That is good for real use, so `apply` fuzzes by default
(setting `FSRS_ENABLE_FUZZING`, default on). The grade-button labels (`preview`) never fuzz:
they show the interval FSRS computes, which the fuzzed one stays close to. Tests that pin exact
dates pass `fuzz=False` or turn the setting off.

All datetimes are timezone-aware UTC; fsrs refuses anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fsrs import Card, Rating, Scheduler, State

if TYPE_CHECKING:
    from qa.models import StudyState

RATINGS = (1, 2, 3, 4)
MIN_RETENTION = 0.7
MAX_RETENTION = 0.99

# Named here so the rest of the code never imports fsrs for them.
LEARNING = int(State.Learning)
REVIEW = int(State.Review)
RELEARNING = int(State.Relearning)
AGAIN = int(Rating.Again)


@dataclass(frozen=True)
class CardFields:
    """The StudyState columns FSRS owns, after a review."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due,
            "last_review": self.last_review,
        }


def default_retention() -> float:
    return float(getattr(settings, "FSRS_DEFAULT_RETENTION", 0.9))


def _normalise_retention(retention: float | None) -> float:
    value = default_retention() if retention is None else float(retention)
    # Two decimals: the settings form works in hundredths, and it keeps the cache small.
    return round(min(max(value, MIN_RETENTION), MAX_RETENTION), 2)


@lru_cache(maxsize=64)
def _scheduler(retention: float, fuzz: bool) -> Scheduler:
    # Building a Scheduler validates 21 parameters; one per (retention, fuzz) is plenty.
    return Scheduler(desired_retention=retention, enable_fuzzing=fuzz)


def scheduler_for(retention: float | None = None, *, fuzz: bool = False) -> Scheduler:
    return _scheduler(_normalise_retention(retention), bool(fuzz))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: scheduling needs timezone-aware UTC datetimes")
    return value.astimezone(UTC)


def _check_rating(rating: int) -> Rating:
    if isinstance(rating, bool) or int(rating) not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    return Rating(int(rating))


def to_card(state: StudyState | None, now: datetime) -> Card:
    """The fsrs Card for a StudyState row; a fresh Learning card when there is no row yet."""
    now = _utc(now)
    if state is None:
        # card_id is irrelevant to scheduling; passing one avoids fsrs' 1 ms sleep.
        return Card(card_id=1, state=State.Learning, step=0, due=now)
    return Card(
        card_id=state.pk or 1,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_utc(state.due),
        last_review=_utc(state.last_review),
    )


def _fields(card: Card) -> CardFields:
    return CardFields(
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def apply(
    state: StudyState | None,
    rating: int,
    now: datetime,
    retention: float | None = None,
    *,
    fuzz: bool | None = None,
) -> CardFields:
    """Review the card with `rating` at `now`; returns the new FSRS fields (nothing is saved)."""
    if fuzz is None:
        fuzz = bool(getattr(settings, "FSRS_ENABLE_FUZZING", True))
    now = _utc(now)
    card, _log = scheduler_for(retention, fuzz=fuzz).review_card(
        to_card(state, now), _check_rating(rating), review_datetime=now
    )
    return _fields(card)


def preview(
    state: StudyState | None, now: datetime, retention: float | None = None
) -> dict[int, datetime]:
    """When the question would come back for each rating: {1: due, 2: due, 3: due, 4: due}."""
    now = _utc(now)
    scheduler = scheduler_for(retention, fuzz=False)
    card = to_card(state, now)
    return {
        rating: scheduler.review_card(card, Rating(rating), review_datetime=now)[0].due
        for rating in RATINGS
    }


def _interval_unit(delta: timedelta) -> tuple[str, float]:
    """The unit an interval is named in, and its value in that unit: the largest unit it
    reaches once rounded ("1 hour", never "60 minutes"), days up to a month, then months (of
    30 days, to a tenth), then years. The grade buttons and the pages name units alike."""
    minutes = max(delta.total_seconds(), 0) / 60
    if round(minutes) < 60:
        return "minute", minutes
    hours = minutes / 60
    if round(hours) < 24:
        return "hour", hours
    days = hours / 24
    if round(days) < 30:
        return "day", days
    if round(days / 30, 1) < 12:
        return "month", days / 30
    return "year", days / 365


def humanize_interval(delta: timedelta) -> str:
    """Short labels for grade buttons: "1m", "10m", "3h", "1d", "12d", "3.2mo", "1.5y"."""
    if delta.total_seconds() < 60:
        return _("<1m")
    unit, value = _interval_unit(delta)
    # Translators: very short interval labels on the grade buttons (m = minutes, h = hours,
    # d = days, mo = months, y = years).
    if unit == "minute":
        return _("%(n)dm") % {"n": round(value)}
    if unit == "hour":
        return _("%(n)dh") % {"n": round(value)}
    if unit == "day":
        return _("%(n)dd") % {"n": max(round(value), 1)}
    if unit == "month":
        return _("%(n)smo") % {"n": _one_decimal(value)}
    return _("%(n)sy") % {"n": _one_decimal(value)}


def describe_interval(delta: timedelta) -> str:
    """"10 minutes", "5 days", "3 months": in the unit the grade buttons use
    (_interval_unit), rounded to the nearest whole one, so a page says what the button that
    scheduled the card said (a button's "11.7mo" is "12 months" here, not "1 year")."""
    unit, value = _interval_unit(delta)
    n = max(round(value), 1)
    if unit == "minute":
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    if unit == "hour":
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if unit == "day":
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if unit == "month":
        return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}
    return ngettext("%(n)d year", "%(n)d years", n) % {"n": n}


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def preview_labels(
    state: StudyState | None, now: datetime, retention: float | None = None
) -> dict[int, str]:
    now = _utc(now)
    return {
        rating: humanize_interval(due - now)
        for rating, due in preview(state, now, retention).items()
    }


def retrievability(
    state: StudyState | None, now: datetime, retention: float | None = None
) -> float:
    """Probability (0–1) that the learner recalls the question at `now`; 0 for a new question.

    Retrievability depends on the card's memory state, not on the desired retention; the
    argument is accepted so callers can pass the same values everywhere.
    """
    if state is None:
        return 0.0
    return recall_probability(state.stability, state.last_review, now)


# A card is mastered only once FSRS gives it this long between reviews at the learner's desired
# retention (stability × mastery_horizon(retention), in days): as Anki calls a card "mature"
# from a 21-day interval. A card just out of learning is likely to be remembered the next day,
# but is not mastered.
MASTERED_INTERVAL_DAYS = 21


def mastery_horizon(retention: float) -> float:
    """How long a card in review stays at or above `retention`, in multiples of its stability:
    recall_probability() >= retention exactly while the whole days since the last review are
    at most stability × this. FSRS's forgetting curve solved for the days, so that a database
    can count mastered cards without computing the curve for each one."""
    factor, decay = forgetting_curve()
    return (float(retention) ** (1 / decay) - 1) / factor


def forgetting_curve() -> tuple[float, float]:
    """(factor, decay) of the curve recall_probability() follows, for computing it in a
    database: (1 + factor × days / stability) ** decay, where days are the whole days since
    the last review (at least 0). FSRS fixes the factor so that recall is 90% after
    `stability` days."""
    decay = -scheduler_for().parameters[20]
    return 0.9 ** (1 / decay) - 1, decay


def recall_probability(
    stability: float | None, last_review: datetime | None, now: datetime
) -> float:
    """retrievability() from the only two columns it depends on (qa.expressions computes the
    same in the database, for pages that weigh many StudyStates at once)."""
    if stability is None or last_review is None:
        return 0.0
    now = _utc(now)
    card = Card(card_id=1, state=State.Review, stability=stability, due=now,
                last_review=_utc(last_review))
    return float(scheduler_for().get_card_retrievability(card, now))
