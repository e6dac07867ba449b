"""Restoring a backup: reading and checking the file, then one transaction that refuses (or,
when forced, replaces) existing people's data, restores every table and resets the sequences.
A backup made at other migrations than the database's is restored through them (schema.py
says how): the database, without people's data, is migrated to the backup's migrations, the
rows restored, then migrated to the latest."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

from allauth.account.models import EmailConfirmation
from django.apps.registry import Apps
from django.contrib.sessions.models import Session
from django.core.management.color import no_style
from django.db import connection, transaction

from qa.backup.restorer import RestoreReport, _Restorer
from qa.backup.schema import (
    RestorePlan,
    database_models,
    migrate_to,
    migrate_to_latest,
    plan_restore,
)
from qa.backup.tables import FORMAT, PEOPLE_MODELS, READABLE_VERSIONS, BackupError, TableModels
from qa.selectors.sections import forget_sections

# --- Reading ----------------------------------------------------------------------------------


def _open_for_reading(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def read_header(path: Path) -> dict[str, Any]:
    try:
        with _open_for_reading(path) as src:
            first_line = src.readline()
    except (EOFError, OSError, UnicodeDecodeError):  # not gzip, not UTF-8 text...
        raise BackupError(f"{path} is not a backup written by backup_data.") from None
    return _parse_header(first_line, path)


def _parse_header(first_line: str, path: Path) -> dict[str, Any]:
    try:
        header = json.loads(first_line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup written by backup_data.")
    if header.get("version") not in READABLE_VERSIONS:
        raise BackupError(
            f"{path} has backup format version {header.get('version')!r}; this version of the "
            f"site restores versions {', '.join(map(str, READABLE_VERSIONS))}."
        )
    return header


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    """The backup's tables, line by line; raises BackupError, after the last one, when the
    file is incomplete (no closing line, or fewer rows than it counts)."""
    try:
        yield from _checked_lines(path)
    except (EOFError, OSError, UnicodeDecodeError) as exc:  # a cut .gz, not UTF-8 text...
        raise BackupError(f"{path} cannot be read to the end ({exc}).") from None


def _checked_lines(path: Path) -> Iterator[dict[str, Any]]:
    with _open_for_reading(path) as src:
        header = _parse_header(src.readline(), path)
        seen: dict[str, int] = {}
        end = None
        for number, raw in enumerate(src, start=2):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise BackupError(f"{path}, line {number}: not valid JSON ({exc}).") from None
            if end is not None:
                raise BackupError(f"{path}, line {number}: more after the closing line.")
            if isinstance(line, dict) and line.get("end") is True:
                end = line
                continue
            if not (isinstance(line, dict) and isinstance(line.get("table"), str)
                    and isinstance(line.get("rows"), list)):
                raise BackupError(f"{path}, line {number}: not a table of rows (a \"table\" "
                                  "name and a list of \"rows\").")
            columns = line.get("columns", [])
            if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
                raise BackupError(f"{path}, line {number}: the columns of {line['table']} are "
                                  "not a list of names.")
            seen[line["table"]] = seen.get(line["table"], 0) + len(line["rows"])
            yield line
    if header["version"] >= 2:
        if end is None:
            raise BackupError(f"{path} is incomplete: it stops before its closing line (was "
                              "it cut short while being copied?). Nothing was restored.")
        if end.get("rows") != seen:
            raise BackupError(f"{path} is incomplete: its rows do not add up to the counts on "
                              "its closing line. Nothing was restored.")


def people_data_present() -> list[str]:
    """Labels of the people's tables that already hold rows (a table the database does not
    have yet holds none)."""
    tables = set(connection.introspection.table_names())
    return [m._meta.label for m in PEOPLE_MODELS
            if m._meta.db_table in tables and m._default_manager.exists()]


# --- Restoring --------------------------------------------------------------------------------


def delete_people_data() -> None:
    """Remove every person's data (not the bank), leaves first so little has to cascade."""
    Session.objects.all().delete()  # sessions of accounts about to be replaced
    EmailConfirmation.objects.all().delete()
    for model in reversed(PEOPLE_MODELS):
        model._default_manager.all().delete()


def _reset_sequences(m: TableModels) -> None:
    models_with_ids = [*m.people, m.Question, m.Bank, m.Section, m.Tag, m.HistoricalQuestion]
    statements = connection.ops.sequence_reset_sql(no_style(), models_with_ids)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def _keeping_saved_timestamps(registry: Apps) -> Iterator[None]:
    """Let `auto_now` / `auto_now_add` columns take the backup's values instead of now."""
    changed = []
    for model in registry.get_models():
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _load(path: Path, m: TableModels, report: RestoreReport) -> None:
    restorer = _Restorer(report, m)
    for line in _lines(path):
        restorer.dispatch(line)
    _reset_sequences(m)


def restore_backup(path: Path, *, force: bool = False) -> RestoreReport:
    """Restore a file written by `write_backup`, in one transaction (a backup at other
    migrations than the database's: see `_restore_through_migrations`)."""
    plan = plan_restore(read_header(path), path)  # refuses a newer backup before any change
    report = RestoreReport()
    if plan is None:
        report.notes.append(
            "This backup does not record the migrations it was made at (it was written before "
            "backups did), so its schema could not be checked: restored as it is."
        )
    elif plan.migrates:
        _restore_through_migrations(path, plan, report)
        return report
    m = TableModels()
    with transaction.atomic(), _keeping_saved_timestamps(m.apps):
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
        _load(path, m, report)
    return report


def _restore_through_migrations(path: Path, plan: RestorePlan, report: RestoreReport) -> None:
    """Migrate the database to the backup's migrations, restore the rows into the tables as
    they were then, and migrate them to the latest."""
    present = people_data_present()
    if present:
        made_at = (f"older migrations ({plan.described()})" if plan.behind
                   else "other migrations than this database's")
        raise BackupError(
            f"{path} was made at {made_at}. Restoring it migrates the database, which "
            "restore_data does only in a database without people's data, --force or not, and "
            f"this one holds some ({', '.join(present)}). Restore it into a new database. "
            "Nothing was restored."
        )
    # PostgreSQL changes tables inside a transaction, so the migrations and the rows are one:
    # all or nothing. SQLite's schema changes turn foreign key checks off, which it does only
    # outside a transaction: each step is its own, and a failed load migrates back.
    together = connection.vendor != "sqlite"
    with transaction.atomic() if together else nullcontext():
        try:
            migrate_to(plan.to_backup)
            m = database_models() if not plan.at_latest else TableModels()
            with transaction.atomic(), _keeping_saved_timestamps(m.apps):
                _load(path, m, report)
        except Exception:
            if not together:
                migrate_to(plan.back_again)
            raise
        if together:
            # PostgreSQL alters no table with foreign key checks pending, as the rows just
            # restored leave them: run those now, and every later one at once.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if not plan.at_latest:
            try:
                migrate_to_latest()
            except Exception as exc:
                if together:
                    raise
                raise BackupError(
                    f"The rows were restored at the backup's migrations, but migrating them "
                    f"further failed ({exc}); the database is left at the backup's migrations. "
                    "Fix the cause and run manage.py migrate, or restore into a new database."
                ) from exc
    forget_sections()  # the models of another state send no signals that would have
    if plan.at_latest:
        report.notes.append("The database was migrated to the backup's migrations first.")
    else:
        report.notes.append(
            f"This backup was made at older migrations ({plan.described()}): the database was "
            "migrated to them, the rows restored, then migrated to the latest, so the data "
            "migrations written since ran on the restored rows."
        )
