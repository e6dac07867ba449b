"""Everything the site keeps about one person, as one JSON document they can download.

The document is read in one snapshot (every list as of the same moment) and written to a file
that spills from memory to disk, a few hundred rows at a time, so a learner with years of
reviews costs the server no more memory than one with a week's, and a failure while reading
is an error page, not a cut-off file. Questions are named by their stable `key`; where the
person wrote about one (notes, bookmarks, reports) its prompt is given too while it is
published.

Besides their own study, it holds what they did for others, as far as it is theirs: the teams,
invitations and team sets they made, the revisions they wrote and the reports they decided as
an editor, their admin actions. Never someone else's words or address: not a report's
message or reporter, not whom an invitation was addressed to (that it was, yes), not the
names the admin's log gives the objects it names (a person's, for an account or membership).
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import FormSubmission, Invitation, InvitationUse, Membership, Removal, Team
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
        "keyboard_shortcuts": user.keyboard_shortcuts,
        "credit_in_corrections": user.credit_in_corrections,
        # An editor's role: staff (the admin) in the Editors group.
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": list(user.groups.order_by("name").values_list("name", flat=True)),
        "permissions": [
            f"{app_label}.{codename}" for app_label, codename in user.user_permissions
            .order_by("content_type__app_label", "codename")
            .values_list("content_type__app_label", "codename")
        ],
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
        "teams_created": Team.objects.filter(created_by=user).order_by("created_at", "pk")
        .values("created_at", team_name=F("name")),
        # What the maker set; the link's token is a key to the team, the address the invitee's.
        "invitations_made": Invitation.objects.filter(created_by=user).order_by("pk").values(
            "role", "expires_at", "max_uses", "uses", "revoked_at", "created_at",
            team_name=F("team__name"),
            addressed=ExpressionWrapper(~Q(email=""), output_field=BooleanField()),
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
        # The editor's decision and reply; the report itself is its reporter's.
        "error_reports_resolved": ErrorReport.objects.filter(resolved_by=user).order_by("pk")
        .values("status", "reply", "resolved_at", "correcting_revision_id",
                question_key=key, prompt=prompt),
        **_editorial_lists(user),
        # The sets they made for a team with others in it, which stay with the team: which, not
        # what they say (its curators edit a team's set together, and a note has no author).
        "team_sets_created": _team_sets_created(user),
        # The create forms sent lately (kept a day, against double submits), and where they led.
        "form_submissions": FormSubmission.objects.filter(user=user).order_by("pk").values(
            "token", "location", "created_at",
        ),
    }


def _team_sets_created(user: User) -> QuerySet:
    from qa.models import StudySet

    return (StudySet.objects.filter(created_by=user, team__isnull=False)
            .exclude(team__in=teams_of_one(user=user).values("pk")).order_by("pk")
            .values("id", "title", "visibility", "created_at", team_name=F("team__name")))


def _editorial_lists(user: User) -> dict[str, QuerySet]:
    """The revisions the person wrote, by the key the question had (it may be gone since; the
    text is the bank's, in its history), and their actions in the admin: on which object, not
    the name the log gives it."""
    from qa.models import Question

    action = Case(When(action_flag=ADDITION, then=Value("added")),
                  When(action_flag=CHANGE, then=Value("changed")),
                  When(action_flag=DELETION, then=Value("deleted")),
                  default=Value(""), output_field=TextField())
    return {
        "question_revisions": Question.history.filter(history_user=user).order_by("history_id")
        .values(
            "history_type", "change_kind", "revision", "answer_version", "status",
            revision_id=F("history_id"), revised_at=F("history_date"),
            reason=F("history_change_reason"), question_key=F("key"),
        ),
        "admin_actions": LogEntry.objects.filter(user=user).order_by("pk").values(
            "action_time", "object_id", action=action,
            app_label=F("content_type__app_label"), model=F("content_type__model"),
        ),
    }


def _study_sets(user: User) -> QuerySet:
    """The person's own sets and those of the teams only they belong to (which go with their
    account)."""
    from qa.models import StudySet

    return StudySet.objects.filter(Q(owner=user) | Q(team__in=teams_of_one(user=user)
                                                      .values("pk")))


def _with_items(sets: QuerySet) -> Iterator[dict[str, Any]]:
    """Each set with its questions in order, and its notes on them."""
    from qa.models import SetItem

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
    yield from _list("study_sets", _with_items(_study_sets(user)))
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
