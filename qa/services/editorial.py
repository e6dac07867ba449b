"""Editorial writes: editing and reverting questions, error reports and their resolution.

Every saved edit of a question bumps `Question.revision` and writes exactly one history row
that records who (history_user), why (history_change_reason) and what kind of change it was
(change_kind). Only a substantive correction of the prompt or answer bumps `answer_version`,
and that re-queues every learner whose last review saw an older version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from config.allowance import take_slot
from qa import editorial  # noqa: F401 - connects the receiver that records change_kind
from qa.importer.files import normal_text
from qa.models import ErrorReport, Question, RevisionInfo, StudyState, Tag

Kind = RevisionInfo.Kind

# Fields an edit may change, in the order the history shows them. `key` is the stable identity
# that study history, bookmarks and the importer use, so it is never edited.
EDITABLE_FIELDS = ("bank", "section", "number", "prompt", "answer", "status")
TEXT_FIELDS = ("prompt", "answer")
_FOREIGN_KEYS = ("bank", "section")
REASON_MAX_LENGTH = 100  # simple-history's history_change_reason column

REPORT_RATE_LIMIT = 10
REPORT_RATE_WINDOW_SECONDS = 3600


class EditConflict(Exception):
    """Someone saved the question after the editor opened it; nothing was written."""

    def __init__(self, current: Question) -> None:
        super().__init__(f"question {current.pk} is at revision {current.revision}")
        self.current = current


class ReportRateLimited(Exception):
    pass


@dataclass(frozen=True)
class EditResult:
    question: Question
    record: Any | None  # the historical row written; None when nothing changed
    answer_version_bumped: bool = False
    requeued: int = 0

    @property
    def changed(self) -> bool:
        return self.record is not None


# --- Questions ------------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("A reason for the change is required.")
    return reason[:REASON_MAX_LENGTH]


def _tag_ids(tags: Iterable[Any]) -> set[int]:
    return {getattr(tag, "pk", tag) for tag in tags}


def _field_value(question: Question, name: str) -> Any:
    return getattr(question, f"{name}_id") if name in _FOREIGN_KEYS else getattr(question, name)


def _new_value(name: str, value: Any) -> Any:
    return getattr(value, "pk", value) if name in _FOREIGN_KEYS else value


def _changes(current: Question, data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `data` whose value differs from `current`, as attribute → new value."""
    changed = {}
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        value = _new_value(name, data[name])
        if _field_value(current, name) != value:
            changed[f"{name}_id" if name in _FOREIGN_KEYS else name] = value
    return changed


def _save_revision(
    question: Question,
    *,
    editor,
    changes: Mapping[str, Any],
    tag_ids: set[int] | None,
    kind: str,
    reason: str,
    bump: bool,
    history_type: str | None = None,
) -> Any:
    """Write `changes` and `tag_ids` to the locked `question` as one new revision."""
    for attname, value in changes.items():
        setattr(question, attname, value)
    if tag_ids is not None:
        # Tags first, without a history row of their own, so that the one row written by
        # save() below holds the new tags and the pre_save signal indexes them.
        question.skip_history_when_saving = True
        try:
            question.tags.set(tag_ids)
        finally:
            del question.skip_history_when_saving
    if history_type != "+":
        question.revision += 1
    if bump:
        question.answer_version += 1
    question._history_user = editor
    question._change_reason = reason
    question._change_kind = kind
    if history_type:
        question._history_type = history_type
    try:
        question.save()
    finally:
        for attr in ("_history_user", "_change_reason", "_change_kind", "_history_type"):
            question.__dict__.pop(attr, None)
    return question.__dict__.pop("_history_record")


def requeue_learners(*, question: Question, answer_version: int) -> int:
    """Make every learner whose last review saw an older version due now, in one UPDATE;
    except those who saw the very text (question and answer) it has again (a revert of a
    correction made after they studied it): for them nothing has changed any more.

    Cards already overdue keep their earlier due date (Least), so their place in the queue
    does not move back. Learners who never reviewed the question have no row and are
    untouched. Either way, the card's last grade can no longer be taken back.
    """
    now = timezone.now()
    text_of_version: dict[int, tuple[str, str]] = {}  # each version's text as it last read
    for version, prompt, answer in (Question.history.filter(id=question.pk)
                                    .order_by("history_id")
                                    .values_list("answer_version", "prompt", "answer")):
        text_of_version[version] = (prompt, answer)
    same_text = [version for version, text in text_of_version.items()
                 if version < answer_version and text == (question.prompt, question.answer)]
    if same_text:
        StudyState.objects.filter(question=question, last_answer_version__in=same_text).update(
            changed_since_review=False, previous=None,
        )
    return StudyState.objects.filter(
        question=question, last_answer_version__lt=answer_version
    ).exclude(last_answer_version__in=same_text).update(
        due=Least(models.F("due"), models.Value(now, output_field=models.DateTimeField())),
        changed_since_review=True,
        previous=None,  # the last grade can no longer be taken back
    )


