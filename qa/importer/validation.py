"""Checking a parsed bank file: every problem is collected with the file, the entry and (for
YAML) the line, and reported together as one `BankFileError`."""

from __future__ import annotations

import re
import reprlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qa.importer.files import (
    FORMAT_VERSION,
    BankFile,
    BankFileError,
    QuestionData,
    SectionData,
    display_path,
    normal_text,
    storable,
)
from qa.importer.parsing import gc_paused, parse
from qa.models import Bank, Question, Section, Tag
from qa.models.bank import KEY_PATTERN, LANGUAGE_TAG_PATTERN

_SLUG = re.compile(rf"^{KEY_PATTERN}$")
_LANGUAGE_TAG = re.compile(rf"^{LANGUAGE_TAG_PATTERN}\Z")
QUESTION_KEY = re.compile(r"([^/]+)/([^/]+)/(\d{2,})")
_STATUSES = tuple(Question.Status.values)
_TOP_FIELDS = {"format": True, "bank": True, "sections": True, "questions": True}
_BANK_FIELDS = {"slug": True, "title": True, "language": True, "description": False,
                "source": False}
_SECTION_FIELDS = {"key": True, "title": True}
_QUESTION_FIELDS = {"key": True, "section": True, "prompt": True, "answer": True,
                    "tags": False, "status": False}
def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


_TAG_MAX_LENGTH = _max_length(Tag, "name")
_KEY_MAX_LENGTH = _max_length(Question, "key")


# A value quoted in an error message: at most a few levels and items of it, so a small file
# whose YAML aliases nest a list in itself many times over is not expanded to print it.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 2, 80, 80
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4


def _shown(value: Any) -> str:
    return _SHORT.repr(value)


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

    def error(self, where: str | _Where, problem: str) -> None:
        self.errors.append(f"{self.label}: {where}: {problem}" if where
                           else f"{self.label}: {problem}")

    def fields(self, where: str | _Where, data: dict, spec: dict[str, bool]) -> bool:
        ok = True
        for name, required in spec.items():
            if required and name not in data:
                self.error(where, f"missing required field {_shown(name)}")
                ok = False
        for name in data:
            if name not in spec:
                self.error(where, f"unknown field {_shown(name)} (expected {', '.join(spec)})")
                ok = False
        return ok

    def text(self, where: str | _Where, data: dict, name: str, *, required: bool,
             one_line: bool = False, max_length: int | None = None) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.error(where, f"{_shown(name)} must be text, got {_type_name(value)}")
            return None
        if not storable(value):
            self.error(where, f"{_shown(name)} holds a character the database cannot store (NUL, "
                              f"or a lone surrogate such as \\ud800)")
            return None
        if max_length is not None and len(value.strip()) > max_length:
            self.error(where, f"{_shown(name)} is longer than {max_length} characters")
            return None
        if required and not value.strip():
            self.error(where, f"{_shown(name)} is empty")
            return None
        if one_line and "\n" in value.strip():
            self.error(where, f"{_shown(name)} must be a single line")
            return None
        return value.strip() if one_line else value

    def slug(self, where: str | _Where, data: dict, name: str, *, max_length: int) -> str | None:
        value = self.text(where, data, name, required=True, one_line=True, max_length=max_length)
        if value is not None and not _SLUG.match(value):
            self.error(where, f"{_shown(name)} {_shown(value)} must be lowercase ASCII letters, "
                              f"digits, '-' or '_'")
            return None
        return value


