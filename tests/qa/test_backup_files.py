"""backup_data / restore_data with a file that is not what it should be: a directory, a place
that cannot be written, a backup edited by hand. Each is a message for the operator, never a
traceback, a file left behind or data quietly lost; the database is left as it was."""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from qa.backup.dump import write_backup
from qa.backup.restorer import _Restorer
from qa.backup.tables import HistoricalQuestion
from qa.models import Question, Review, Section
from tests.factories import QuestionFactory, SectionFactory
from tests.qa import test_backup

pytestmark = pytest.mark.django_db

world = test_backup.world


def _edit_line(path, table: str, edit) -> None:
    """Apply `edit(line)` to the first `table` line of the (gzipped) backup at `path`, then make
    the closing line's counts fit the rows again, as someone editing the file by hand might."""
    lines = [json.loads(raw) for raw in gzip.decompress(path.read_bytes()).decode().splitlines()]
    edit(next(line for line in lines if line.get("table") == table))
    counts: dict[str, int] = {}
    for line in lines[1:-1]:
        if isinstance(line.get("table"), str) and isinstance(line.get("rows"), list):
            counts[line["table"]] = counts.get(line["table"], 0) + len(line["rows"])
    lines[-1]["rows"] = counts
    path.write_bytes(gzip.compress("\n".join(json.dumps(line) for line in lines).encode()))


def _set_first(column: str, value):
    """An edit that sets `column` of a line's first row to `value`."""
    def edit(line) -> None:
        line["rows"][0][line["columns"].index(column)] = value
    return edit


def _drop_column(column: str):
    def edit(line) -> None:
        at = line["columns"].index(column)
        del line["columns"][at]
        for row in line["rows"]:
            del row[at]
    return edit


def _restore_is_refused(path, message: str) -> None:
    """Restoring `path` over the world fails with `message`, and the world is untouched."""
    Review.objects.filter(token="token-0").update(rating=4)
    with pytest.raises(CommandError, match=message):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.get(token="token-0").rating == 4
    assert User.objects.count() == 3


def test_a_backup_into_a_directory_is_refused_and_leaves_nothing(world, tmp_path):
    """It used to write the whole backup beside the directory, then fail to rename it over the
    directory and leave it there, password hashes and all."""
    target = tmp_path / "backups"
    target.mkdir()
    with pytest.raises(CommandError, match="is a directory"):
        call_command("backup_data", "--overwrite", str(target), verbosity=0)
    assert list(tmp_path.iterdir()) == [target] and not any(target.iterdir())

    with pytest.raises(OSError):
        write_backup(target)
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_backup_to_a_place_that_cannot_be_written_is_a_message(db):
    with pytest.raises(CommandError, match=re.escape("Could not write the backup to /proc/x")):
        call_command("backup_data", "/proc/x.jsonl.gz", verbosity=0)


def test_restoring_a_directory_says_it_is_not_a_file(tmp_path, db):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore_data", str(tmp_path), verbosity=0)


HISTORY = "qa.historicalquestion"


@pytest.mark.parametrize(("table", "edit", "message"), [
    ("qa.note", lambda line: line.update(rows=5), r"line \d+: not a table of rows"),
    ("qa.note", lambda line: line.update(table=["qa.note"]), r"line \d+: not a table of rows"),
    ("qa.note", lambda line: line.update(columns="user_id"),
     r"line \d+: the columns of qa\.note are not a list of names"),
    (HISTORY, lambda line: line["rows"].__setitem__(0, dict(zip(line["columns"],
                                                                line["rows"][0], strict=True))),
     r"qa\.historicalquestion, row 1: expected \d+ values"),
    (HISTORY, _drop_column("id"), r"qa\.historicalquestion: the backup's columns lack 'id'"),
    (HISTORY, _set_first("id", "first"), r"qa\.historicalquestion, row 1: 'first' is not a "
                                         r"valid id"),
    ("qa.note", _drop_column("id"), r"qa\.note: the backup's columns lack 'id'"),
    ("qa.errorreport", _set_first("correcting_revision_id", [1]),
     r"qa\.errorreport, row 1: \[1\] is not a valid correcting_revision_id"),
    ("qa.note", _set_first("question_id", [1]), r"qa\.note, row 1: \[1\] is not a valid "
                                                r"question_id"),
])
def test_a_file_edited_into_the_wrong_shape_is_a_message(world, tmp_path, table, edit,
                                                         message):
    """Each of these was a Python traceback (nothing written) instead of a message."""
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _edit_line(path, table, edit)
    _restore_is_refused(path, message)