def _result(question: Question, record: Any, bump: bool) -> EditResult:
    requeued = 0
    if bump:
        requeued = requeue_learners(question=question, answer_version=question.answer_version)
    return EditResult(
        question=question, record=record, answer_version_bumped=bump, requeued=requeued
    )


@transaction.atomic
def save_question_edit(
    *,
    question: Question,
    editor,
    data: Mapping[str, Any],
    kind: str,
    reason: str,
    expected_revision: int,
) -> EditResult:
    """Apply an editor's edit of `question` unless someone else saved it in the meantime.

    `data` maps field names (EDITABLE_FIELDS, plus "tags") to new values. `kind` is the
    editor's classification: Kind.SUBSTANTIVE or Kind.TYPO. What is recorded:

    * the prompt or answer changed and kind is substantive → kind substantive, answer_version
      bumped, learners who saw an older version re-queued;
    * otherwise, if only the status changed → kind status;
    * otherwise → kind typo (a "substantive" edit that did not touch the prompt or the answer
      changes nothing learners studied, so it is not a correction);
    * nothing changed at all → no revision is written.

    Raises EditConflict if the question's revision is no longer `expected_revision`.
    """
    # A browser sends a textarea's line breaks as CRLF and the ends as typed; the bank stores
    # LF and no surrounding whitespace (as the importer does), so neither counts as a change.
    data = {name: normal_text(value) if name in TEXT_FIELDS and isinstance(value, str)
            else value for name, value in data.items()}
    if kind not in (Kind.SUBSTANTIVE, Kind.TYPO):
        raise ValueError(f"kind must be substantive or typo, not {kind!r}")
    reason = _clean_reason(reason)
    current = Question.objects.select_for_update().get(pk=question.pk)
    if current.revision != expected_revision:
        raise EditConflict(current)

    changes = _changes(current, data)
    tag_ids = None
    if "tags" in data:
        new_tags = _tag_ids(data["tags"])
        if new_tags != set(current.tags.values_list("pk", flat=True)):
            tag_ids = new_tags
    if not changes and tag_ids is None:
        return EditResult(question=current, record=None)

    text_changed = any(name in changes for name in TEXT_FIELDS)
    bump = text_changed and kind == Kind.SUBSTANTIVE
    if bump:
        recorded = Kind.SUBSTANTIVE
    elif set(changes) == {"status"} and tag_ids is None:
        recorded = Kind.STATUS
    else:
        recorded = Kind.TYPO
    record = _save_revision(
        current, editor=editor, changes=changes, tag_ids=tag_ids, kind=recorded,
        reason=reason, bump=bump,
    )
    return _result(current, record, bump)


@transaction.atomic
def revert_question(
    *, question: Question, editor, history_id: int, reason: str, expected_revision: int
) -> EditResult:
    """Restore the prompt, answer and tags of an earlier revision, as a new revision (kind revert).

    Status, section and number are not reverted: publishing or retiring is its own decision.
    The revert bumps answer_version (and re-queues learners) iff it changes the prompt or answer
    AND the target revision's answer_version differs from the current one, i.e. iff it undoes a
    substantive correction: learners studied the corrected text, which is now replaced. A revert
    that only undoes typo fixes moves nobody. The new version number is always current + 1;
    versions never go back, so "last saw an older version" stays a simple comparison.

    Raises Question.history.model.DoesNotExist if `history_id` is not a revision of `question`,
    EditConflict if the question changed since `expected_revision`.
    """
    reason = _clean_reason(reason)
    current = Question.objects.select_for_update().get(pk=question.pk)
    if current.revision != expected_revision:
        raise EditConflict(current)
    target = Question.history.filter(id=current.pk).get(history_id=history_id)
    changes, tag_ids = _revert_changes(current, target)
    if not changes and tag_ids is None:
        return EditResult(question=current, record=None)
    bump = bool(changes) and target.answer_version != current.answer_version
    record = _save_revision(
        current, editor=editor, changes=changes, tag_ids=tag_ids, kind=Kind.REVERT,
        reason=reason, bump=bump,
    )
    return _result(current, record, bump)


def _revert_changes(current: Question, target) -> tuple[dict, set[int] | None]:
    """What reverting `current` to the revision `target` changes: its text fields, and its
    tag ids (None: the same tags)."""
    changes = _changes(current, {"prompt": target.prompt, "answer": target.answer})
    # Tags deleted since that revision cannot come back.
    old_tags = set(Tag.objects.filter(
        pk__in=target.tags.values_list("tag_id", flat=True)).values_list("pk", flat=True))
    tag_ids = old_tags if old_tags != set(current.tags.values_list("pk", flat=True)) else None
    return changes, tag_ids


