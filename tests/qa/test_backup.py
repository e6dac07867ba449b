"""backup_data / restore_data: every person's row comes back, whatever ids the bank got."""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Invitation, InvitationUse, Membership, Team, User
from qa.backup.dump import write_backup
from qa.backup.restore import delete_people_data
from qa.backup.tables import PEOPLE_MODELS, HistoricalQuestion, HistoricalQuestionTag
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
from tests.factories import QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Some of everything people create."""
    now = timezone.now().replace(microsecond=123456)
    section = SectionFactory(key="basics", title="基础篇")
    questions = [QuestionFactory(section=section) for _ in range(4)]
    tag = Tag.objects.create(name="注意力")
    questions[0].tags.add(tag)

    alice = UserFactory(email="alice@example.com", display_name="Alice", desired_retention=0.85)
    bob = UserFactory(email="bob@example.com")
    editor = UserFactory(email="editor@example.com", is_staff=True)
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="change_question"))
    editor.groups.add(editors)
    bob.user_permissions.add(Permission.objects.get(codename="view_question"))
    EmailAddress.objects.create(user=alice, email="alice@work.example.com", verified=False)

    # An editor's substantive correction: a history row with its author and kind.
    corrected = questions[1]
    corrected.answer = "更正后的答案。"
    corrected.answer_version = 2
    corrected._history_user = editor
    corrected._change_kind = "substantive"
    corrected._change_reason = "wrong formula"
    corrected.save()
    revision = corrected.history.order_by("-history_id").first()

    team = Team.objects.create(name="Team 面试", created_by=alice)
    Membership.objects.create(team=team, user=alice, role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=bob, role=Membership.Role.MEMBER)
    used = Invitation.objects.create(team=team, created_by=alice, uses=1,
                                     expires_at=now + timedelta(days=7))
    InvitationUse.objects.create(invitation=used, user=bob)
    team_set = StudySet.objects.create(title="Team set", team=team, visibility="team",
                                       created_by=alice)
    own_set = StudySet.objects.create(title="Mine", owner=bob, visibility="link",
                                      share_token="tok-123", created_by=bob)
    for i, q in enumerate(questions[:3]):
        SetItem.objects.create(study_set=team_set, question=q, position=i, note=f"note {i}")
    SetItem.objects.create(study_set=own_set, question=questions[3], position=0)

    quiz = Quiz.objects.create(user=alice, mode=Quiz.Mode.SET, study_set=team_set,
                               section=section, position=2)
    for i, q in enumerate(questions[:3]):
        item = QuizItem.objects.create(quiz=quiz, question=q, position=i, revealed_at=now,
                                       typed_answer="我觉得……" if i == 0 else "")
        if i < 2:
            Review.objects.create(user=alice, question=q, quiz_item=item, rating=3 - i,
                                  reviewed_at=now - timedelta(minutes=i), duration_ms=4200,
                                  answer_version=q.answer_version, token=f"token-{i}")
            StudyState.objects.create(user=alice, question=q, state=2, stability=3.5 + i,
                                      difficulty=5.25, due=now + timedelta(days=3),
                                      last_review=now, reps=1)
    Bookmark.objects.create(user=alice, question=questions[2])
    Note.objects.create(user=bob, question=questions[0], body="**笔记**")
    ErrorReport.objects.create(
        reporter=bob, question=corrected, answer_version=1, kind="wrong", message="公式错了",
        status="accepted", reply="已更正", resolved_by=editor, resolved_at=now,
        correcting_revision_id=revision.history_id,
    )
    return {"questions": questions}


def _wipe_everything() -> None:
    """As good as a freshly migrated database (`flush` cannot run inside a test transaction)."""
    delete_people_data()
    Question.objects.all().delete()  # (records "deleted" revisions, removed next)
    HistoricalQuestionTag.objects.all().delete()
    HistoricalQuestion.objects.all().delete()
    Section.objects.all().delete()
    Bank.objects.all().delete()
    Tag.objects.all().delete()
    Group.objects.all().delete()


def snapshot() -> dict:
    """Every person's row, with references to the bank spelled as keys (ids may differ)."""
    question_keys = dict(Question.objects.values_list("pk", "key"))
    section_keys = {pk: (slug, key) for pk, slug, key in
                    Section.objects.values_list("pk", "bank__slug", "key")}
    revisions = {pk: (question_keys.get(qid), date) for pk, qid, date in
                 HistoricalQuestion.objects.values_list("history_id", "id", "history_date")}
    out = {}
    for model in PEOPLE_MODELS:
        rows = []
        for row in model._default_manager.order_by("pk").values():
            for name in ("question_id",):
                if name in row:
                    row[name] = question_keys[row[name]]
            if row.get("section_id"):
                row["section_id"] = section_keys[row["section_id"]]
            if row.get("correcting_revision_id"):
                row["correcting_revision_id"] = revisions[row["correcting_revision_id"]]
            rows.append(row)
        out[model._meta.label] = rows
    out["groups"] = sorted(User.groups.through.objects.values_list("user_id", "group__name"))
    out["permissions"] = sorted(
        User.user_permissions.through.objects.values_list("user_id", "permission__codename")
    )
    out["group_permissions"] = sorted(
        Group.permissions.through.objects.values_list("group__name", "permission__codename")
    )
    out["questions"] = sorted(
        (q.key, q.prompt, q.answer, q.answer_version, q.revision, q.status, q.section.key,
         sorted(t.name for t in q.tags.all()))
        for q in Question.objects.select_related("section").prefetch_related("tags")
    )
    history_tags: dict[int, list[str]] = {}
    for history_id, name in HistoricalQuestionTag.objects.values_list("history_id", "tag__name"):
        history_tags.setdefault(history_id, []).append(name)
    out["history"] = sorted(
        (h.key, h.history_date, h.answer, h.change_kind, h.history_type,
         h.history_user_id, h.history_change_reason, sorted(history_tags.get(h.pk, [])))
        for h in HistoricalQuestion.objects.all()
    )
    return out


