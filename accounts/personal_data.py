"""Everything the site keeps about one person, as one JSON document they can download.

The document is written as it is read, a few hundred rows at a time, so a learner with years of
reviews costs the server no more memory than one with a week's: each list is one query, read
through a cursor. Questions are named by their stable `key` (and, where the person wrote about
them, with their prompt).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Membership

if TYPE_CHECKING:
    from accounts.models import User

FORMAT = "mianshi.personal-data"
VERSION = 1
BATCH = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "desired_retention": user.desired_retention,
        "daily_new_limit": user.daily_new_limit,
        "credit_in_corrections": user.credit_in_corrections,
    }


def _lists(user: User) -> dict[str, QuerySet]:
    """Each list of the document: a query of plain rows, oldest first."""
    from qa.models import Bookmark, ErrorReport, Note, Quiz, QuizItem, Review, StudyState

    key = F("question__key")
    return {
        "email_addresses": EmailAddress.objects.filter(user=user)
        .order_by("pk").values("email", "verified", "primary"),
        "teams": Membership.objects.filter(user=user)
        .order_by("joined_at", "pk").values("role", "joined_at", team_name=F("team__name")),
        "study_states": StudyState.objects.filter(user=user).order_by("pk").values(
            "state", "due", "stability", "difficulty", "reps", "lapses", "last_review",
            "last_answer_version", "changed_since_review", "mistake_cleared_at", question_key=key,
        ),
        "reviews": Review.objects.filter(user=user).order_by("reviewed_at", "pk").values(
            "reviewed_at", "rating", "duration_ms", "answer_version", "typed_answer",
            question_key=key,
        ),
        "quizzes": Quiz.objects.filter(user=user).order_by("started_at", "pk").values(
            "id", "mode", "started_at", "finished_at", "time_limit_seconds",
            section_title=F("section__title"), study_set_title=F("study_set__title"),
        ),
        "quiz_items": QuizItem.objects.filter(quiz__user=user)
        .order_by("quiz_id", "position").values(
            "quiz_id", "position", "shown_at", "revealed_at", "typed_answer", question_key=key,
        ),
        "notes": Note.objects.filter(user=user).order_by("pk").values(
            "body", "updated_at", question_key=key, prompt=F("question__prompt"),
        ),
        "bookmarks": Bookmark.objects.filter(user=user).order_by("created_at", "pk").values(
            "created_at", question_key=key, prompt=F("question__prompt"),
        ),
        "error_reports": ErrorReport.objects.filter(reporter=user)
        .order_by("created_at", "pk").values(
            "created_at", "kind", "message", "answer_version", "status", "reply",
            "resolved_at", question_key=key, prompt=F("question__prompt"),
        ),
    }


def _study_sets(user: User) -> Iterator[dict[str, Any]]:
    """The person's own sets, each with its questions in order (team sets belong to teams)."""
    from qa.models import SetItem, StudySet

    items: dict[int, list[dict[str, Any]]] = {}
    for item in (
        SetItem.objects.filter(study_set__owner=user)
        .order_by("study_set_id", "position")
        .values("study_set_id", "position", "note", question_key=F("question__key"))
        .iterator(chunk_size=2000)
    ):
        items.setdefault(item.pop("study_set_id"), []).append(item)
    for row in (
        StudySet.objects.filter(owner=user).order_by("created_at", "pk")
        .values("id", "title", "description", "visibility", "created_at")
    ):
        yield {**row, "items": items.get(row["id"], [])}


def _list(name: str, rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield f',\n"{name}": ['
    separator, batch = "\n", []
    for row in rows:
        batch.append(_dumps(row))
        if len(batch) >= BATCH:
            yield separator + ",\n".join(batch)
            separator, batch = ",\n", []
    if batch:
        yield separator + ",\n".join(batch)
    yield "]"


def personal_data(*, user: User) -> Iterator[str]:
    """The JSON document of `user`'s data, in pieces (for a streaming response)."""
    head = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now(),
            "account": _account(user)}
    yield _dumps(head)[:-1]  # left open: the lists follow
    for name, rows in _lists(user).items():
        yield from _list(name, rows.iterator(chunk_size=2000))
    yield from _list("study_sets", _study_sets(user))
    yield "\n}\n"