def test_a_value_no_check_foresaw_is_still_a_message(world, tmp_path, monkeypatch):
    """Whatever a hand-edited value trips over while a table is restored, the operator reads
    which table, not a traceback."""
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)

    def trips(self, columns, rows):
        raise TypeError("unsupported operand")
    monkeypatch.setattr(_Restorer, "tag", trips)
    _restore_is_refused(path, r"qa\.tag: a row holds a value that cannot be restored "
                              r"\(TypeError: unsupported operand\)")


@pytest.mark.parametrize(("table", "edit", "message"), [
    # The only tag: the first question's link to it names a tag the file no longer has.
    ("qa.tag", lambda line: line.update(rows=[]),
     r"qa\.question_tags, row 1: tag_id \d+ is not in the backup's qa\.tag rows"),
    ("qa.errorreport", _set_first("correcting_revision_id", 999999),
     r"qa\.errorreport, row 1: correcting_revision_id 999999 is not in the backup's "
     r"qa\.historicalquestion rows"),
    ("qa.quiz", _set_first("section_id", 999999),
     r"qa\.quiz, row 1: section_id 999999 is not in the backup's qa\.section rows"),
    ("qa.setitem", _set_first("question_id", 999999),
     r"qa\.setitem, row 1: question_id 999999 is not in the backup's qa\.question rows"),
])
def test_a_reference_to_a_row_the_file_lacks_is_refused(world, tmp_path, table, edit, message):
    """These restored "successfully" and quietly dropped the link, or the reference."""
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _edit_line(path, table, edit)
    _restore_is_refused(path, message)


def test_the_counts_printed_are_the_rows_restored(world, tmp_path):
    """A permission this site does not have is left out, and not counted as restored."""
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _edit_line(path, "accounts.user_permissions", lambda line: line["rows"][0].__setitem__(
        1, "qa.no_such_permission"))
    out = io.StringIO()
    call_command("restore_data", str(path), "--force", stdout=out)
    assert re.search(r"accounts\.user_permissions +0\n", out.getvalue())
    assert not User.user_permissions.through.objects.exists()
    counts = [int(n.replace(",", "")) for n in re.findall(r"^  \S+ +([\d,]+)$", out.getvalue(),
                                                          re.MULTILINE)]
    assert f"Restored {sum(counts):,} rows" in out.getvalue()
    # Which database: run without the service's environment, a command reads the SQLite file.
    named = "the SQLite file" if connection.vendor == "sqlite" else "the PostgreSQL database"
    assert f"into {named} " in out.getvalue()
    wrote = io.StringIO()
    call_command("backup_data", str(path), "--overwrite", stdout=wrote)
    assert f"from {named} " in wrote.getvalue()


def test_revisions_naming_a_section_deleted_since_still_restore(world, tmp_path):
    """A revision records the question as it was, in a section that may be gone since: that
    is history, not a broken file."""
    basics = world["questions"][0].section
    question = QuestionFactory(key="test/moved/01", section=SectionFactory(key="gone"))
    question.section = basics
    question.save()
    Section.objects.filter(key="gone").delete()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    test_backup._wipe_everything()
    call_command("restore_data", str(path), verbosity=0)
    assert Question.objects.get(key=question.key).section.key == "basics"
    revisions = HistoricalQuestion.objects.filter(key=question.key)
    assert revisions.count() == 2 and revisions.filter(section_id__isnull=True).count() == 1
