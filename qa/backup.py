"""Backup and restore of everything people have created: the `backup_data` / `restore_data` pair.

What is saved: accounts (with password hashes, groups, verified email addresses), teams,
memberships, invitations, study sets and their items, quizzes, study states, reviews,
bookmarks, notes, error reports, the bank's current content (banks, sections, tags, questions,
so editors' corrections survive) and every question's revision history. Not saved: sessions
(people log in again), the admin's action log, anything a migration creates.

The file is JSON Lines, optionally gzipped (a `.gz` name): a header line
`{"format": "mianshi-backup", "version": 1, ...}`, then lines
`{"table": ..., "columns": [...], "rows": [[...], ...]}` in restore order, a table's rows split
over as many lines as needed so that neither side ever holds a big table in memory.

Restoring goes into a migrated database, with or without `import_bank` having run: questions,
sections, banks and tags are matched by their keys (slug, section key, question key, tag name)
and updated or created; people's rows keep their ids; references to questions follow the keys,
so it does not matter which ids the bank got. It runs in one transaction and refuses to write
over existing people's data unless told to replace it (`force=True`).
"""

from __future__ import annotations

import datetime
import decimal
import gzip
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from allauth.account.models import EmailAddress, EmailConfirmation
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Invitation, Membership, Team, User
from qa.models import (
    Bank,
    Bookmark,
    ErrorReport,
    Note,
    Question,
    Quiz,
    QuizItem,
    Review,
    Section,
    SetItem,
    StudySet,
    StudyState,
    Tag,
)

FORMAT = "mianshi-backup"
VERSION = 1
CHUNK = 2000

HistoricalQuestion = Question.history.model
# simple-history's record of the tags at each revision (Question.history m2m_fields).
HistoricalQuestionTag = apps.get_model("qa", "HistoricalQuestion_tags")

# People's data, in the order it is restored (every table after the tables it refers to).
# These keep their ids; references to bank content are translated through keys.
PEOPLE_MODELS: list[type[models.Model]] = [
    User,
    EmailAddress,
    Team,
    Membership,
    Invitation,
    StudySet,
    SetItem,
    Quiz,
    QuizItem,
    Review,
    StudyState,
    Bookmark,
    Note,
    ErrorReport,
]


class _Encoder(json.JSONEncoder):
    """Full-precision datetimes (Django's encoder keeps only milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, datetime.timedelta):
            return o.total_seconds()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


class BackupError(Exception):
    """A backup file that cannot be restored, or a restore that would destroy data."""


@dataclass
class RestoreReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped_history_rows: int = 0

    def add(self, label: str, n: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + n


# --- Writing ----------------------------------------------------------------------------------


def _open_for_writing(path: Path, *, compress: bool) -> IO[str]:
    if compress:
        return io.TextIOWrapper(gzip.open(path, "wb", compresslevel=6), encoding="utf-8")
    return path.open("w", encoding="utf-8")


def _open_for_reading(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _chunks(rows: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _table_lines(
    label: str, columns: list[str], rows: Iterable[Iterable[Any]]
) -> Iterator[dict[str, Any]]:
    for batch in _chunks(rows):
        yield {"table": label, "columns": columns, "rows": [list(r) for r in batch]}


def _model_rows(model: type[models.Model]) -> Iterator[tuple]:
    return model._default_manager.order_by("pk").values_list(*_columns(model)).iterator(
        chunk_size=CHUNK
    )


def _history_lines() -> Iterator[dict[str, Any]]:
    for model in (HistoricalQuestion, HistoricalQuestionTag):
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))


def _backup_lines() -> Iterator[dict[str, Any]]:
    # Groups and their permissions by name (ids differ between databases).
    groups = Group.objects.order_by("name").prefetch_related("permissions__content_type")
    yield from _table_lines(
        "auth.group",
        ["name", "permissions"],
        (
            [g.name, sorted(f"{p.content_type.app_label}.{p.codename}"
                            for p in g.permissions.all())]
            for g in groups
        ),
    )
    for model in (Bank, Section, Tag, Question):
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))
    yield from _table_lines(
        "qa.question_tags",
        ["question_id", "tag_id"],
        Question.tags.through.objects.order_by("pk").values_list("question_id", "tag_id")
        .iterator(chunk_size=CHUNK),
    )
    for model in PEOPLE_MODELS:
        if model is ErrorReport:
            # Reports point at the revision that corrected them: history goes first.
            yield from _history_lines()
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))
        if model is User:
            yield from _table_lines(
                "accounts.user_groups",
                ["user_id", "group"],
                User.groups.through.objects.order_by("pk").values_list("user_id", "group__name")
                .iterator(chunk_size=CHUNK),
            )
            yield from _table_lines(
                "accounts.user_permissions",
                ["user_id", "permission"],
                (
                    [user_id, f"{app}.{codename}"]
                    for user_id, app, codename in User.user_permissions.through.objects
                    .order_by("pk")
                    .values_list("user_id", "permission__content_type__app_label",
                                 "permission__codename")
                    .iterator(chunk_size=CHUNK)
                ),
            )
def write_backup(path: Path, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write a backup of all people's data (and the bank's content) to `path`."""
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".partial")
    # One snapshot: every table read in the same repeatable-read view where supported.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with _open_for_writing(tmp, compress=path.suffix == ".gz") as out:
            header = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
            }
            out.write(json.dumps(header) + "\n")
            for line in _backup_lines():
                counts[line["table"]] = counts.get(line["table"], 0) + len(line["rows"])
                out.write(json.dumps(line, cls=_Encoder, ensure_ascii=False) + "\n")
                if progress:
                    progress(line["table"])
    tmp.replace(path)
    return counts


