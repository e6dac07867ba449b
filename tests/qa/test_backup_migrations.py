"""backup_data / restore_data across versions of the site: a backup records the migrations it
was made at; one made at older migrations is restored at them and migrated to the latest, so
the data migrations written since run on its rows; one made by a newer version is refused."""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.models import User
from qa.backup.dump import write_backup
from qa.backup.restore import read_header
from qa.backup.schema import database_models
from qa.importer.files import fingerprint
from qa.models import Bank, Note, Question, Review, Section
from qa.search import build_search_text
from tests.factories import PASSWORD, BankFactory, QuestionFactory, SectionFactory
from tests.qa import test_backup

world = test_backup.world

# Where the site was at eadbc10~1: before accounts 0004 (addresses lower-cased), 0005 (every
# account's address in allauth's table) and qa 0010-0013 (search_text rebuilt twice, import
# hashes of banks and sections).
OLDER = [("accounts", "0003_form_submissions"), ("qa", "0009_set_visibility_before_link")]
PROMPT, ANSWER = "什么是 ＲＬＨＦ（gpt-3.5）？", "基于人类反馈的强化学习。"


def _rewrite_header(path, edit) -> None:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = json.loads(lines[0])
    edit(header)
    path.write_bytes(gzip.compress("\n".join([json.dumps(header), *lines[1:]]).encode()))


def _applied() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


