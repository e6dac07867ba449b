"""`python manage.py backup_data PATH`: save all people's data (and the bank's content)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qa.backup.dump import write_backup
from qa.backup.tables import database_named


class Command(BaseCommand):
    help = (
        "Write accounts, teams, study sets, quizzes, study states, reviews, notes, bookmarks, "
        "error reports, the bank's content and its revision history to PATH (JSON Lines; "
        "gzipped when PATH ends in .gz). Restore with restore_data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", metavar="PATH", help="File to write, e.g. backup.jsonl.gz")
        parser.add_argument("--overwrite", action="store_true",
                            help="Replace PATH if it exists.")

    def handle(self, *args, path: str, overwrite: bool, **options) -> None:
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target} is a directory; give the name of the file to write, "
                               f"e.g. {target / 'backup.jsonl.gz'}.")
        if target.exists() and not overwrite:
            raise CommandError(f"{target} exists; pass --overwrite to replace it.")
        if not target.parent.is_dir():
            raise CommandError(f"Directory {target.parent} does not exist.")
        started = time.perf_counter()
        try:
            counts = write_backup(target)
        except OSError as exc:
            # An unwritable place or a full disk: write_backup has removed what it wrote.
            raise CommandError(f"Could not write the backup to {target} ({exc}).") from None
        elapsed = time.perf_counter() - started
        for label, n in counts.items():
            self.stdout.write(f"  {label:<32} {n:>10,}")
        size = target.stat().st_size
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {target} ({size / 1e6:.1f} MB, {sum(counts.values()):,} rows) from "
            f"{database_named()} in {elapsed:.1f} s."
        ))