# --- Reading ----------------------------------------------------------------------------------


def read_header(path: Path) -> dict[str, Any]:
    with _open_for_reading(path) as src:
        return _parse_header(src.readline(), path)


def _parse_header(first_line: str, path: Path) -> dict[str, Any]:
    try:
        header = json.loads(first_line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup written by backup_data.")
    if header.get("version") != VERSION:
        raise BackupError(
            f"{path} has backup format version {header.get('version')!r}; this version of the "
            f"site restores version {VERSION}."
        )
    return header


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with _open_for_reading(path) as src:
        _parse_header(src.readline(), path)
        for number, raw in enumerate(src, start=2):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise BackupError(f"{path}, line {number}: not valid JSON ({exc}).") from None
            if not isinstance(line, dict) or "table" not in line or "rows" not in line:
                raise BackupError(f"{path}, line {number}: not a table of rows.")
            yield line


def people_data_present() -> list[str]:
    """Labels of the people's tables that already hold rows."""
    return [m._meta.label for m in PEOPLE_MODELS if m._default_manager.exists()]


# --- Restoring --------------------------------------------------------------------------------


class _Restorer:
    def __init__(self, report: RestoreReport) -> None:
        self.report = report
        self.bank_ids: dict[int, int] = {}
        self.section_ids: dict[int, int] = {}
        self.tag_ids: dict[int, int] = {}
        self.question_ids: dict[int, int] = {}
        self.history_ids: dict[int, int] = {}
        self.cleared_history = False
        self.by_label = {m._meta.label_lower: m for m in PEOPLE_MODELS}

    # Translating references to bank content through keys.
    def _translators(self, model: type[models.Model], columns: list[str]):
        maps = {Bank: self.bank_ids, Section: self.section_ids, Tag: self.tag_ids,
                Question: self.question_ids, HistoricalQuestion: self.history_ids}
        fields = {f.attname: f for f in model._meta.concrete_fields}
        out = []
        for i, name in enumerate(columns):
            f = fields.get(name)
            if f is None:
                raise BackupError(
                    f"{model._meta.label} has no column {name!r}; the backup comes from a "
                    "different version of the site."
                )
            mapping = maps.get(f.related_model) if f.is_relation else None
            out.append((i, f, mapping))
        return out

    def _instances(self, model, columns, rows):
        translators = self._translators(model, columns)
        for row in rows:
            values = {}
            for i, f, mapping in translators:
                value = row[i]
                if value is not None:
                    value = mapping.get(value) if mapping is not None else f.to_python(value)
                values[f.attname] = value
            yield model(**values)

    # Bank content: matched by keys, updated or created.
    def bank(self, columns, rows):
        existing = dict(Bank.objects.values_list("slug", "pk"))
        for obj in self._instances(Bank, columns, rows):
            old_pk = obj.pk
            obj.pk = existing.get(obj.slug)
            if obj.pk is None:
                obj.save(force_insert=True)
            else:
                obj.save(force_update=True)
            self.bank_ids[old_pk] = obj.pk
        self.report.add("qa.bank", len(rows))

    def section(self, columns, rows):
        existing = {(b, k): pk for b, k, pk in Section.objects.values_list("bank_id", "key", "pk")}
        for obj in self._instances(Section, columns, rows):
            old_pk = obj.pk
            obj.pk = existing.get((obj.bank_id, obj.key))
            if obj.pk is None:
                obj.save(force_insert=True)
            else:
                obj.save(force_update=True)
            self.section_ids[old_pk] = obj.pk
        self.report.add("qa.section", len(rows))

    def tag(self, columns, rows):
        existing = dict(Tag.objects.values_list("name", "pk"))
        for obj in self._instances(Tag, columns, rows):
            old_pk = obj.pk
            if obj.name in existing:
                self.tag_ids[old_pk] = existing[obj.name]
            else:
                obj.pk = None
                obj.save(force_insert=True)
                self.tag_ids[old_pk] = existing[obj.name] = obj.pk
        self.report.add("qa.tag", len(rows))

    def question(self, columns, rows):
        objs = list(self._instances(Question, columns, rows))
        keys = [o.key for o in objs]
        existing = dict(Question.objects.filter(key__in=keys).values_list("key", "pk"))
        to_update, to_create, old_pks = [], [], []
        for obj in objs:
            old_pks.append((obj.pk, obj.key))
            obj.pk = existing.get(obj.key)
            (to_update if obj.pk else to_create).append(obj)
        if to_update:
            update_fields = [f.name for f in Question._meta.concrete_fields
                             if not f.primary_key and f.name != "key"]
            Question.objects.bulk_update(to_update, update_fields, batch_size=500)
        if to_create:
            Question.objects.bulk_create(to_create, batch_size=500)
        if to_create and to_create[0].pk is None:  # a backend that returns no ids
            existing = dict(Question.objects.filter(key__in=keys).values_list("key", "pk"))
        else:
            existing.update({o.key: o.pk for o in to_create})
        for old_pk, key in old_pks:
            self.question_ids[old_pk] = existing[key]
        self.report.add("qa.question", len(rows))

    def question_tags(self, columns, rows):
        through = Question.tags.through
        pairs = [(self.question_ids.get(q), self.tag_ids.get(t)) for q, t in rows]
        questions = {q for q, _ in pairs if q}
        through.objects.filter(question_id__in=questions).delete()
        through.objects.bulk_create(
            [through(question_id=q, tag_id=t) for q, t in pairs if q and t],
            batch_size=CHUNK,
        )
        self.report.add("qa.question_tags", len(rows))

    def _clear_replaced_history(self) -> None:
        # The backup's history replaces whatever history the restored questions have here
        # (usually the "import" rows import_bank just wrote).
        if self.cleared_history:
            return
        self.cleared_history = True
        ids = list(self.question_ids.values())
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            history = HistoricalQuestion.objects.filter(id__in=part)
            HistoricalQuestionTag.objects.filter(history__in=history.values("pk")).delete()
            history.delete()

    def historical_question(self, columns, rows):
        self._clear_replaced_history()
        id_at = columns.index("id")
        pk_name = HistoricalQuestion._meta.pk.attname
        pk_at = columns.index(pk_name)
        kept = [row for row in rows if row[id_at] in self.question_ids]
        # History of a question deleted before the backup has nothing to attach to.
        self.report.skipped_history_rows += len(rows) - len(kept)
        objs = list(self._instances(HistoricalQuestion, columns, kept))
        for row, obj in zip(kept, objs, strict=True):
            obj.id = self.question_ids[row[id_at]]
            setattr(obj, pk_name, None)
        created = HistoricalQuestion.objects.bulk_create(objs, batch_size=500)
        for row, obj in zip(kept, created, strict=True):
            if obj.pk is None:
                raise BackupError("This database does not return the ids of inserted rows.")
            self.history_ids[row[pk_at]] = obj.pk
        self.report.add(HistoricalQuestion._meta.label_lower, len(objs))

    def historical_question_tags(self, columns, rows):
        model = HistoricalQuestionTag
        history_at = columns.index(model._meta.get_field("history").attname)
        kept = [row for row in rows if row[history_at] in self.history_ids]
        objs = list(self._instances(model, columns, kept))
        for obj in objs:
            obj.pk = None
        model.objects.bulk_create(objs, batch_size=CHUNK)
        self.report.add(model._meta.label_lower, len(objs))

    def groups(self, columns, rows):
        for name, perms in rows:
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*self._permissions(perms))
        self.report.add("auth.group", len(rows))

    def _permissions(self, labels: list[str]) -> list[Permission]:
        wanted = [tuple(label.split(".", 1)) for label in labels]
        found = {
            (app, codename): pk
            for pk, app, codename in Permission.objects.values_list(
                "pk", "content_type__app_label", "codename"
            )
        }
        return [found[w] for w in wanted if w in found]

    def user_groups(self, columns, rows):
        groups = dict(Group.objects.values_list("name", "pk"))
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=u, group_id=groups[g]) for u, g in rows if g in groups],
            batch_size=CHUNK,
        )
        self.report.add("accounts.user_groups", len(rows))

    def user_permissions(self, columns, rows):
        perm_ids = {}
        for pk, app, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        ):
            perm_ids[f"{app}.{codename}"] = pk
        through = User.user_permissions.through
        through.objects.bulk_create(
            [through(user_id=u, permission_id=perm_ids[p]) for u, p in rows if p in perm_ids],
            batch_size=CHUNK,
        )
        self.report.add("accounts.user_permissions", len(rows))

    def people(self, label: str, columns, rows):
        model = self.by_label[label]
        if "correcting_revision_id" in columns:
            at = columns.index("correcting_revision_id")
            rows = [
                [*r[:at], self.history_ids.get(r[at]) if r[at] else None, *r[at + 1:]]
                for r in rows
            ]
        model._default_manager.bulk_create(
            list(self._instances(model, columns, rows)), batch_size=CHUNK
        )
        self.report.add(label, len(rows))

    def dispatch(self, line: dict[str, Any]) -> None:
        label, columns, rows = line["table"], line.get("columns", []), line["rows"]
        handlers = {
            "auth.group": self.groups,
            "qa.bank": self.bank,
            "qa.section": self.section,
            "qa.tag": self.tag,
            "qa.question": self.question,
            "qa.question_tags": self.question_tags,
            "accounts.user_groups": self.user_groups,
            "accounts.user_permissions": self.user_permissions,
            HistoricalQuestion._meta.label_lower: self.historical_question,
            HistoricalQuestionTag._meta.label_lower: self.historical_question_tags,
        }
        if label in handlers:
            handlers[label](columns, rows)
        elif label in self.by_label:
            self.people(label, columns, rows)
        else:
            raise BackupError(f"The backup has a table this site does not know: {label!r}.")


