"""`python manage.py import_bank [PATH ...]`: load question banks from fixture files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from qa.importer import BankFileError, FileReport, default_paths, import_banks, load_bank_files

_LIST_LIMIT = 20


class _DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import question banks from YAML/JSON files (default: every bank in fixtures/banks/). "
        "Upserts by question key; never overwrites a question an editor has changed since it "
        "was imported (it reports it instead), never deletes. All or nothing: a malformed "
        "file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH",
                            help="Bank files (.yaml, .yml, .json). Default: fixtures/banks/*.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Validate and report what would change; write nothing.")
        parser.add_argument("--force", action="store_true",
                            help="Also overwrite questions, sections and bank details edited "
                                 "in the database since they were imported (each question "
                                 "overwritten is recorded as a revision).")
        parser.add_argument("--partial", action="store_true",
                            help="Accept a file that leaves out published questions it "
                                 "imported before (they stay as they are). Without it such a "
                                 "file is refused, as a file cut short would be.")
        parser.add_argument("--substantive", action="store_true",
                            help="Count imported changes to an answer as substantive "
                                 "corrections: bump the answer version and re-queue learners "
                                 "who studied the old answer. Default: like a typo fix.")
        parser.add_argument("--reason", default="",
                            help="Why, for the revisions the import writes. Learners read it in "
                                 "a question's correction log when the import is substantive, "
                                 "so write it for them (required with --substantive). Default: "
                                 "'Imported from <file name>'.")

    def handle(self, *args, paths: list[str], dry_run: bool, force: bool, substantive: bool,
               partial: bool = False, reason: str = "", **options) -> None:
        if substantive and not reason.strip():
            raise CommandError(
                "--substantive needs --reason: learners who studied the old answers are asked to "
                "relearn them and read the reason in each question's correction log (a file's "
                "name tells them nothing). Write it in the bank's language.")
        targets = paths or default_paths()
        if not targets:
            raise CommandError("No bank files given and none found in fixtures/banks/.")
        try:
            files = load_bank_files(targets)
            with transaction.atomic():
                reports = import_banks(files, force=force, substantive=substantive,
                                       dry_run=dry_run, partial=partial, reason=reason.strip())
                if dry_run:
                    # Nothing should have been written; make sure of it.
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        except BankFileError as exc:
            raise CommandError(
                "Nothing was imported: fix these problems first.\n" + "\n".join(exc.messages)
            ) from None
        except IntegrityError as exc:
            raise CommandError(f"Nothing was imported: the database refused a row ({exc}).") \
                from None
        for report in reports:
            self._print_report(report, dry_run=dry_run)
        if not any(report.changed for report in reports):
            self.stdout.write("Nothing changed." if not dry_run else "Nothing would change.")
        elif dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))

    def _print_report(self, report: FileReport, *, dry_run: bool) -> None:
        verb = "would be " if dry_run else ""
        out = self.stdout
        bank = (f"{verb}created" if report.bank_created
                else f"{verb}updated" if report.bank_updated else "unchanged")
        out.write(self.style.MIGRATE_HEADING(f"{report.label} (bank {report.slug!r}, {bank})"))
        if report.sections_created or report.sections_updated:
            out.write(f"  sections: {verb}created {len(report.sections_created)}, "
                      f"{verb}updated {len(report.sections_updated)}")
        if report.bank_kept:
            out.write(self.style.WARNING(
                "  The bank's title, language, description or source were changed by an editor "
                "since they were imported: kept (--force overwrites them)."))
        if report.sections_missing:
            out.write(self.style.WARNING(
                "  Sections in the database but no longer in the file (left as they are, "
                "with their questions; an editor renames or removes them in the admin): "
                f"{', '.join(_limited(report.sections_missing))}"))
        if report.sections_kept:
            out.write(self.style.WARNING(
                "  Sections changed by an editor since they were imported, kept (--force "
                f"overwrites them): {', '.join(_limited(report.sections_kept))}"))
        out.write(
            f"  questions: {verb}created {len(report.created)}, {verb}updated "
            f"{len(report.updated)}, unchanged {len(report.unchanged)}, skipped (edited by "
            f"editors) {len(report.skipped)}"
            + (f", {verb}overwritten (--force) {len(report.forced)}" if report.forced else "")
        )
        if report.skipped:
            out.write(self.style.WARNING(
                "  Skipped, because an editor changed them in the database since they were "
                "imported (their version is kept; --force overwrites it):"))
            for key in _limited(list(report.skipped)):
                note = ("  (the file changed it too: reconcile by hand)"
                        if report.skipped.get(key) else "")
                out.write(f"    {key}{note}")
        if report.forced:
            out.write(self.style.WARNING(f"  Overwritten although edited by editors "
                                         f"(--force): {', '.join(_limited(report.forced))}"))
        if report.undone:
            out.write(self.style.WARNING(
                "  Of these, undoing an editor's substantive correction as a revert does "
                "(the answer version goes up; learners who studied the correction are asked "
                f"again): "
                f"{', '.join(_limited(report.undone))}"))
        if report.same_prompt:
            out.write(self.style.WARNING(
                "  New questions that ask what another question of the bank asks (imported; "
                "check that they are not one question under two keys): " + ", ".join(
                    f"{key} (as {other})" for key, other in report.same_prompt[:20])
                + (", …" if len(report.same_prompt) > 20 else "")))
        if report.missing:
            out.write(self.style.WARNING(
                f"  In the database but no longer in the file (left as they are; retire them "
                f"instead): {len(report.missing)}"))
            for key in _limited(report.missing):
                out.write(f"    {key}")


def _limited(keys: list[str]) -> list[str]:
    if len(keys) <= _LIST_LIMIT:
        return keys
    return [*keys[:_LIST_LIMIT], f"… and {len(keys) - _LIST_LIMIT} more"]