def test_round_trip_restores_every_row_even_when_the_bank_gets_other_ids(world, tmp_path):
    before = snapshot()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)

    _wipe_everything()
    assert not User.objects.exists() and not Question.objects.exists()
    # Something else got the first ids this time.
    QuestionFactory(key="other/x/01", section=SectionFactory(key="other"))
    Question.objects.filter(key="other/x/01").delete()

    call_command("restore_data", str(path), verbosity=0)

    after = snapshot()
    # The target database's own history of its deleted question stays; it is not in the backup.
    after["history"] = [h for h in after["history"] if h[0] != "other/x/01"]
    for name in before:
        assert after[name] == before[name], name
    assert before["qa.Review"] and before["history"] and before["qa.ErrorReport"]


def test_restored_accounts_can_log_in(world, tmp_path, client, password):
    path = tmp_path / "backup.jsonl"
    call_command("backup_data", str(path), verbosity=0)
    _wipe_everything()
    call_command("restore_data", str(path), verbosity=0)

    response = client.post("/accounts/login/", {"login": "alice@example.com",
                                                "password": password})
    assert response.status_code == 302
    # New rows get fresh ids after the restored ones.
    assert UserFactory().pk > max(User.objects.exclude(email__startswith="user")
                                  .values_list("pk", flat=True))


def test_restore_after_import_bank_replaces_the_import_history(world, tmp_path):
    before = snapshot()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    history_rows = HistoricalQuestion.objects.count()
    _wipe_everything()
    # As after `import_bank`: the bank's questions exist, with their own (import) history.
    section = SectionFactory(key="basics", bank=Bank.objects.create(slug=world["questions"][0]
                                                                    .bank.slug, title="B"))
    for q in world["questions"]:
        QuestionFactory(key=q.key, section=section, prompt="旧", answer="旧")

    call_command("restore_data", str(path), verbosity=0)

    assert snapshot() == before
    assert HistoricalQuestion.objects.count() == history_rows


def _tags_by_key() -> dict[str, list[str]]:
    return {q.key: sorted(q.tags.values_list("name", flat=True))
            for q in Question.objects.order_by("key")}


def test_tags_restore_whole_even_across_chunks_of_the_file(world, tmp_path):
    many = Tag.objects.bulk_create(Tag(name=f"tag-{n:04d}") for n in range(2100))
    first = world["questions"][0]
    first.tags.through.objects.bulk_create(
        first.tags.through(question_id=first.pk, tag_id=tag.pk) for tag in many)
    before = _tags_by_key()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _wipe_everything()
    call_command("restore_data", str(path), verbosity=0)
    assert _tags_by_key() == before and len(before[first.key]) == 2101


def test_tags_an_editor_removed_stay_removed_after_import_bank_and_restore(world, tmp_path):
    first = world["questions"][0]
    first.tags.clear()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _wipe_everything()
    # As after `import_bank`: the question is back with the tag the bank file gives it.
    section = SectionFactory(key="basics", bank=Bank.objects.create(slug=first.bank.slug,
                                                                    title="B"))
    imported = QuestionFactory(key=first.key, section=section)
    imported.tags.add(Tag.objects.create(name="注意力"))
    call_command("restore_data", str(path), verbosity=0)
    assert _tags_by_key()[first.key] == []


