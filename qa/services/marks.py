"""A learner's marks on questions: bookmarks, notes, and mistakes cleared off the list.

Keyword arguments only; a `StudyError` with a message the learner can read when a request
cannot be honoured, and nothing written then (as in qa.services.study)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qa.models import Bookmark, Note, Question, StudyState
from qa.services.study import MAX_NOTE, InvalidInput, NotFound

if TYPE_CHECKING:
    from accounts.models import User


def set_bookmark(*, user: User, question: Question, on: bool) -> bool:
    """Bookmark or un-bookmark. Setting the state (not toggling) makes a double submit harmless."""
    if on:
        Bookmark.objects.get_or_create(user=user, question=question)
    else:
        Bookmark.objects.filter(user=user, question=question).delete()
    return on


def save_note(*, user: User, question: Question, body: str) -> Note | None:
    """Write the learner's note on a question; an empty note deletes it."""
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_NOTE:
        raise InvalidInput(_("Your note is too long (at most %(n)d characters).") % {"n": MAX_NOTE})
    if not body:
        delete_note(user=user, question=question)
        return None
    note, _created = Note.objects.update_or_create(
        user=user, question=question, defaults={"body": body}
    )
    return note


def delete_note(*, user: User, question: Question) -> None:
    Note.objects.filter(user=user, question=question).delete()


def clear_mistake(*, user: User, question: Question, now: datetime | None = None) -> None:
    """Take a question off the mistakes list until it is graded Again again."""
    now = now or timezone.now()
    updated = StudyState.objects.filter(user=user, question=question).filter(
        Q(mistake_cleared_at__isnull=True) | Q(mistake_cleared_at__lt=now)
    ).update(mistake_cleared_at=now)
    if not updated and not StudyState.objects.filter(user=user, question=question).exists():
        raise NotFound(_("You have not studied this question yet."))
