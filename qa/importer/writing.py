"""Applying an import plan: new questions, changed questions, their tags, and one revision for
each written question, exactly as simple-history's bulk utilities (`bulk_create_with_history`,
`bulk_update_with_history`) would record it, plus the revision's tags, which they leave out.

New questions, tag links and revisions go in through `qa.rows` (COPY on PostgreSQL): at 100,000
questions, compiling INSERTs in Django costs more than everything else the import does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Least

from qa.importer.files import QuestionData
from qa.models import Question, RevisionInfo, Section, StudyState, Tag
from qa.rows import insert_rows, insert_rows_returning_pks, update_rows
from qa.search import build_search_text

BATCH_SIZE = 500
_REASON_MAX_LENGTH = 100  # simple-history's history_change_reason column

# What a new question's row is written from (every column but the id).
_NEW_FIELDS = ("key", "bank_id", "section_id", "number", "prompt", "answer", "status",
               "answer_version", "revision", "import_hash", "search_text", "created_at",
               "updated_at")
_UPDATED_FIELDS = ("section_id", "number", "prompt", "answer", "status", "answer_version",
                   "revision", "import_hash", "search_text", "updated_at")

# A question's tag links: question id -> [(link row id, tag id)].
Links = dict[int, list[tuple[int, int]]]


def change_reason(text: str) -> str:
    return text if len(text) <= _REASON_MAX_LENGTH else text[: _REASON_MAX_LENGTH - 1] + "…"


def chunks(items: Sequence, size: int = BATCH_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def tag_ids(names: set[str]) -> dict[str, int]:
    """The ids of the tags `names`, creating those that do not exist yet."""
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def create_questions(*, bank_id: int, section_ids: dict[str, int],
                     questions: Sequence[QuestionData], tags: dict[str, int],
                     stamp: datetime, reason: str) -> None:
    """Write `questions` (new to the database), their tags and their first revisions."""
    fresh = Question()  # what a new question starts from (answer_version, revision)

    def values(data: QuestionData) -> dict[str, Any]:
        return {"key": data.key, "bank_id": bank_id, "section_id": section_ids[data.section],
                "number": data.number, "prompt": data.prompt, "answer": data.answer,
                "status": data.status, "answer_version": fresh.answer_version,
                "revision": fresh.revision, "import_hash": data.hash, "created_at": stamp}

    def rows() -> Iterator[tuple]:
        for data in questions:
            row = values(data)
            row["search_text"] = build_search_text(data.prompt, data.answer, *data.tags)
            row["updated_at"] = stamp
            yield tuple(row[name] for name in _NEW_FIELDS)

    pks = insert_rows_returning_pks(Question, _NEW_FIELDS, rows(), count=len(questions))
    links = _add_links([(pk, [tags[name] for name in data.tags])
                        for pk, data in zip(pks, questions, strict=True)])
    history_ids = _record_revisions(
        (dict(values(data), id=pk) for pk, data in zip(pks, questions, strict=True)),
        count=len(questions), history_type="+", reason=reason,
        kind=RevisionInfo.Kind.IMPORT, stamp=stamp,
    )
    _record_tag_revisions(zip(history_ids, pks, strict=True), links)


def update_questions(*, updates: Sequence[tuple[Question, QuestionData, bool]],
                     sections: dict[str, Section], links: Links, tags: dict[str, int],
                     substantive: bool, stamp: datetime, reasons: tuple[str, str],
                     undoing: set[str] = frozenset()) -> None:
    """Write the file's content over `updates` ([(row, data, forced)]) with a revision each.
    `links`: the questions' current tag links. `reasons`: the revisions' reason, and a forced
    one's. `undoing`: keys whose forced text undoes an editor's substantive correction, which
    count as a revert of it (see qa.services.editorial.revert_question)."""
    groups: dict[tuple[str, str], list[Question]] = defaultdict(list)
    retag: list[tuple[int, list[int]]] = []
    kept: Links = {}
    requeue: dict[int, list[int]] = defaultdict(list)  # new answer_version -> question ids
    for question, data, forced in updates:
        kind = RevisionInfo.Kind.IMPORT
        if substantive and question.answer != data.answer:
            kind = RevisionInfo.Kind.SUBSTANTIVE
        elif data.key in undoing:
            kind = RevisionInfo.Kind.REVERT
        if kind != RevisionInfo.Kind.IMPORT:
            question.answer_version += 1
            requeue[question.answer_version].append(question.pk)
        question.section = sections[data.section]
        question.number = data.number
        question.prompt = data.prompt
        question.answer = data.answer
        question.status = data.status
        question.revision += 1
        question.import_hash = data.hash
        question.search_text = build_search_text(data.prompt, data.answer, *data.tags)
        question.updated_at = stamp
        reason = reasons[1] if forced else reasons[0]
        groups[(kind, change_reason(reason))].append(question)
        wanted = [tags[name] for name in data.tags]
        current = links.get(question.pk, [])
        if sorted(wanted) != sorted(tag for _row, tag in current):
            retag.append((question.pk, wanted))
        else:
            kept[question.pk] = current

    update_rows(Question, _UPDATED_FIELDS,
                ((question.pk, *(getattr(question, name) for name in _UPDATED_FIELDS))
                 for question, _data, _forced in updates))
    through = Question.tags.through
    for chunk in chunks([pk for pk, _tags in retag]):
        through.objects.filter(question_id__in=chunk).delete()
    kept.update(_add_links(retag))

    tracked = _tracked_fields()
    for (kind, reason), rows in groups.items():
        history_ids = _record_revisions(
            ({name: getattr(question, name) for name in tracked} for question in rows),
            count=len(rows), history_type="~", reason=reason, kind=kind, stamp=stamp,
        )
        _record_tag_revisions(zip(history_ids, [q.pk for q in rows], strict=True), kept)

    # A substantive correction brings the question back to everyone who studied the old answer
    # (cards already overdue keep their earlier due date, as with a correction in the admin).
    for version, question_ids in requeue.items():
        for chunk in chunks(question_ids):
            StudyState.objects.filter(
                question_id__in=chunk, last_answer_version__lt=version
            ).update(due=Least(F("due"), Value(stamp, output_field=DateTimeField())),
                     changed_since_review=True)


def adopt_hashes(questions: Sequence[Question]) -> None:
    if questions:
        update_rows(Question, ("import_hash",), ((q.pk, q.import_hash) for q in questions))


def _add_links(rows: list[tuple[int, list[int]]]) -> Links:
    """Link questions to tags ([(question id, [tag id])]); return the links with row ids."""
    pairs = [(pk, tag) for pk, tag_list in rows for tag in tag_list]
    links: Links = {pk: [] for pk, _tags in rows}
    if not pairs:
        return links
    row_ids = insert_rows_returning_pks(Question.tags.through, ("question_id", "tag_id"), pairs,
                                        count=len(pairs))
    for row_id, (pk, tag) in zip(row_ids, pairs, strict=True):
        links[pk].append((row_id, tag))
    return links


def _tracked_fields() -> list[str]:
    return [field.attname for field in Question.history.model.tracked_fields]


def imported_versions(questions: Sequence[Question]) -> dict[int, int]:
    """The answer version each question had when the file last wrote it: the version of the
    first of its newest run of revisions that carry its current import_hash (editors' saves
    keep the hash the import wrote). None for a question without such a revision. A query per
    question: only the questions a forced import overwrites are asked about."""
    history = Question.history.model
    versions: dict[int, int] = {}
    for question in questions:
        run = history.objects.filter(id=question.pk).order_by("-history_id").values_list(
            "import_hash", "answer_version")
        for import_hash, answer_version in run.iterator():
            if import_hash != question.import_hash:
                break
            versions[question.pk] = answer_version
    return versions


def replaced_by_editors(question_ids: list[int]) -> dict[int, dict[tuple[str, str], int]]:
    """For each of `question_ids` whose wording an editor changed: the (prompt, answer) pairs
    the editors' revisions replaced, with the answer version each had. An editor's revision
    keeps the import fingerprint as it was; so does a forced import of an unchanged file,
    written as a correction or a revert, which is told apart by having no user (imports run
    from the command line; editors save in the admin, signed in) and no typo kind."""
    history = Question.history.model
    edited: list[int] = []
    for chunk in chunks(question_ids):
        edited.extend(history.objects.filter(id__in=chunk).exclude(
            change_kind=RevisionInfo.Kind.IMPORT).values_list("id", flat=True).distinct())
    imports_write = {RevisionInfo.Kind.IMPORT, RevisionInfo.Kind.SUBSTANTIVE,
                     RevisionInfo.Kind.REVERT}
    replaced: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for chunk in chunks(sorted(set(edited))):
        rows = (history.objects.filter(id__in=chunk).order_by("id", "history_date", "history_id")
                .values_list("id", "change_kind", "history_user_id", "import_hash", "prompt",
                             "answer", "answer_version"))
        before = None
        for pk, kind, user_id, fingerprint, prompt, answer, version in rows.iterator(
                chunk_size=2000):
            by_editor = kind != RevisionInfo.Kind.IMPORT and (
                user_id is not None or kind not in imports_write)
            if (before is not None and before[0] == pk and by_editor
                    and before[1] == fingerprint and before[2] != (prompt, answer)):
                replaced[pk][before[2]] = before[3]
            before = (pk, fingerprint, (prompt, answer), version)
    return replaced


def _record_revisions(values: Iterable[dict[str, Any]], *, count: int, history_type: str,
                      reason: str, kind: str, stamp: datetime) -> list[int]:
    """One historical row per question (`values`: its tracked fields), as simple-history's
    `bulk_history_create` writes it; return their history ids, in order."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return []
    history = Question.history.model
    tracked = _tracked_fields()
    # The user simple-history would record: none for a command, the signed-in editor if an
    # import ever runs inside a request.
    user = history.get_default_history_user(Question())
    user_field = history._meta.get_field("history_user").attname
    fields = [*tracked, "history_date", user_field, "history_change_reason", "history_type",
              "change_kind"]
    extra = (stamp, user.pk if user else None, reason, history_type, kind)
    rows = (tuple(row[name] for name in tracked) + extra for row in values)
    return insert_rows_returning_pks(history, fields, rows, count=count)


def _record_tag_revisions(revisions: Iterable[tuple[int, int]], links: Links) -> None:
    """Attach the tags to the revisions ([(history id, question id)]) just written."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    insert_rows(
        Question.history.model.tags.model, ("history_id", "id", "question_id", "tag_id"),
        ((history_id, row_id, question_id, tag_id)
         for history_id, question_id in revisions
         for row_id, tag_id in links.get(question_id, ())),
    )