def holds_revision(*, question: Question, target) -> bool:
    """Whether `question` holds what reverting it to the revision `target` would restore (a
    revert sent twice: the first made it so)."""
    return _revert_changes(question, target) == ({}, None)


@transaction.atomic
def create_question(
    *, editor, question: Question, tags: Iterable[Any] = (), reason: str = ""
) -> Question:
    """Save the new, unsaved `question` with its tags and one history row (type "+", revision 1)
    that includes them."""
    question.skip_history_when_saving = True
    try:
        question.save()
        question.tags.set(_tag_ids(tags))
    finally:
        del question.skip_history_when_saving
    # Saved again, now with history: the creation row (revision 1) records the tags too.
    _save_revision(
        question, editor=editor, changes={}, tag_ids=None, kind=Kind.TYPO,
        reason=" ".join(reason.split())[:REASON_MAX_LENGTH] or _("Created"), bump=False,
        history_type="+",
    )
    return question


# --- Error reports --------------------------------------------------------------------------


@transaction.atomic
def report_error(
    *, reporter, question: Question, kind: str, message: str, answer_version: int
) -> tuple[ErrorReport, bool]:
    """File an error report; returns (report, created).

    The same open report sent twice (double click, retry) is returned, not duplicated, and
    does not count against the rate limit: the reporter's row is locked first, so two at once
    take turns. `answer_version` is the version the reporter saw; it is clamped to the
    versions that exist.
    """
    message = (message or "").strip()
    if not message:
        raise ValueError("A message is required.")
    if kind not in ErrorReport.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    get_user_model().objects.select_for_update().filter(pk=reporter.pk).first()
    existing = ErrorReport.objects.filter(
        reporter=reporter, question=question, kind=kind, message=message,
        status=ErrorReport.Status.OPEN,
    ).first()
    if existing is not None:
        return existing, False
    if not take_slot(action="report", who=reporter.pk, limit=REPORT_RATE_LIMIT,
                     window_seconds=REPORT_RATE_WINDOW_SECONDS):
        raise ReportRateLimited
    seen = min(max(int(answer_version or 0), 1), question.answer_version)
    report = ErrorReport.objects.create(
        reporter=reporter, question=question, kind=kind, message=message, answer_version=seen
    )
    return report, True


@transaction.atomic
def resolve_report(
    *,
    report: ErrorReport,
    editor,
    decision: str,
    reply: str = "",
    correcting_revision_id: int | None = None,
    only_if_open: bool = False,
) -> ErrorReport | None:
    """Accept (linking the revision that corrected the question) or reject (with a reply).

    Resolving again with the same outcome changes nothing (a double submit); a different
    outcome replaces the old one and shows up as unseen for the reporter again.
    `only_if_open`: leave a report resolved meanwhile as it is, and return None (a decision
    made for many open reports at once must not replace one another editor just made).
    """
    report = ErrorReport.objects.select_for_update().get(pk=report.pk)
    if only_if_open and report.status != ErrorReport.Status.OPEN:
        return None
    reply = (reply or "").strip()
    if decision == ErrorReport.Status.ACCEPTED:
        if correcting_revision_id is None:
            raise ValueError("Accepting a report needs the revision that corrected the question.")
        if not Question.history.filter(
            id=report.question_id, history_id=correcting_revision_id
        ).exists():
            raise ValueError("That revision does not belong to the reported question.")
    elif decision == ErrorReport.Status.REJECTED:
        if not reply:
            raise ValueError("Rejecting a report needs a reply to the reporter.")
        correcting_revision_id = None
    else:
        raise ValueError(f"decision must be accepted or rejected, not {decision!r}")

    if (report.status, report.reply, report.correcting_revision_id) == (
        decision, reply, correcting_revision_id
    ):
        return report
    report.status = decision
    report.reply = reply
    report.correcting_revision_id = correcting_revision_id
    report.resolved_by = editor
    report.resolved_at = timezone.now()
    report.reporter_seen_at = None
    report.save(
        update_fields=[
            "status", "reply", "correcting_revision_id", "resolved_by", "resolved_at",
            "reporter_seen_at",
        ]
    )
    return report


def mark_report_outcomes_seen(*, user, reports: Iterable[int] | None = None) -> int:
    """The reporter has looked at the outcome of their reports (all, or those with the given
    ids): they no longer count in the navigation badge."""
    unseen = ErrorReport.objects.filter(reporter=user, reporter_seen_at__isnull=True).exclude(
        status=ErrorReport.Status.OPEN
    )
    if reports is not None:
        unseen = unseen.filter(pk__in=list(reports))
    return unseen.update(reporter_seen_at=timezone.now())