class _Where:
    """Which entry a problem is in ("question #2 'demo/one/02' (line 9)"). Spelled out only
    when there is a problem: a large bank would otherwise format it 100,000 times for
    nothing."""

    __slots__ = ("index", "item", "key", "kind")

    def __init__(self, kind: str, index: int, item: Any, key: Any = None) -> None:
        self.kind, self.index, self.item, self.key = kind, index, item, key

    def __str__(self) -> str:
        parts = [f"{self.kind} #{self.index + 1}"]
        if isinstance(self.key, str) and self.key:
            parts.append(repr(self.key))
        line = getattr(self.item, "line", None)
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
        v.error("", f"unknown format {_shown(data['format'])} (this importer reads format "
                    f"{FORMAT_VERSION})")
    if v.errors:
        raise BankFileError(v.errors)

    bank = data["bank"]
    slug = title = language = description = source = None
    if not isinstance(bank, dict):
        v.error("bank", f"must be a mapping, got {_type_name(bank)}")
    elif v.fields("bank", bank, _BANK_FIELDS):
        slug = v.slug("bank", bank, "slug", max_length=_max_length(Bank, "slug"))
        title = v.text("bank", bank, "title", required=True, one_line=True,
                       max_length=_max_length(Bank, "title"))
        language = v.text("bank", bank, "language", required=True, one_line=True,
                          max_length=_max_length(Bank, "language"))
        if language is not None and not _LANGUAGE_TAG.match(language):
            v.error("bank", f"'language' {_shown(language)} must be a language tag such as "
                            f"'zh-hans' or 'en'")
            language = None
        description = v.text("bank", bank, "description", required=False)
        source = v.text("bank", bank, "source", required=False)

    sections: list[SectionData] = []
    raw_sections = data["sections"]
    if not isinstance(raw_sections, list) or not raw_sections:
        got = "an empty list" if raw_sections == [] else _type_name(raw_sections)
        v.error("sections", f"must be a non-empty list, got {got}")
        raw_sections = []
    first_section: dict[str, int] = {}
    for index, item in enumerate(raw_sections):
        where = _Where("section", index, item, item.get("key") if isinstance(item, dict)
                       else None)
        if not isinstance(item, dict):
            v.error(where, f"must be a mapping, got {_type_name(item)}")
            continue
        if not v.fields(where, item, _SECTION_FIELDS):
            continue
        key = v.slug(where, item, "key", max_length=_max_length(Section, "key"))
        section_title = v.text(where, item, "title", required=True, one_line=True,
                               max_length=_max_length(Section, "title"))
        if key is None or section_title is None:
            continue
        if key in first_section:
            v.error(where, f"duplicate section key {_shown(key)} (first used by section "
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
        where = _Where("question", index, item, key)
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
            v.error(where, f"unknown section {_shown(section)} (sections: "
                           f"{', '.join(sorted(section_keys))})")
        if key is not None:
            if key in first_key:
                v.error(where, f"duplicate key {_shown(key)} (first used by question "
                               f"#{first_key[key] + 1})")
            else:
                first_key[key] = index
            if len(key) > _KEY_MAX_LENGTH:
                v.error(where, f"key is longer than {_KEY_MAX_LENGTH} characters")
            # The key names the section a question was first filed under; one moved to
            # another section since keeps it (keys are identities).
            match = QUESTION_KEY.fullmatch(key)
            if slug and not (match and match.group(1) == slug):
                v.error(where, f"key {_shown(key)} must look like '{slug}/<section key>/<number>'")

        tags: list[str] = []
        raw_tags = item.get("tags", [])
        if raw_tags is None:
            raw_tags = []
        if not isinstance(raw_tags, list):
            v.error(where, f"'tags' must be a list, got {_type_name(raw_tags)}")
        else:
            for tag in raw_tags:
                if not isinstance(tag, str) or not tag.strip() or not storable(tag):
                    v.error(where, f"each tag must be non-empty text, got {_shown(tag)}")
                elif len(tag.strip()) > _TAG_MAX_LENGTH:
                    v.error(where, f"tag {_shown(tag)} is longer than {_TAG_MAX_LENGTH} characters")
                elif tag.strip() in tags:
                    v.error(where, f"duplicate tag {_shown(tag.strip())}")
                else:
                    tags.append(tag.strip())

        status = item.get("status", Question.Status.PUBLISHED)
        if not isinstance(status, str) or status not in _STATUSES:
            v.error(where, f"bad status {_shown(status)} (expected one of {', '.join(_STATUSES)})")

        if len(v.errors) > errors_before:
            continue
        numbers[section] += 1
        questions.append(QuestionData(
            key=key, section=section, number=numbers[section], prompt=normal_text(prompt),
            answer=normal_text(answer), tags=tuple(tags), status=status,
        ))

    if v.errors:
        raise BankFileError(v.errors)
    return BankFile(path=path, label=label, slug=slug, title=title, language=language,
                    description=(description or "").strip(), source=(source or "").strip(),
                    sections=sections, questions=questions)


def load_bank_file(path: Path | str) -> BankFile:
    path = Path(path)
    label = display_path(path)
    with gc_paused():
        return _validate(parse(path, label), path, label)


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
            errors.append(f"{bank_file.label}: bank {_shown(bank_file.slug)} is also defined in "
                          f"{by_slug[bank_file.slug].label}")
        by_slug[bank_file.slug] = bank_file
    if errors:
        raise BankFileError(errors)
    return files