def test_restore_refuses_to_overwrite_peoples_data(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    Review.objects.filter(token="token-0").update(rating=4)

    with pytest.raises(CommandError, match="already holds people's data"):
        call_command("restore_data", str(path), verbosity=0)
    assert Review.objects.get(token="token-0").rating == 4

    call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.get(token="token-0").rating == 3
    assert Review.objects.count() == 2


def test_a_file_that_is_not_a_backup_changes_nothing(world, tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CommandError, match="not a backup written by backup_data"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.count() == 2


def test_a_broken_backup_changes_nothing(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines.insert(len(lines) - 1, "{not json")
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    Review.objects.filter(token="token-0").update(rating=4)

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.get(token="token-0").rating == 4
    assert User.objects.count() == 3


def _cut(path, keep: int) -> None:
    """Keep the first `keep` lines of the (gzipped) backup at `path`."""
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    path.write_bytes(gzip.compress("".join(lines[:keep]).encode()))


def test_a_backup_cut_short_is_refused_and_changes_nothing(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    _wipe_everything()
    for keep in (len(lines) - 1, len(lines) - 2):  # no closing line; and a table short, too
        _cut(path, keep)
        with pytest.raises(CommandError, match="is incomplete"):
            call_command("restore_data", str(path), verbosity=0)
        assert not User.objects.exists()


def test_a_gzip_file_cut_mid_stream_is_refused_with_a_message(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    _wipe_everything()
    with pytest.raises(CommandError, match="cannot be read to the end"):
        call_command("restore_data", str(path), verbosity=0)
    assert not User.objects.exists()


def test_a_version_1_backup_without_a_closing_line_still_restores(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    before = snapshot()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = json.loads(lines[0]) | {"version": 1}
    path.write_bytes(gzip.compress("\n".join([json.dumps(header), *lines[1:-1]]).encode()))
    _wipe_everything()
    call_command("restore_data", str(path), verbosity=0)
    assert snapshot() == before


def test_a_backup_from_a_newer_format_is_refused(tmp_path, db):
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps({"format": "mianshi-backup", "version": 99}) + "\n")
    with pytest.raises(CommandError, match="format version 99"):
        call_command("restore_data", str(path), verbosity=0)


@pytest.mark.parametrize("name", ["backup.jsonl", "backup.jsonl.gz"])
def test_a_backup_is_readable_by_its_owner_only_and_an_interrupted_one_leaves_nothing(
        world, tmp_path, name):
    path = tmp_path / name
    left_over = tmp_path / f"{name}.partial"  # by a backup killed before this one
    left_over.write_text("")
    left_over.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        write_backup(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as backup:
            assert json.loads(backup.readlines()[-1])["end"] is True

        def interrupt(table: str) -> None:  # Ctrl-C while the people's tables are written
            if table == "accounts.membership":
                raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            write_backup(tmp_path / f"second-{name}", progress=interrupt)
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_backup_does_not_overwrite_an_existing_file(tmp_path, db):
    path = tmp_path / "backup.jsonl"
    path.write_text("keep me")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup_data", str(path), verbosity=0)
    assert path.read_text() == "keep me"


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", bytes(range(256)) * 4])
def test_a_binary_file_is_refused_with_a_message(world, tmp_path, content):
    path = tmp_path / "backup.jsonl"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="not a backup written by backup_data"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.count() == 2


def _edit_review_rows(path, edit, table="qa.review") -> None:
    """Apply `edit(columns, rows)` to the first `table` line of the (gzipped) backup at
    `path` (its first row for qa.review)."""
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    for n, raw in enumerate(lines):
        line = json.loads(raw)
        if isinstance(line, dict) and line.get("table") == table:
            edit(line["columns"], line["rows"][0] if table == "qa.review" else line["rows"])
            lines[n] = json.dumps(line)
            break
    else:
        raise AssertionError(f"no {table} rows in the backup")
    path.write_bytes(gzip.compress("\n".join(lines).encode()))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda columns, row: row.pop(), r"qa\.review, row 1: expected \d+ values"),
    (lambda columns, row: row.__setitem__(columns.index("reviewed_at"), "yesterday"),
     r"qa\.review, row 1: 'yesterday' is not a valid reviewed_at"),
    (lambda columns, row: row.__setitem__(columns.index("rating"), "good"),
     r"qa\.review, row 1: 'good' is not a valid rating"),
])
def test_a_row_that_does_not_fit_its_table_is_refused_and_changes_nothing(world, tmp_path,
                                                                         edit, message):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _edit_review_rows(path, edit)
    Review.objects.filter(token="token-0").update(rating=4)
    with pytest.raises(CommandError, match=message):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.get(token="token-0").rating == 4
    assert User.objects.count() == 3


@pytest.mark.parametrize(("table", "bad"), [
    ("qa.question_tags", [1, 2, 3]),
    ("auth.group", ["Editors"]),
    ("auth.group", ["Editors", "qa.change_question"]),
    ("accounts.user_groups", [1]),
    ("accounts.user_permissions", "x"),
])
def test_a_link_row_that_does_not_fit_is_refused_with_a_message(world, tmp_path, table, bad):
    """These tables' rows are pairs the restore unpacked as they came: a wrong one was a
    Python traceback (nothing written, all of it one transaction) instead of a message."""
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _edit_review_rows(path, lambda columns, rows: rows.__setitem__(0, bad), table=table)
    with pytest.raises(CommandError, match=rf"{re.escape(table)}, row 1: expected"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert User.objects.count() == 3
