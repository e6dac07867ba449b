"""Everything the site keeps about one person, as one JSON document they can download.

The document is read in one snapshot (every list as of the same moment) and written to a file
that spills from memory to disk, a few hundred rows at a time, so a learner with years of
reviews costs the server no more memory than one with a week's, and a failure while reading
is an error page, not a cut-off file. Questions are named by their stable `key`; where the
person wrote about one (notes, bookmarks, reports) its prompt is given too while it is
published.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.utils import timezone

from accounts.models import InvitationUse, Membership, Removal
from accounts.selectors import teams_of_one

if TYPE_CHECKING:
    from accounts.models import User

FORMAT = "mianshi.personal-data"
VERSION = 1
BATCH = 500
CHUNK = 2000
IN_MEMORY_BYTES = 1 << 20


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "desired_retention": user.desired_retention,
        "daily_new_limit": user.daily_new_limit,
        "credit_in_corrections": user.credit_in_corrections,
    }


def _lists(user: User) -> dict[str, QuerySet]:
    """Each list of the document: a query of plain rows, oldest first."""
    from qa.models import Bookmark, ErrorReport, Note, Question, Quiz, QuizItem, Review, StudyState

    key = F("question__key")
    prompt = Case(When(question__status=Question.Status.PUBLISHED, then=F("question__prompt")),
                  default=Value(""), output_field=TextField())
    return {
        "email_addresses": EmailAddress.objects.filter(user=user)
        .order_by("pk").values("email", "verified", "primary"),
        "teams": Membership.objects.filter(user=user).order_by("joined_at", "pk").values(
            "role", "joined_at", team_name=F("team__name"),
            team_description=F("team__description"),
        ),
        "invitations_used": InvitationUse.objects.filter(user=user).order_by("pk").values(
            "used_at", role=F("invitation__role"), team_name=F("invitation__team__name"),
        ),
        "team_removals": Removal.objects.filter(user=user).order_by("pk").values(
            "removed_at", team_name=F("team__name"),
        ),
        "study_states": StudyState.objects.filter(user=user).order_by("pk").values(
            "state", "step", "due", "stability", "difficulty", "reps", "lapses", "last_review",
            "last_answer_version", "changed_since_review", "mistake_cleared_at",
            question_key=key,
        ),
        "reviews": Review.objects.filter(user=user).order_by("pk").values(
            "reviewed_at", "rating", "duration_ms", "answer_version", "typed_answer",
            question_key=key, quiz_id=F("quiz_item__quiz_id"),
        ),
        "quizzes": Quiz.objects.filter(user=user).order_by("pk").values(
            "id", "mode", "started_at", "finished_at", "ended", "position", "time_limit_seconds",
            section_title=F("section__title"), study_set_title=F("study_set__title"),
        ),
        "quiz_items": QuizItem.objects.filter(quiz__user=user)
        .order_by("quiz_id", "position").values(
            "quiz_id", "position", "shown_at", "revealed_at", "typed_answer",
            question_key=key,
        ),
        "notes": Note.objects.filter(user=user).order_by("pk").values(
            "body", "updated_at", question_key=key, prompt=prompt,
        ),
        "bookmarks": Bookmark.objects.filter(user=user).order_by("pk").values(
            "created_at", question_key=key, prompt=prompt,
        ),
        "error_reports": ErrorReport.objects.filter(reporter=user).order_by("pk").values(
            "created_at", "kind", "message", "answer_version", "status", "reply",
            "resolved_at", "reporter_seen_at", question_key=key, prompt=prompt,
        ),
    }


def _study_sets(user: User) -> Iterator[dict[str, Any]]:
    """The person's own sets and those of the teams only they belong to (which go with their
    account), each with its questions in order."""
    from qa.models import SetItem, StudySet

    alone = teams_of_one(user=user).values("pk")
    sets = StudySet.objects.filter(Q(owner=user) | Q(team__in=alone))
    items = itertools.groupby(
        SetItem.objects.filter(study_set__in=sets.values("pk"))
        .order_by("study_set_id", "position")
        .values("study_set_id", "position", "note", question_key=F("question__key"))
        .iterator(chunk_size=CHUNK),
        key=lambda item: item.pop("study_set_id"),
    )
    pending = next(items, None)
    for row in sets.order_by("pk").values(
        "id", "title", "description", "visibility", "created_at", "updated_at",
        team_name=F("team__name"),
    ):
        row["items"] = []
        if pending is not None and pending[0] == row["id"]:
            row["items"] = list(pending[1])
            pending = next(items, None)
        yield row


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
    """The JSON document of `user`'s data, in pieces. Read it inside one_snapshot()."""
    head = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now(),
            "account": _account(user)}
    yield _dumps(head)[:-1]  # left open: the lists follow
    for name, rows in _lists(user).items():
        yield from _list(name, rows.iterator(chunk_size=CHUNK))
    yield from _list("study_sets", _study_sets(user))
    yield "\n}\n"


def personal_data_file(*, user: User) -> IO[bytes]:
    """The document, written out and rewound: in memory up to IN_MEMORY_BYTES, then on disk."""
    from qa.backup.dump import one_snapshot

    out = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115 - returned
    try:
        with one_snapshot():
            for piece in personal_data(user=user):
                out.write(piece.encode("utf-8"))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
