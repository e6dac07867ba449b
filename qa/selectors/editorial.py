"""Editorial reads: revisions and their diffs, correction logs, error reports.

Every function here runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils.safestring import SafeString

from qa.diff import diff_text
from qa.models import Bank, ErrorReport, Question, RevisionInfo, Section, StudyState, Tag

HistoricalQuestion = Question.history.model
HistoricalQuestionTag = HistoricalQuestion.tags.model
Kind = RevisionInfo.Kind


# --- Revisions ------------------------------------------------------------------------------


def revisions(*, question: Question) -> QuerySet:
    """All revisions of `question`, newest first, with who made them."""
    return (
        Question.history.filter(id=question.pk)
        .select_related("history_user")
        .order_by("-history_id")
    )


def revision(*, question: Question, history_id: int):
    """One revision of `question` (DoesNotExist if it belongs to another question)."""
    return revisions(question=question).get(history_id=history_id)


def revision_tags(records: list) -> dict[int, list[str]]:
    """Tag names of each revision, in one query: {history_id: [names]}."""
    tags: dict[int, list[str]] = {r.history_id: [] for r in records if r is not None}
    rows = (
        HistoricalQuestionTag.objects.filter(history_id__in=list(tags))
        .select_related("tag")
        .order_by("tag__name")
    )
    for row in rows:
        if row.tag is not None:
            tags[row.history_id].append(row.tag.name)
    return tags


def previous_revision(record):
    return (
        Question.history.filter(id=record.id, history_id__lt=record.history_id)
        .select_related("history_user")
        .order_by("-history_id")
        .first()
    )


def latest_revision_of_version(*, question: Question, answer_version: int):
    """The last revision that had `answer_version`: the text a learner of that version saw."""
    return (
        Question.history.filter(id=question.pk, answer_version=answer_version)
        .order_by("-history_id")
        .first()
    )


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    html: SafeString
    changed: bool


def _label(name: str) -> str:
    return str(Question._meta.get_field(name).verbose_name)


def revision_diff(old, new, *, fields: tuple[str, ...] = ("prompt", "answer")) -> list[FieldDiff]:
    """Text diffs of `fields` between two revisions (or question-like objects).

    `old` may be None (the creation): everything shows as inserted.
    """
    diffs = []
    for name in fields:
        before = getattr(old, name, "") if old is not None else ""
        after = getattr(new, name, "")
        text = diff_text(before, after)
        diffs.append(FieldDiff(name, _label(name), text.html, text.changed))
    return diffs


def revision_tag_ids(record) -> set[int]:
    """The tag ids a revision (a historical record) had."""
    return set(record.tags.values_list("tag_id", flat=True))


def _tag_names(tag_ids: set[int]) -> str:
    """The names of the tags that still exist among `tag_ids`, as a diff shows them."""
    return ", ".join(sorted(Tag.objects.filter(pk__in=tag_ids).values_list("name", flat=True)))


def revert_diff(question: Question, target) -> list[FieldDiff]:
    """What reverting `question` to the revision `target` changes (current → restored): the
    prompt, the answer and the tags, as services.editorial.revert_question restores them (a
    tag deleted since cannot come back)."""
    current = SimpleNamespace(tags=_tag_names(set(question.tags.values_list("pk", flat=True))))
    restored = SimpleNamespace(tags=_tag_names(revision_tag_ids(target)))
    return revision_diff(question, target) + revision_diff(current, restored, fields=("tags",))


def settings_diff(old, new: Question) -> list[FieldDiff]:
    """What changed besides the text between a revision and the current question: status,
    bank, section, number and tags, as diffs of their displayed values."""
    def shown(record, tag_ids: set[int]) -> SimpleNamespace:
        bank = Bank.objects.filter(pk=record.bank_id).first()
        section = Section.objects.filter(pk=record.section_id).first()
        return SimpleNamespace(
            status=str(Question.Status(record.status).label), bank=str(bank or ""),
            section=str(section or ""), number=str(record.number), tags=_tag_names(tag_ids),
        )

    before = shown(old, revision_tag_ids(old))
    after = shown(new, set(new.tags.values_list("pk", flat=True)))
    return revision_diff(before, after, fields=("status", "bank", "section", "number", "tags"))


def compare_revisions(*, question: Question, old, new) -> dict[str, Any]:
    """Everything the admin comparison page shows between two revisions."""
    tags = revision_tags([old, new])
    sections = {
        s.pk: s
        for s in Section.objects.filter(pk__in={r.section_id for r in (old, new) if r})
    }

    def meta(record) -> dict[str, Any]:
        if record is None:
            return {}
        return {
            _label("status"): record.get_status_display(),
            _label("section"): str(sections.get(record.section_id, record.section_id)),
            _label("number"): record.number,
            _label("answer_version"): record.answer_version,
            _label("tags"): ", ".join(tags.get(record.history_id, [])),
        }

    before, after = meta(old), meta(new)
    return {
        "old": old,
        "new": new,
        "text_diffs": revision_diff(old, new),
        "meta_changes": [
            (label, before.get(label, ""), value, before.get(label, "") != value)
            for label, value in after.items()
        ],
    }


# --- What learners see ----------------------------------------------------------------------


@dataclass
class Correction:
    record: Any
    reason: str
    credited: list[str] = field(default_factory=list)
    uncredited: int = 0


def _public_history(question: Question) -> tuple[dict[int, Correction], dict[int, int]]:
    """What learners saw of the question's history: the revisions made while it was published,
    each a correction when its answer version differs from the published revision before it
    (so a correction made while the question was a draft counts when it is published again),
    with the reason of the last revision that changed the version. Also, for every revision,
    the published revision at or after it that showed it: {history id: that one's}. One
    query."""
    rows = (
        Question.history.filter(id=question.pk)
        .order_by("history_id")
        .only("history_id", "history_date", "history_change_reason", "change_kind",
              "answer_version", "history_type", "status", "id")
    )
    corrections: dict[int, Correction] = {}
    shown_by: dict[int, int] = {}
    waiting: list[int] = []  # revisions since the last published one
    public_version = version = None
    reason = ""
    for row in rows:
        if version is not None and row.answer_version != version:
            reason = row.history_change_reason or ""
        version = row.answer_version
        waiting.append(row.history_id)
        if row.status != Question.Status.PUBLISHED:
            continue
        if public_version is not None and row.answer_version != public_version:
            corrections[row.history_id] = Correction(record=row, reason=reason)
        shown_by.update(dict.fromkeys(waiting, row.history_id))
        waiting = []
        public_version = row.answer_version
    return corrections, shown_by


def correction_log(*, question: Question) -> list[Correction]:
    """The public log: every correction learners saw (see _public_history), newest first, with
    the reporters of the accepted reports it answered (named only if they allow it). Edits of
    a draft are the editors' own until it is published again. Two queries."""
    corrections, shown_by = _public_history(question)
    if not corrections:
        return []
    answered = [history_id for history_id, shown in shown_by.items() if shown in corrections]
    reports = (
        ErrorReport.objects.filter(
            question=question,
            status=ErrorReport.Status.ACCEPTED,
            correcting_revision_id__in=answered,
        )
        .select_related("reporter")
        .order_by("created_at")
    )
    seen: set[tuple[int, int]] = set()
    for report in reports:
        shown = shown_by[report.correcting_revision_id]
        if (shown, report.reporter_id) in seen:
            continue
        seen.add((shown, report.reporter_id))
        entry = corrections[shown]
        # By a name of their choosing only (public_name without one is "Learner" and a number).
        if report.reporter.credit_in_corrections and report.reporter.display_name:
            entry.credited.append(report.reporter.display_name)
        else:
            entry.uncredited += 1
    return sorted(corrections.values(), key=lambda c: c.record.history_id, reverse=True)


def _changed_since_review(*, user, question: Question) -> dict[str, Any]:
    """The "answer changed since you last studied it" notice, if it applies to `user`."""
    if not user.is_authenticated:
        return {"changed": False}
    state = (
        StudyState.objects.filter(user=user, question=question)
        .only("pk", "changed_since_review", "last_answer_version")
        .first()
    )
    if state is None or not state.changed_since_review:
        return {"changed": False}
    seen = latest_revision_of_version(question=question, answer_version=state.last_answer_version)
    diffs = [d for d in revision_diff(seen, question) if d.changed] if seen is not None else []
    if seen is not None and not diffs:
        return {"changed": False}  # reverted to what they studied
    return {"changed": True, "seen_version": state.last_answer_version, "diffs": diffs}


def card_editorial_context(*, user, question: Question) -> dict[str, Any]:
    """Context of qa/_card_editorial.html (pass it as `editorial`). At most two queries."""
    return {
        "question": question,
        "report_url": reverse("qa:report-create", kwargs={"key": question.key}),
        **_changed_since_review(user=user, question=question),
    }


def question_editorial_context(*, user, question: Question) -> dict[str, Any]:
    """Context of qa/_question_editorial.html (pass it as `editorial`). At most four queries."""
    return {
        **card_editorial_context(user=user, question=question),
        "corrections": correction_log(question=question),
    }


def public_revision(*, question: Question, history_id: int):
    """A revision learners may look at: a correction in the public log, or the revision an
    accepted report links to. A revision made while the question was a draft is shown as the
    published revision that made it public. Returns (that revision, the published revision
    before it or None, the correction's reason, "" when it is no correction); DoesNotExist
    otherwise. At most four queries."""
    corrections, shown_by = _public_history(question)
    shown = shown_by.get(history_id)
    if shown is None:
        raise Question.history.model.DoesNotExist
    if shown not in corrections and not ErrorReport.objects.filter(
        question=question, status=ErrorReport.Status.ACCEPTED, correcting_revision_id=history_id
    ).exists():
        raise Question.history.model.DoesNotExist
    record = Question.history.get(history_id=shown)
    previous = (Question.history.filter(id=question.pk, history_id__lt=shown,
                                        status=Question.Status.PUBLISHED)
                .order_by("-history_id").first())
    correction = corrections.get(shown)
    return record, previous, correction.reason if correction else ""


def last_published(field: str, *, question: str = "question_id") -> Subquery:
    """`field` of the question the outer query names by `question`, as it was last published
    (a draft's current text is the editors' own)."""
    return Subquery(
        Question.history.filter(id=OuterRef(question), status=Question.Status.PUBLISHED)
        .order_by("-history_date", "-history_id").values(field)[:1]
    )


def taken_back(*, question: Question, record, previous):
    """The revert that later restored the wording `record` (a revision of `question`) replaced
    (`previous`'s), or None: the change page of a correction since taken back says so."""
    if previous is None:
        return None
    return (Question.history.filter(id=question.pk, history_id__gt=record.history_id,
                                    change_kind=Kind.REVERT,
                                    prompt=previous.prompt, answer=previous.answer)
            .order_by("history_id").only("history_id", "history_date").first())


def reports_for_user(*, user) -> QuerySet:
    """The user's own error reports, newest first, with their question and its bank."""
    return (
        ErrorReport.objects.filter(reporter=user)
        .select_related("question__bank")
        .defer("question__answer", "question__search_text")
        .order_by("-created_at", "-pk")
    )


# --- The editors' report queue --------------------------------------------------------------


def report_queue(queryset: QuerySet | None = None) -> QuerySet:
    """Annotations for the editors' queue (ErrorReportAdmin orders by them): open reports
    first; within them grouped by question, the question whose oldest open report is oldest
    first; then resolved ones. Also the number of open reports on each report's question."""
    queryset = ErrorReport.objects.all() if queryset is None else queryset
    open_on_question = (
        ErrorReport.objects.filter(question=OuterRef("question"), status=ErrorReport.Status.OPEN)
        .order_by()
        .values("question")
    )
    is_open = Q(status=ErrorReport.Status.OPEN)
    return queryset.annotate(
        is_resolved=Case(When(is_open, then=Value(0)), default=Value(1),
                         output_field=IntegerField()),
        queue_question_first=Case(
            When(is_open, then=Subquery(
                open_on_question.annotate(first=Min("created_at")).values("first")[:1]
            )),
            default=None,
            output_field=DateTimeField(),
        ),
        open_on_question=Subquery(
            open_on_question.annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
    )


def correction_candidates(*, report: ErrorReport) -> list:
    """Revisions that may have corrected what `report` is about: made after it was filed, or
    with a newer answer version than the reporter saw. Newest first."""
    return list(
        Question.history.filter(id=report.question_id)
        .filter(
            Q(history_date__gte=report.created_at) | Q(answer_version__gt=report.answer_version)
        )
        .exclude(history_type="+")
        .select_related("history_user")
        .order_by("-history_id")
    )


def default_correction(candidates: list, *, wording_only: bool = False):
    """The latest correction among `candidates`, else the latest revision that changed the
    prompt or the answer, else (unless `wording_only`) the latest revision. A correction is a
    substantive edit, or a revert that changed the answer version (undid a substantive edit):
    reverting a typo fix corrects nothing, and a change of tags, status or place changes no
    wording. At most one query, whatever the number of revisions."""
    before: dict[int, tuple | None] | None = None  # history id -> the revision before it

    def previous(record) -> tuple | None:
        """(answer_version, prompt, answer) of the revision before `record`."""
        nonlocal before
        if before is None:
            before, last = {}, None
            for history_id, *values in (Question.history.filter(id=record.id)
                                        .order_by("history_id")
                                        .values_list("history_id", "answer_version", "prompt",
                                                     "answer")):
                before[history_id], last = last, tuple(values)
        return before.get(record.history_id)

    for record in candidates:
        if record.change_kind == Kind.SUBSTANTIVE:
            return record
        if record.change_kind == Kind.REVERT and (
            (previous(record) or (None,))[0] != record.answer_version
        ):
            return record
    for record in candidates:
        earlier = previous(record)
        if earlier is None or earlier[1:] != (record.prompt, record.answer):
            return record
    return None if wording_only or not candidates else candidates[0]
