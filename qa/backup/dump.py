"""Writing a backup: every table as JSON Lines, in restore order, read in one snapshot."""

from __future__ import annotations

import datetime
import decimal
import gzip
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import connection, models, transaction
from django.utils import timezone

from qa.backup.schema import applied_migrations
from qa.backup.tables import CHUNK, FORMAT, VERSION, TableModels


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


@contextmanager
def _open_for_writing(path: Path, *, compress: bool) -> Iterator[IO[str]]:
    """`path`, new, readable by its owner only: a backup holds password hashes, addresses,
    invitation and share tokens, and everyone's notes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when a file of that name was left there, with other rights
    with os.fdopen(fd, "wb") as raw:
        if compress:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as packed, \
                    io.TextIOWrapper(packed, encoding="utf-8") as out:
                yield out
        else:
            with io.TextIOWrapper(raw, encoding="utf-8") as out:
                yield out


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


def _history_lines(m: TableModels) -> Iterator[dict[str, Any]]:
    for model in (m.HistoricalQuestion, m.HistoricalQuestionTag):
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))


def _backup_lines(m: TableModels) -> Iterator[dict[str, Any]]:
    # Groups and their permissions by name (ids differ between databases).
    groups = m.Group._default_manager.order_by("name").prefetch_related(
        "permissions__content_type")
    yield from _table_lines(
        "auth.group",
        ["name", "permissions"],
        (
            [g.name, sorted(f"{p.content_type.app_label}.{p.codename}"
                            for p in g.permissions.all())]
            for g in groups
        ),
    )
    for model in (m.Bank, m.Section, m.Tag, m.Question):
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))
    yield from _table_lines(
        "qa.question_tags",
        ["question_id", "tag_id"],
        m.QuestionTag._default_manager.order_by("pk").values_list("question_id", "tag_id")
        .iterator(chunk_size=CHUNK),
    )
    for model in m.people:
        if model._meta.label == "qa.ErrorReport":
            # Reports point at the revision that corrected them: history goes first.
            yield from _history_lines(m)
        yield from _table_lines(model._meta.label_lower, _columns(model), _model_rows(model))
        if model is m.User:
            yield from _table_lines(
                "accounts.user_groups",
                ["user_id", "group"],
                m.UserGroup._default_manager.order_by("pk").values_list("user_id", "group__name")
                .iterator(chunk_size=CHUNK),
            )
            yield from _table_lines(
                "accounts.user_permissions",
                ["user_id", "permission"],
                (
                    [user_id, f"{app}.{codename}"]
                    for user_id, app, codename in m.UserPermission._default_manager
                    .order_by("pk")
                    .values_list("user_id", "permission__content_type__app_label",
                                 "permission__codename")
                    .iterator(chunk_size=CHUNK)
                ),
            )


@contextmanager
def one_snapshot() -> Iterator[None]:
    """A transaction in which every query sees the database as it was at its first one
    (PostgreSQL's repeatable read; SQLite's transactions are already so). Inside a
    transaction, cursors over large querysets also work behind a transaction-mode pooler."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def write_backup(path: Path, *, progress: Callable[[str], None] | None = None,
                 table_models: TableModels | None = None) -> dict[str, int]:
    """Write a backup of all people's data (and the bank's content) to `path`, read through
    `table_models` (the site's own unless given: the tests write a backup as an older version
    of the site did, through the models of its migration state)."""
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".partial")
    try:
        _write(tmp, counts, table_models or TableModels(), compress=path.suffix == ".gz",
               progress=progress)
        tmp.replace(path)  # fails too, when `path` is a directory
    except BaseException:
        tmp.unlink(missing_ok=True)  # a part of the backup is as secret as the whole
        raise
    return counts


def _write(tmp: Path, counts: dict[str, int], m: TableModels, *, compress: bool,
           progress: Callable[[str], None] | None) -> None:
    with one_snapshot(), _open_for_writing(tmp, compress=compress) as out:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            # What a restore needs to put the rows back into tables shaped as these were.
            "migrations": applied_migrations(),
        }
        out.write(json.dumps(header) + "\n")
        for line in _backup_lines(m):
            counts[line["table"]] = counts.get(line["table"], 0) + len(line["rows"])
            out.write(json.dumps(line, cls=_Encoder, ensure_ascii=False) + "\n")
            if progress:
                progress(line["table"])
        out.write(json.dumps({"end": True, "rows": counts}) + "\n")
