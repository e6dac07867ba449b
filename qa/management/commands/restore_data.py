"""`python manage.py restore_data PATH`: restore a file written by backup_data."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from qa.backup.restore import restore_backup
from qa.backup.tables import BackupError, database_named


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_data into a migrated database (import_bank may "
        "have run or not). One transaction: on any error nothing changes. Refuses if people's "
        "data is already present, unless --force, which replaces it. A backup made at older "
        "migrations is restored at them and migrated to the latest (into a database without "
        "people's data); one made by a newer version of the site is refused."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", metavar="PATH", help="Backup file (.jsonl or .jsonl.gz)")
        parser.add_argument("--force", action="store_true",
                            help="Delete the accounts and study data already in the database "
                                 "and replace them with the backup's.")

    def handle(self, *args, path: str, force: bool, **options) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{source} does not exist.")
        if not source.is_file():
            raise CommandError(f"{source} is not a file; give the file backup_data wrote.")
        started = time.perf_counter()
        try:
            report = restore_backup(source, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"Restore failed, nothing was changed: {exc}") from None
        elapsed = time.perf_counter() - started
        for label, n in report.counts.items():
            self.stdout.write(f"  {label:<32} {n:>10,}")
        for note in report.notes:
            self.stdout.write(self.style.NOTICE(note))
        if report.skipped_history_rows:
            self.stdout.write(self.style.WARNING(
                f"Skipped {report.skipped_history_rows} revision rows of questions deleted "
                "before the backup."
            ))
        self.stdout.write(self.style.SUCCESS(
            f"Restored {sum(report.counts.values()):,} rows from {source} into "
            f"{database_named()} in {elapsed:.1f} s."
        ))
