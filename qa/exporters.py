"""Study sets and banks out as JSON and CSV (Anki decks: qa.anki; study sets back in from
JSON and CSV: qa.set_files). Exports carry only published questions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.utils import timezone

from qa.importer import FORMAT_VERSION as BANK_FORMAT_VERSION
from qa.models import Bank, Question, SetItem, StudySet
from qa.selectors.bank import tag_names

SET_FORMAT = "mianshi.set"
FORMAT_VERSION = 1
CSV_COLUMNS = ["position", "key", "section", "prompt", "answer", "tags", "note"]


@dataclass(frozen=True)
class ExportRow:
    question: Question
    tags: list[str]  # sorted by name
    note: str = ""


# --- Rows ------------------------------------------------------------------------------------

# A bank is read this many questions at a time, each chunk's tags in one query by question ids
# sent as parameters (PostgreSQL takes at most 65,535 in one query).
BANK_CHUNK = 2000


def set_rows(study_set: StudySet) -> list[ExportRow]:
    items = list(
        SetItem.objects.filter(study_set=study_set, question__status=Question.Status.PUBLISHED)
        .select_related("question__section", "question__bank")
        .order_by("position", "pk")
    )
    tags = tag_names([item.question_id for item in items])
    return [ExportRow(item.question, tags.get(item.question_id, []), item.note)
            for item in items]


def bank_rows(bank: Bank) -> Iterator[ExportRow]:
    questions = (
        Question.objects.published()
        .filter(bank=bank)
        .select_related("section", "bank")
        .order_by("section__position", "number", "pk")
        .iterator(chunk_size=BANK_CHUNK)
    )
    while chunk := list(islice(questions, BANK_CHUNK)):
        tags = tag_names([question.pk for question in chunk])
        yield from (ExportRow(question, tags.get(question.pk, [])) for question in chunk)


def _entry(position: int, row: ExportRow) -> dict:
    q = row.question
    return {
        "position": position,
        "key": q.key,
        "section": q.section.key,
        "prompt": q.prompt,
        "answer": q.answer,
        "tags": row.tags,
        "note": row.note,
    }


# --- JSON and CSV ----------------------------------------------------------------------------


def set_to_json(study_set: StudySet) -> bytes:
    doc = {
        "format": SET_FORMAT,
        "version": FORMAT_VERSION,
        "title": study_set.title,
        "description": study_set.description,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "items": [_entry(i, row) for i, row in enumerate(set_rows(study_set), start=1)],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def bank_to_json(bank: Bank) -> bytes:
    """The bank in the fixture format `import_bank` reads (published questions only), so an
    export can be imported into another site as it is."""
    doc = {
        "format": BANK_FORMAT_VERSION,
        "bank": {
            "slug": bank.slug,
            "title": bank.title,
            "language": bank.language,
            "description": bank.description,
            "source": bank.source,
        },
        "sections": [
            {"key": s.key, "title": s.title} for s in bank.sections.order_by("position", "pk")
        ],
        "questions": [
            {
                "key": row.question.key,
                "section": row.question.section.key,
                "prompt": row.question.prompt,
                "answer": row.question.answer,
                "tags": row.tags,
            }
            for row in bank_rows(bank)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def rows_to_csv(rows: Iterable[ExportRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i, row in enumerate(rows, start=1):
        entry = _entry(i, row)
        entry["tags"] = ", ".join(entry["tags"])
        writer.writerow([_csv_safe(entry[c]) for c in CSV_COLUMNS])
    # The BOM lets spreadsheet programs recognise UTF-8 (the prompts are Chinese).
    return out.getvalue().encode("utf-8-sig")


# A cell starting with one of these is run as a formula by spreadsheet programs; a leading
# apostrophe is what guards it, so a cell that starts with one is guarded too (else it would
# lose it on the way back in).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_GUARDED_STARTS = (*_FORMULA_STARTS, "'")


def _csv_safe(value):
    if isinstance(value, str) and value[:1] in _GUARDED_STARTS:
        return "'" + value
    return value


def csv_unsafe(value: str) -> str:
    """A cell as it was before _csv_safe guarded it (for imports: qa.set_files)."""
    if value[:1] == "'" and value[1:2] in _GUARDED_STARTS:
        return value[1:]
    return value