def _at_latest() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def test_a_backup_records_the_migrations_it_was_made_at(db, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    recorded = read_header(path)["migrations"]
    assert {(app, name) for app, names in recorded.items() for name in names} == _applied()
    assert "0009_set_visibility_before_link" in recorded["qa"]


@pytest.fixture
def older_backup(transactional_db, tmp_path):
    """A backup as the site wrote it at OLDER: the database migrated back there, rows written
    and read through that state's models (an address with capitals, no allauth address, the
    search text of that time), then the database emptied and migrated to the latest again,
    as a new server's is before a restore."""
    path = tmp_path / "older.jsonl.gz"
    try:
        for app, name in OLDER:
            call_command("migrate", app, name, verbosity=0)
        m = database_models()
        alice = m.User._default_manager.create(email="Alice@Example.COM", display_name="Alice",
                                               password=make_password(PASSWORD))
        bank = m.Bank._default_manager.create(slug="llm", title="大模型", source="llm.yaml")
        section = m.Section._default_manager.create(bank=bank, key="basics", title="基础")
        question = m.Question._default_manager.create(
            bank=bank, section=section, key="llm/basics/01", number=1, prompt=PROMPT,
            answer=ANSWER, search_text="什么 是 ＲＬＨＦ")
        m.apps.get_model("qa", "Note").objects.create(user=alice, question=question, body="笔记")
        m.apps.get_model("qa", "StudyState").objects.create(user=alice, question=question,
                                                            due=timezone.now())
        write_backup(path, table_models=m)
        for model in (*reversed(m.people), m.Question, m.Section, m.Bank):
            model._default_manager.all().delete()
        assert not _at_latest()
        call_command("migrate", verbosity=0)
        yield path
    finally:
        call_command("migrate", verbosity=0)  # whatever the test did


def test_a_backup_made_at_older_migrations_gets_their_data_migrations_on_restore(older_backup):
    recorded = read_header(older_backup)["migrations"]
    assert recorded["qa"][-1] == "0009_set_visibility_before_link"
    # As after `import_bank`: the bank is there already, with a question the backup lacks.
    section = SectionFactory(key="basics", bank=BankFactory(slug="llm"))
    QuestionFactory(key="llm/basics/01", section=section, prompt="旧", answer="旧")
    imported_only = QuestionFactory(key="llm/basics/02", section=section)
    out = io.StringIO()
    call_command("restore_data", str(older_backup), stdout=out)

    assert _at_latest()
    alice = User.objects.get()
    assert alice.email == "alice@example.com"  # accounts 0004
    assert EmailAddress.objects.filter(user=alice, email="alice@example.com", verified=True,
                                       primary=True).exists()  # accounts 0005
    question = Question.objects.get(key="llm/basics/01")
    assert question.search_text == build_search_text(PROMPT, ANSWER)  # qa 0010, 0013
    assert Question.objects.filter(pk=imported_only.pk).exists()
    bank, section = Bank.objects.get(), Section.objects.get()
    assert bank.import_hash == fingerprint(bank.title, bank.language, bank.description,
                                           bank.source)  # qa 0011
    assert section.import_hash == fingerprint(section.title, section.position)
    assert Note.objects.get().question == question and question.study_states.get().user == alice
    assert ("made at older migrations (accounts 0003_form_submissions, qa "
            "0009_set_visibility_before_link)") in out.getvalue()
    assert re.search(r"accounts\.user +1\n", out.getvalue())
    assert User.objects.create_user(email="new@example.com").pk > alice.pk


def test_an_older_backup_that_cannot_be_loaded_leaves_the_database_as_it_was(older_backup):
    lines = gzip.decompress(older_backup.read_bytes()).decode().splitlines()
    older_backup.write_bytes(gzip.compress("\n".join(lines[:-1]).encode()))  # cut short
    applied = _applied()
    with pytest.raises(CommandError, match="is incomplete"):
        call_command("restore_data", str(older_backup), verbosity=0)
    assert _applied() == applied and _at_latest()
    assert not User.objects.exists() and not Question.objects.exists()


def _older_header(header) -> None:
    """The header of a backup made at OLDER (the rows stay as they are: they are not read)."""
    for app, name in OLDER:
        names = header["migrations"][app]
        header["migrations"][app] = names[:names.index(name) + 1]


def test_an_older_backup_is_refused_over_peoples_data_even_with_force(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _rewrite_header(path, _older_header)
    Review.objects.filter(token="token-0").update(rating=4)
    applied = _applied()
    with pytest.raises(CommandError, match=r"older migrations \(accounts 0003_form_submissions"
                                           r", qa 0009_set_visibility_before_link\).*--force or "
                                           r"not.*Restore it into a new database"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert Review.objects.get(token="token-0").rating == 4 and _applied() == applied


def test_an_older_backup_that_needs_a_migration_undone_that_cannot_be_is_refused(
        world, tmp_path, monkeypatch):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _rewrite_header(path, _older_header)
    test_backup._wipe_everything()
    one_way = MigrationLoader(None).disk_migrations[("qa", "0011_import_hash_bank_section")]
    monkeypatch.setattr(type(one_way), "operations", [
        *type(one_way).operations[:-1],
        type(one_way.operations[-1])(one_way.operations[-1].code),  # no reverse
    ])
    applied = _applied()
    with pytest.raises(CommandError, match=r"qa 0011_import_hash_bank_section cannot be undone"
                                           r"\. Restore it into a new, empty database"):
        call_command("restore_data", str(path), verbosity=0)
    assert _applied() == applied and not User.objects.exists()


@pytest.mark.parametrize("force", [False, True])
def test_a_backup_from_a_newer_version_of_the_site_is_refused_and_changes_nothing(
        world, tmp_path, force):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _rewrite_header(path, lambda header: header["migrations"]["qa"].append("0099_from_later"))
    if not force:
        test_backup._wipe_everything()
    applied = _applied()
    with pytest.raises(CommandError, match=r"made by a newer version of the site .*\(qa "
                                           r"0099_from_later\)\. Upgrade the code first"):
        call_command("restore_data", str(path), *(["--force"] if force else []), verbosity=0)
    assert User.objects.count() == (3 if force else 0) and _applied() == applied


def test_a_malformed_record_of_migrations_is_refused(world, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _rewrite_header(path, lambda header: header.update(migrations=["qa"]))
    with pytest.raises(CommandError, match="not a list of names per app"):
        call_command("restore_data", str(path), "--force", verbosity=0)
    assert User.objects.count() == 3


def test_a_backup_without_a_record_of_its_migrations_is_restored_as_it_is(world, tmp_path):
    before = test_backup.snapshot()
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    _rewrite_header(path, lambda header: header.pop("migrations"))
    test_backup._wipe_everything()
    out = io.StringIO()
    call_command("restore_data", str(path), stdout=out)
    assert test_backup.snapshot() == before
    assert "its schema could not be checked" in out.getvalue()


def test_a_backup_at_the_latest_migrations_is_restored_without_migrating(world, tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "backup.jsonl.gz"
    call_command("backup_data", str(path), verbosity=0)
    test_backup._wipe_everything()
    monkeypatch.setattr("qa.backup.restore.migrate_to", None)  # would fail if called
    out = io.StringIO()
    call_command("restore_data", str(path), stdout=out)
    assert User.objects.count() == 3 and "migrat" not in out.getvalue().lower()