def delete_people_data() -> None:
    """Remove every person's data (not the bank), leaves first so little has to cascade."""
    Session.objects.all().delete()  # sessions of accounts about to be replaced
    EmailConfirmation.objects.all().delete()
    for model in reversed(PEOPLE_MODELS):
        model._default_manager.all().delete()


def _reset_sequences() -> None:
    models_with_ids = [*PEOPLE_MODELS, Question, Bank, Section, Tag, HistoricalQuestion]
    statements = connection.ops.sequence_reset_sql(no_style(), models_with_ids)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def _keeping_saved_timestamps() -> Iterator[None]:
    """Let `auto_now` / `auto_now_add` columns take the backup's values instead of now."""
    changed = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def restore_backup(path: Path, *, force: bool = False) -> RestoreReport:
    """Restore a file written by `write_backup`, in one transaction."""
    read_header(path)
    report = RestoreReport()
    with transaction.atomic(), _keeping_saved_timestamps():
        present = people_data_present()
        if present and not force:
            raise BackupError(
                "The database already holds people's data ("
                + ", ".join(present)
                + "). Restore into a freshly migrated database, or pass --force to replace "
                "that data with the backup's."
            )
        if present:
            delete_people_data()
        restorer = _Restorer(report)
        for line in _lines(path):
            restorer.dispatch(line)
        _reset_sequences()
    return report
