"""Study sets in from JSON and CSV files (as qa.exporters writes them, or a spreadsheet
program saves them).

An import names questions by their stable `key` and never creates or changes questions: it
builds a new set out of questions already in the bank. Imports are checked completely before
anything is written; every problem is reported with the row (CSV) or entry (JSON) it was found
in. A file past a set's size is refused before its rows are looked at.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from qa.exporters import CSV_COLUMNS, FORMAT_VERSION, SET_FORMAT, csv_unsafe
from qa.importer.files import normal_text, storable
from qa.importer.parsing import DuplicateField, no_duplicate_fields
from qa.models import Question
from qa.services.sets import DESCRIPTION_MAX, MAX_SET_ITEMS, NOTE_MAX, TITLE_MAX, ImportedItem

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ERRORS = 50


@dataclass
class ParsedSet:
    title: str = ""
    description: str = ""
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (where, key, note)
    errors: list[str] = field(default_factory=list)
    positions: list[int | None] = field(default_factory=list)  # each entry's, if a number
    # How many entries a file lists past a set's limit: then none of them is read.
    too_many: int = 0

    def add(self, where: str, key: str, note: str, position) -> None:
        self.entries.append((where, key, note))
        self.positions.append(_position(position))

    def order_notice(self) -> str | None:
        """The file's rows are the set's order, as in a spreadsheet whose rows were moved. An
        export numbers them too: if those numbers were edited to order them otherwise, say that
        the rows' order was kept, rather than nothing."""
        given = [p for p in self.positions if p is not None]
        if given == sorted(given):
            return None
        return _("The questions were taken in the order of the file's rows; its “position” "
                 "numbers, which order them otherwise, were not used. To reorder the set, "
                 "move the rows (or sort them by position) and import again.")


