"""What a bank file holds once it is read and validated, and the hash that ties a question in
the database to the file content it was imported from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings

FORMAT_VERSION = 1
BANKS_DIR = Path(settings.BASE_DIR) / "fixtures" / "banks"
EXTENSIONS = (".yaml", ".yml", ".json")


class BankFileError(Exception):
    """One or more bank files are malformed. `messages` lists every problem found."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


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

    @cached_property
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
    prompt, answer = normal_text(prompt), normal_text(answer)
    payload = json.dumps([section, number, prompt, answer, sorted(tags), status],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint(*values: str | int) -> str:
    """The fingerprint of what the importer writes on a bank or a section (title, …), to tell
    an editor's change from the file's. Text is compared as content_hash compares it."""
    payload = json.dumps([normal_text(v) if isinstance(v, str) else v for v in values],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def normal_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def storable(text: str) -> bool:
    """Whether the database can store `text`: no NUL, no lone surrogate (JSON's \\ud800)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def default_paths() -> list[Path]:
    if not BANKS_DIR.is_dir():
        return []
    return sorted(p for p in BANKS_DIR.rglob("*") if p.suffix.lower() in EXTENSIONS)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)
