"""Helpers for tests of editing: an editor's save and the latest revision, as the admin makes
them through qa.services.editorial."""

from __future__ import annotations

from qa.models import Question, RevisionInfo
from qa.services import editorial as services

Kind = RevisionInfo.Kind


def edit(question, editor, *, kind=Kind.SUBSTANTIVE, reason="修正复杂度", **data):
    """Save `data` on `question` as `editor`, based on its current revision."""
    return services.save_question_edit(
        question=question, editor=editor, data=data, kind=kind, reason=reason,
        expected_revision=Question.objects.get(pk=question.pk).revision,
    )


def latest_revision(question):
    return Question.history.filter(id=question.pk).order_by("-history_id").first()
