"""Import question banks from fixture files (fixtures/banks/*.yaml, *.yml or *.json).

Two phases, so that a bad file never half-lands in the database:

1. `load_bank_files(paths)` parses and validates every file completely. Every problem is
   collected (file, entry, what is wrong) and raised together as `BankFileError`.
2. `import_banks(files, ...)` plans the upsert against the database and, unless `dry_run`,
   applies it. The caller runs it inside one transaction for the whole run.

Questions are matched by their stable key. `Question.import_hash` holds the hash of what the
importer last wrote (section, number, prompt, answer, tags, status). When the database still
hashes to it, nobody has touched the question since the import and the file may update it;
when it does not, an editor has changed it: the import leaves it alone and reports it (unless
forced, which still records a revision). Questions that vanished from the file are reported,
never deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from qa.models import Bank, Question, RevisionInfo, Section, StudyState, Tag
from qa.search import build_search_text

FORMAT_VERSION = 1
BANKS_DIR = Path(settings.BASE_DIR) / "fixtures" / "banks"
EXTENSIONS = (".yaml", ".yml", ".json")
BATCH_SIZE = 500

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_STATUSES = tuple(Question.Status.values)
_TOP_FIELDS = {"format": True, "bank": True, "sections": True, "questions": True}
_BANK_FIELDS = {"slug": True, "title": True, "language": True, "description": False,
                "source": False}
_SECTION_FIELDS = {"key": True, "title": True}
_QUESTION_FIELDS = {"key": True, "section": True, "prompt": True, "answer": True,
                    "tags": False, "status": False}
_TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
_KEY_MAX_LENGTH = Question._meta.get_field("key").max_length
_REASON_MAX_LENGTH = 100  # simple-history's history_change_reason column


class BankFileError(Exception):
    """One or more bank files are malformed. `messages` lists every problem found."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


# --- parsed file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionData:
    key: str
    title: str
    position: int


@dataclass(frozen=True)
class QuestionData:
    key: str
    section: str
    number: int
    prompt: str
    answer: str
    tags: tuple[str, ...]
    status: str

    @property
    def hash(self) -> str:
        return content_hash(section=self.section, number=self.number, prompt=self.prompt,
                            answer=self.answer, tags=self.tags, status=self.status)


@dataclass
class BankFile:
    path: Path
    label: str
    slug: str
    title: str
    language: str
    description: str
    source: str
    sections: list[SectionData]
    questions: list[QuestionData]


def content_hash(*, section: str, number: int, prompt: str, answer: str,
                 tags: Iterable[str], status: str) -> str:
    """The fingerprint of everything the importer writes on a question."""
    # Line endings and surrounding whitespace are not content: a browser sends CRLF and the
    # admin strips the ends, so an editor who saves without changing anything changes nothing.
    prompt, answer = _normal_text(prompt), _normal_text(answer)
    payload = json.dumps([section, number, prompt, answer, sorted(tags), status],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _normal_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def default_paths() -> list[Path]:
    if not BANKS_DIR.is_dir():
        return []
    return sorted(p for p in BANKS_DIR.rglob("*") if p.suffix.lower() in EXTENSIONS)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


# --- reading ----------------------------------------------------------------------------------


class _Mapping(dict):
    """A YAML mapping that remembers the line it started on (for error messages)."""

    line: int | None = None


# libyaml's parser when it is available: the pure-Python one takes minutes on a large bank.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """Safe YAML with line numbers on mappings, and duplicate fields as errors (PyYAML
    silently keeps the last one, which would hide a copy-paste mistake)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate field {key!r}", key_node.start_mark,
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _construct_map(loader: _Loader, node) -> Iterator[_Mapping]:
    data = _Mapping()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _no_duplicate_fields(pairs: list[tuple[str, Any]]) -> dict:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate field {key!r}")
        data[key] = value
    return data