def _position(value) -> int | None:
    """A position as a file gives it (a number, or text of digits), None otherwise."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        return int(value.strip())
    return value if type(value) is int else None


@dataclass
class ImportResult:
    title: str
    description: str
    items: list[ImportedItem]
    errors: list[str]
    notice: str | None = None  # said along with the import, if it went through


def _decode(data: bytes, errors: list[str]) -> str | None:
    if len(data) > MAX_UPLOAD_BYTES:
        errors.append(
            _("The file is larger than %(max)d KB.") % {"max": MAX_UPLOAD_BYTES // 1024}
        )
        return None
    try:
        if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return data.decode("utf-16")  # Excel's "Unicode Text"
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_byte = exc.start
    else:
        # UTF-16 without its byte order mark decodes too, with a NUL beside each Latin letter.
        if not (len(data) >= 2 and (data[0] == 0) != (data[1] == 0)):
            return text
        bad_byte = data.index(0)
    errors.append(_("The file is not UTF-8 text (byte %(pos)d). In Excel, save it as "
                    "“CSV UTF-8”.") % {"pos": bad_byte})
    return None


def _parse_json(text: str) -> ParsedSet:
    parsed = ParsedSet()
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicate_fields)
    except json.JSONDecodeError as exc:
        parsed.errors.append(
            _("The file is not valid JSON: %(msg)s (line %(line)d, column %(col)d).")
            % {"msg": exc.msg, "line": exc.lineno, "col": exc.colno}
        )
        return parsed
    except DuplicateField as exc:
        parsed.errors.append(_("The field \"%(name)s\" appears twice in one object.")
                             % {"name": exc.args[1]})
        return parsed
    except (ValueError, RecursionError):  # a number too long to read, nesting too deep
        parsed.errors.append(_("The file is not a set this site can read: its JSON is nested "
                               "too deeply or holds a number too long."))
        return parsed
    if not isinstance(doc, dict):
        parsed.errors.append(_("The file must hold a JSON object with an \"items\" list."))
        return parsed
    if "items" not in doc and {"bank", "questions"} <= set(doc):
        parsed.errors.append(_("This is a bank's download, not a set: editors import a bank "
                               "with manage.py import_bank. A set file lists question keys "
                               "(a set's own JSON or CSV download is one)."))
        return parsed
    allowed = {"format", "version", "title", "description", "exported_at", "items"}
    unknown = sorted(set(doc) - allowed)
    if unknown:
        parsed.errors.append(
            _("Unknown top-level fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    fmt = doc.get("format", SET_FORMAT)
    if fmt != SET_FORMAT:
        parsed.errors.append(
            _("The \"format\" is %(found)r; expected %(expected)r.")
            % {"found": fmt, "expected": SET_FORMAT}
        )
    version = doc.get("version", FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:
        parsed.errors.append(
            _("Unsupported \"version\" %(found)r; this site reads version %(expected)d.")
            % {"found": doc.get("version"), "expected": FORMAT_VERSION}
        )
    for name in ("title", "description"):
        value = doc.get(name, "")
        if not isinstance(value, str) or not storable(value):
            parsed.errors.append(_("\"%(name)s\" must be text.") % {"name": name})
        else:
            setattr(parsed, name, normal_text(value))
    parsed.title = " ".join(parsed.title.split())  # a title is one line
    if len(parsed.title) > TITLE_MAX:
        parsed.errors.append(_("The title can be at most %(max)d characters.")
                             % {"max": TITLE_MAX})
    if len(parsed.description) > DESCRIPTION_MAX:
        parsed.errors.append(_("The description can be at most %(max)d characters.")
                             % {"max": DESCRIPTION_MAX})
    items = doc.get("items")
    if not isinstance(items, list):
        parsed.errors.append(_("\"items\" must be a list of entries."))
        return parsed
    if len(items) > MAX_SET_ITEMS:
        parsed.too_many = len(items)
        return parsed
    entry_fields = {"position", "key", "section", "prompt", "answer", "tags", "note"}
    for i, entry in enumerate(items, start=1):
        where = _("Entry %(n)d") % {"n": i}
        if not isinstance(entry, dict):
            parsed.errors.append(_("%(where)s: must be an object.") % {"where": where})
            continue
        unknown = sorted(set(entry) - entry_fields)
        if unknown:
            parsed.errors.append(
                _("%(where)s: unknown fields %(fields)s.")
                % {"where": where, "fields": ", ".join(unknown)}
            )
        key, note = entry.get("key"), entry.get("note", "")
        if key is None or (isinstance(key, str) and not key.strip()):
            parsed.errors.append(_("%(where)s: \"key\" is missing.") % {"where": where})
            continue
        if not isinstance(key, str) or not storable(key):
            parsed.errors.append(_("%(where)s: \"key\" must be text.") % {"where": where})
            continue
        if not isinstance(note, str) or not storable(note):
            parsed.errors.append(_("%(where)s: \"note\" must be text.") % {"where": where})
            continue
        parsed.add(where, key.strip(), normal_text(note), entry.get("position"))
    return parsed


def _delimiter(text: str) -> str:
    """`,`, or what a spreadsheet program saved the header with instead: `;` (Excel where the
    decimal mark is a comma) or a tab (“Unicode Text”)."""
    first_line = text.split("\n", 1)[0]
    if "," not in first_line:
        for other in (";", "\t"):
            if other in first_line:
                return other
    return ","


def _csv_problem(exc: csv.Error, *, line: int) -> str:
    """What the csv module's error (in English, and in its own words) means for the file, said
    at the line where the row it could not read begins."""
    if "field larger than field limit" in str(exc):
        return _("Line %(n)d: a cell is longer than %(max)d characters.") % {
            "n": line, "max": csv.field_size_limit()}
    return _("Line %(n)d: a quoted cell is not closed as it should be (end it with \", and "
             "write a \" inside it as \"\").") % {"n": line}


def _parse_csv(text: str) -> ParsedSet:
    parsed = ParsedSet()
    # strict: a quoted cell never closed is an error, not a cell that swallows every row after
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append(_("The file is empty."))
        return parsed
    except csv.Error as exc:
        parsed.errors.append(_csv_problem(exc, line=1))
        return parsed
    header = [h.strip().lower() for h in header]
    while header and not header[-1]:
        header.pop()  # empty cells a spreadsheet program left after the last column
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        parsed.errors.append(
            _("Row 1: unknown columns %(cols)s (allowed: %(allowed)s).")
            % {"cols": ", ".join(unknown), "allowed": ", ".join(CSV_COLUMNS)}
        )
    if "key" not in header:
        parsed.errors.append(_("Row 1: a \"key\" column is required."))
        return parsed
    key_at = header.index("key")
    note_at = header.index("note") if "note" in header else None
    position_at = header.index("position") if "position" in header else None
    # Read every row first (the csv module is quick; what is done with a row is not), so a
    # file past a set's limit is told so without its rows being looked at.
    rows: list[tuple[int, list[str]]] = []
    read_to = reader.line_num  # the last line of the rows read so far
    try:
        for number, row in enumerate(reader, start=2):
            read_to = reader.line_num
            if any(cell.strip() for cell in row):
                rows.append((number, row))
    except csv.Error as exc:
        parsed.errors.append(_csv_problem(exc, line=read_to + 1))
        return parsed
    if len(rows) > MAX_SET_ITEMS:
        parsed.too_many = len(rows)
        return parsed
    for number, row in rows:
        where = _("Row %(n)d") % {"n": number}
        if len(row) > len(header) and not any(cell.strip() for cell in row[len(header):]):
            row = row[:len(header)]
        if len(row) != len(header):
            parsed.errors.append(
                _("%(where)s: %(found)d cells, the header has %(expected)d.")
                % {"where": where, "found": len(row), "expected": len(header)}
            )
            continue
        key = row[key_at].strip()
        if not key:
            parsed.errors.append(_("%(where)s: the key is empty.") % {"where": where})
            continue
        note = normal_text(csv_unsafe(row[note_at].strip())) if note_at is not None else ""
        if not storable(key) or not storable(note):
            parsed.errors.append(_("%(where)s: holds a character that is not text (NUL).")
                                 % {"where": where})
            continue
        parsed.add(where, key, note, row[position_at] if position_at is not None else None)
    return parsed


def parse_set_file(*, name: str, data: bytes) -> ImportResult:
    """Read an uploaded set (by extension: .json or .csv) and resolve its question keys.

    Returns the items in file order and every problem found; callers write nothing when
    `errors` is not empty."""
    lower = name.lower()
    if not lower.endswith((".json", ".csv")):
        return ImportResult("", "", [], [_("Upload a .json or .csv file.")])
    errors: list[str] = []
    text = _decode(data, errors)
    if text is None:
        return ImportResult("", "", [], errors)
    parsed = _parse_json(text) if lower.endswith(".json") else _parse_csv(text)
    errors = parsed.errors
    if parsed.too_many:
        errors.append(
            _("The file lists %(n)d questions; a set holds at most %(max)d.")
            % {"n": parsed.too_many, "max": MAX_SET_ITEMS}
        )
        return ImportResult(parsed.title, parsed.description, [], errors)
    keys = {key for _where, key, _note in parsed.entries}
    found = {
        q.key: q
        for q in Question.objects.filter(key__in=keys).only("pk", "key", "status")
    } if keys else {}
    items: list[ImportedItem] = []
    seen: dict[str, str] = {}
    for where, key, note in parsed.entries:
        question = found.get(key)
        if question is None or question.status != Question.Status.PUBLISHED:
            errors.append(
                _("%(where)s: unknown question key %(key)r.") % {"where": where, "key": key}
            )
            continue
        if key in seen:
            errors.append(
                _("%(where)s: %(key)r is already listed at %(first)s.")
                % {"where": where, "key": key, "first": seen[key]}
            )
            continue
        if len(note) > NOTE_MAX:
            errors.append(
                _("%(where)s: the note is longer than %(max)d characters.")
                % {"where": where, "max": NOTE_MAX}
            )
            continue
        seen[key] = where
        items.append(ImportedItem(question=question, note=note))
    if not parsed.entries and not errors:
        errors.append(_("The file lists no questions."))
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _("…and %(n)d more problems.") % {"n": more}]
    return ImportResult(parsed.title, parsed.description, items, errors,
                        notice=parsed.order_notice())