def _parse(path: Path, label: str) -> Any:
    """The file's data, or BankFileError naming the file and (where known) the line."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise BankFileError([f"{label}: unsupported file type {suffix or '(none)'!r}; "
                             f"use .yaml, .yml or .json"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BankFileError([f"{label}: file not found"]) from None
    except IsADirectoryError:
        raise BankFileError([f"{label}: is a directory, not a bank file"]) from None
    except UnicodeDecodeError as exc:
        raise BankFileError([f"{label}: not UTF-8 text (byte {exc.start})"]) from None
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=_no_duplicate_fields)
        except json.JSONDecodeError as exc:
            raise BankFileError([f"{label}: invalid JSON at line {exc.lineno}, column "
                                 f"{exc.colno}: {exc.msg}"]) from None
        except ValueError as exc:
            raise BankFileError([f"{label}: invalid JSON: {exc}"]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise BankFileError([f"{label}: invalid YAML{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise BankFileError([f"{label}: invalid YAML: {exc}"]) from None


# --- validating -------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Validator:
    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[str] = []

    def error(self, where: str, problem: str) -> None:
        self.errors.append(f"{self.label}: {where}: {problem}" if where
                           else f"{self.label}: {problem}")

    def fields(self, where: str, data: dict, spec: dict[str, bool]) -> bool:
        ok = True
        for name, required in spec.items():
            if required and name not in data:
                self.error(where, f"missing required field {name!r}")
                ok = False
        for name in data:
            if name not in spec:
                self.error(where, f"unknown field {name!r} (expected {', '.join(spec)})")
                ok = False
        return ok

    def text(self, where: str, data: dict, name: str, *, required: bool,
             one_line: bool = False) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.error(where, f"{name!r} must be text, got {_type_name(value)}")
            return None
        if required and not value.strip():
            self.error(where, f"{name!r} is empty")
            return None
        if one_line and "\n" in value.strip():
            self.error(where, f"{name!r} must be a single line")
            return None
        return value.strip() if one_line else value

    def slug(self, where: str, data: dict, name: str) -> str | None:
        value = self.text(where, data, name, required=True, one_line=True)
        if value is not None and not _SLUG.match(value):
            self.error(where, f"{name!r} {value!r} must be lowercase ASCII letters, digits, "
                              f"'-' or '_'")
            return None
        return value


def _where(kind: str, index: int, item: Any, key: Any = None) -> str:
    parts = [f"{kind} #{index + 1}"]
    if isinstance(key, str) and key:
        parts.append(repr(key))
    line = getattr(item, "line", None)
    if line:
        parts.append(f"(line {line})")
    return " ".join(parts)


def _validate(data: Any, path: Path, label: str) -> BankFile:
    v = _Validator(label)
    if not isinstance(data, dict):
        raise BankFileError([f"{label}: expected a mapping with format, bank, sections and "
                             f"questions at the top, got {_type_name(data)}"])
    v.fields("", data, _TOP_FIELDS)
    if "format" in data and (data["format"] != FORMAT_VERSION
                             or isinstance(data["format"], bool)):
        v.error("", f"unknown format {data['format']!r} (this importer reads format "
                    f"{FORMAT_VERSION})")
    if v.errors:
        raise BankFileError(v.errors)

    bank = data["bank"]
    slug = title = language = description = source = None
    if not isinstance(bank, dict):
        v.error("bank", f"must be a mapping, got {_type_name(bank)}")
    elif v.fields("bank", bank, _BANK_FIELDS):
        slug = v.slug("bank", bank, "slug")
        title = v.text("bank", bank, "title", required=True, one_line=True)
        language = v.text("bank", bank, "language", required=True, one_line=True)
        description = v.text("bank", bank, "description", required=False)
        source = v.text("bank", bank, "source", required=False)

    sections: list[SectionData] = []
    raw_sections = data["sections"]
    if not isinstance(raw_sections, list) or not raw_sections:
        v.error("sections", f"must be a non-empty list, got {_type_name(raw_sections)}")
        raw_sections = []
    first_section: dict[str, int] = {}
    for index, item in enumerate(raw_sections):
        where = _where("section", index, item, item.get("key") if isinstance(item, dict)
                       else None)
        if not isinstance(item, dict):
            v.error(where, f"must be a mapping, got {_type_name(item)}")
            continue
        if not v.fields(where, item, _SECTION_FIELDS):
            continue
        key = v.slug(where, item, "key")
        section_title = v.text(where, item, "title", required=True, one_line=True)
        if key is None or section_title is None:
            continue
        if key in first_section:
            v.error(where, f"duplicate section key {key!r} (first used by section "
                           f"#{first_section[key] + 1})")
            continue
        first_section[key] = index
        sections.append(SectionData(key=key, title=section_title, position=len(sections)))
    section_keys = {s.key for s in sections}

    questions: list[QuestionData] = []
    raw_questions = data["questions"]
    if not isinstance(raw_questions, list):
        v.error("questions", f"must be a list, got {_type_name(raw_questions)}")
        raw_questions = []
    first_key: dict[str, int] = {}
    numbers: dict[str, int] = defaultdict(int)
    for index, item in enumerate(raw_questions):
        key = item.get("key") if isinstance(item, dict) else None
        where = _where("question", index, item, key)
        if not isinstance(item, dict):
            v.error(where, f"must be a mapping, got {_type_name(item)}")
            continue
        errors_before = len(v.errors)
        v.fields(where, item, _QUESTION_FIELDS)
        key = v.text(where, item, "key", required=True, one_line=True) if "key" in item else None
        section = (v.text(where, item, "section", required=True, one_line=True)
                   if "section" in item else None)
        prompt = v.text(where, item, "prompt", required=True) if "prompt" in item else None
        answer = v.text(where, item, "answer", required=True) if "answer" in item else None

        if section is not None and sections and section not in section_keys:
            v.error(where, f"unknown section {section!r} (sections: "
                           f"{', '.join(sorted(section_keys))})")
        if key is not None:
            if key in first_key:
                v.error(where, f"duplicate key {key!r} (first used by question "
                               f"#{first_key[key] + 1})")
            else:
                first_key[key] = index
            if len(key) > _KEY_MAX_LENGTH:
                v.error(where, f"key is longer than {_KEY_MAX_LENGTH} characters")
            match = re.fullmatch(r"([^/]+)/([^/]+)/(\d{2,})", key)
            if slug and not (match and match.group(1) == slug):
                v.error(where, f"key {key!r} must look like '{slug}/<section key>/<number>'")
            elif (match and section is not None and section in section_keys
                  and match.group(2) != section):
                v.error(where, f"key {key!r} does not match its section {section!r}")

        tags: list[str] = []
        raw_tags = item.get("tags", [])
        if raw_tags is None:
            raw_tags = []
        if not isinstance(raw_tags, list):
            v.error(where, f"'tags' must be a list, got {_type_name(raw_tags)}")
        else:
            for tag in raw_tags:
                if not isinstance(tag, str) or not tag.strip():
                    v.error(where, f"each tag must be non-empty text, got {tag!r}")
                elif len(tag.strip()) > _TAG_MAX_LENGTH:
                    v.error(where, f"tag {tag!r} is longer than {_TAG_MAX_LENGTH} characters")
                elif tag.strip() in tags:
                    v.error(where, f"duplicate tag {tag.strip()!r}")
                else:
                    tags.append(tag.strip())

        status = item.get("status", Question.Status.PUBLISHED)
        if not isinstance(status, str) or status not in _STATUSES:
            v.error(where, f"bad status {status!r} (expected one of {', '.join(_STATUSES)})")

        if len(v.errors) > errors_before:
            continue
        numbers[section] += 1
        questions.append(QuestionData(
            key=key, section=section, number=numbers[section], prompt=_normal_text(prompt),
            answer=_normal_text(answer), tags=tuple(tags), status=status,
        ))

    if v.errors:
        raise BankFileError(v.errors)
    return BankFile(path=path, label=label, slug=slug, title=title, language=language,
                    description=(description or "").strip(), source=(source or "").strip(),
                    sections=sections, questions=questions)


def load_bank_file(path: Path | str) -> BankFile:
    path = Path(path)
    label = display_path(path)
    return _validate(_parse(path, label), path, label)


def load_bank_files(paths: Iterable[Path | str]) -> list[BankFile]:
    """Parse and validate every file; raise one BankFileError listing every problem."""
    errors: list[str] = []
    files: list[BankFile] = []
    for path in paths:
        try:
            files.append(load_bank_file(path))
        except BankFileError as exc:
            errors.extend(exc.messages)
    by_slug: dict[str, BankFile] = {}
    for bank_file in files:
        if bank_file.slug in by_slug:
            errors.append(f"{bank_file.label}: bank {bank_file.slug!r} is also defined in "
                          f"{by_slug[bank_file.slug].label}")
        by_slug[bank_file.slug] = bank_file
    if errors:
        raise BankFileError(errors)
    return files


# --- importing --------------------------------------------------------------------------------


@dataclass
class FileReport:
    label: str
    slug: str
    bank_created: bool = False
    bank_updated: bool = False
    sections_created: list[str] = field(default_factory=list)
    sections_updated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Edited in the database since the import; left alone. Value: the file changed it too.
    skipped: dict[str, bool] = field(default_factory=dict)
    forced: list[str] = field(default_factory=list)
    # In the database but no longer in the file; left alone.
    missing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.bank_created or self.bank_updated or self.sections_created
                    or self.sections_updated or self.created or self.updated or self.forced)


def _reason(text: str) -> str:
    return text if len(text) <= _REASON_MAX_LENGTH else text[: _REASON_MAX_LENGTH - 1] + "…"


def _chunks(items: Sequence, size: int = BATCH_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_banks(files: Sequence[BankFile], *, force: bool = False, substantive: bool = False,
                 dry_run: bool = False) -> list[FileReport]:
    """Upsert the banks of `files`. Run it inside one transaction (the command does).

    `force`: overwrite questions edited in the database too (each gets a revision).
    `substantive`: an imported change of an answer text bumps `answer_version` (and re-queues
    the learners who studied the old version); by default it counts as a typo-level fix so
    nobody's schedule moves.
    `dry_run`: plan and report, write nothing.
    """
    stamp = timezone.now()
    return [
        _import_bank(bank_file, force=force, substantive=substantive, dry_run=dry_run,
                     stamp=stamp)
        for bank_file in files
    ]


def _import_bank(bank_file: BankFile, *, force: bool, substantive: bool, dry_run: bool,
                 stamp: datetime) -> FileReport:
    report = FileReport(label=bank_file.label, slug=bank_file.slug)
    clashes = list(
        Question.objects.filter(key__startswith=f"{bank_file.slug}/")
        .exclude(bank__slug=bank_file.slug).values_list("key", flat=True)[:5]
    )
    if clashes:
        raise BankFileError([f"{bank_file.label}: key {key!r} belongs to a question of another "
                             f"bank in the database" for key in clashes])

    bank = Bank.objects.filter(slug=bank_file.slug).first()
    bank_values = {"title": bank_file.title, "language": bank_file.language,
                   "description": bank_file.description, "source": bank_file.source}
    if bank is None:
        report.bank_created = True
        bank = Bank(slug=bank_file.slug, **bank_values)
    elif any(getattr(bank, name) != value for name, value in bank_values.items()):
        report.bank_updated = True
        for name, value in bank_values.items():
            setattr(bank, name, value)
    if not dry_run and (report.bank_created or report.bank_updated):
        bank.save()

    sections = {s.key: s for s in Section.objects.filter(bank=bank)} if bank.pk else {}
    for data in bank_file.sections:
        section = sections.get(data.key)
        if section is None:
            report.sections_created.append(data.key)
            section = sections[data.key] = Section(bank=bank, key=data.key, title=data.title,
                                                   position=data.position)
        elif (section.title, section.position) != (data.title, data.position):
            report.sections_updated.append(data.key)
            section.title, section.position = data.title, data.position
        else:
            continue
        if not dry_run:
            section.save()
    section_key_by_id = {s.pk: key for key, s in sections.items()}

    existing: dict[str, Question] = {}
    tag_rows: dict[int, list[tuple[int, int, str]]] = defaultdict(list)  # q id -> (row, tag, name)
    if bank.pk:
        existing = {q.key: q for q in Question.objects.filter(bank=bank).order_by()}
        through = Question.tags.through
        for row_id, question_id, tag_id, name in (
            through.objects.filter(question__bank=bank)
            .values_list("id", "question_id", "tag_id", "tag__name").order_by("id")
        ):
            tag_rows[question_id].append((row_id, tag_id, name))
        strays = {q.section_id for q in existing.values()} - set(section_key_by_id)
        if strays:
            section_key_by_id.update(Section.objects.filter(pk__in=strays).values_list("pk", "key"))

    def db_hash(question: Question) -> str:
        return content_hash(
            section=section_key_by_id[question.section_id], number=question.number,
            prompt=question.prompt, answer=question.answer,
            tags=[name for _row, _tag, name in tag_rows[question.pk]], status=question.status,
        )

    to_create: list[QuestionData] = []
    to_update: list[tuple[Question, QuestionData, bool]] = []  # (row, data, forced)
    adopt_hash: list[Question] = []
    for data in bank_file.questions:
        question = existing.get(data.key)
        if question is None:
            to_create.append(data)
            report.created.append(data.key)
            continue
        current = db_hash(question)
        if current == data.hash:
            report.unchanged.append(data.key)
            if question.import_hash != data.hash:
                # The file caught up with an editor's change: from now on this is the
                # imported content again.
                question.import_hash = data.hash
                adopt_hash.append(question)
        elif current == question.import_hash:
            to_update.append((question, data, False))
            report.updated.append(data.key)
        elif force:
            to_update.append((question, data, True))
            report.forced.append(data.key)
        else:
            report.skipped[data.key] = data.hash != question.import_hash
    file_keys = {data.key for data in bank_file.questions}
    report.missing = [key for key in existing if key not in file_keys]

    if dry_run:
        return report
    Question.objects.bulk_update(adopt_hash, ["import_hash"], batch_size=BATCH_SIZE)
    if not (to_create or to_update):
        return report

    tag_ids = _tag_ids({tag for data in to_create for tag in data.tags}
                       | {tag for _q, data, _f in to_update for tag in data.tags})
    label = bank_file.label
    history_tags: dict[int, list[tuple[int, int]]] = {}  # question id -> [(through row, tag)]

    # New questions.
    new_rows = [
        Question(
            key=data.key, bank=bank, section=sections[data.section], number=data.number,
            prompt=data.prompt, answer=data.answer, status=data.status,
            import_hash=data.hash, search_text=build_search_text(data.prompt, data.answer,
                                                                 *data.tags),
            created_at=stamp,
        )
        for data in to_create
    ]
    new_rows = bulk_create_with_history(
        new_rows, Question, batch_size=BATCH_SIZE, default_date=stamp,
        default_change_reason=_reason(f"Imported from {label}"),
        custom_historical_attrs={"change_kind": RevisionInfo.Kind.IMPORT},
    )
    tags_by_key = {data.key: data.tags for data in to_create}
    history_tags.update(_add_tags(
        [(q.pk, [tag_ids[name] for name in tags_by_key[q.key]]) for q in new_rows]))

    # Changed questions, grouped by the kind and reason their revision records.
    groups: dict[tuple[str, str], list[Question]] = defaultdict(list)
    retag: list[tuple[int, list[int]]] = []
    requeue: dict[int, list[int]] = defaultdict(list)  # new answer_version -> question ids
    for question, data, forced in to_update:
        kind = RevisionInfo.Kind.IMPORT
        if substantive and question.answer != data.answer:
            question.answer_version += 1
            kind = RevisionInfo.Kind.SUBSTANTIVE
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
        reason = (f"Forced re-import from {label}" if forced else f"Imported from {label}")
        groups[(kind, _reason(reason))].append(question)
        wanted = [tag_ids[name] for name in data.tags]
        current = tag_rows[question.pk]
        if sorted(wanted) != sorted(tag for _row, tag, _name in current):
            retag.append((question.pk, wanted))
        else:
            history_tags[question.pk] = [(row, tag) for row, tag, _name in current]
    for (kind, reason), rows in groups.items():
        bulk_update_with_history(
            rows, Question,
            ["section", "number", "prompt", "answer", "status", "answer_version", "revision",
             "import_hash", "search_text", "updated_at"],
            batch_size=BATCH_SIZE, default_date=stamp, default_change_reason=reason,
            custom_historical_attrs={"change_kind": kind},
        )
    through = Question.tags.through
    for chunk in _chunks([pk for pk, _tags in retag]):
        through.objects.filter(question_id__in=chunk).delete()
    history_tags.update(_add_tags(retag))
    _record_tag_history(bank, stamp, history_tags)

    # A substantive correction brings the question back to everyone who studied the old answer
    # (cards already overdue keep their earlier due date, as with a correction in the admin).
    for version, question_ids in requeue.items():
        for chunk in _chunks(question_ids):
            StudyState.objects.filter(
                question_id__in=chunk, last_answer_version__lt=version
            ).update(due=Least(F("due"), Value(stamp, output_field=DateTimeField())),
                     changed_since_review=True)
    return report


def _tag_ids(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def _add_tags(rows: list[tuple[int, list[int]]]) -> dict[int, list[tuple[int, int]]]:
    """Create the tag links of `rows` ([(question id, [tag id])]); return them with row ids."""
    through = Question.tags.through
    links = [through(question_id=pk, tag_id=tag_id) for pk, tag_ids in rows for tag_id in tag_ids]
    created = through.objects.bulk_create(links, batch_size=BATCH_SIZE)
    result: dict[int, list[tuple[int, int]]] = {pk: [] for pk, _tags in rows}
    for link in created:
        result[link.question_id].append((link.pk, link.tag_id))
    return result


def _record_tag_history(bank: Bank, stamp: datetime,
                        tags: dict[int, list[tuple[int, int]]]) -> None:
    """Attach the tags to the revisions just written: the bulk history utilities record the
    question's columns but not its many-to-many tags."""
    history_model = Question.history.model
    tag_history_model = history_model.tags.model
    revisions = history_model.objects.filter(
        Q(history_date=stamp) & Q(bank_id=bank.pk)
    ).values_list("history_id", "id")
    rows = [
        tag_history_model(history_id=history_id, id=row_id, question_id=question_id,
                          tag_id=tag_id)
        for history_id, question_id in revisions
        for row_id, tag_id in tags.get(question_id, [])
    ]
    tag_history_model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
