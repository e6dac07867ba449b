"""`manage.py import_bank` never eats an editor's work: edited questions, sections and bank
details are kept (and named) unless forced, and a save made while an import runs is not
overwritten."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from qa.models import Bank, Question, RevisionInfo, Section, StudyState, Tag
from qa.services import editorial
from tests.qa.importing import SHIPPED, run, small_bank, write


@pytest.fixture
def shipped(db):
    return run(str(SHIPPED))


def small_bank_corrected(tmp_path, *, editor, kind: str) -> Question:
    """The small bank imported, and its first answer corrected by `editor` (None: no user)."""
    run(str(write(tmp_path, small_bank())))
    question = Question.objects.get(key="demo/one/01")
    editorial.save_question_edit(question=question, editor=editor,
                                 data={"answer": "Corrected answer."}, kind=kind,
                                 reason="更正", expected_revision=1)
    question.refresh_from_db()
    return question


# --- updates, editors and --force -------------------------------------------------------------


def test_a_changed_file_updates_untouched_questions_as_an_import_revision(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"][0]["answer"] = "Weighted sums over positions."
    output = run(str(write(tmp_path, data)))
    question = Question.objects.get(key="demo/one/01")
    assert question.answer == "Weighted sums over positions."
    assert question.answer_version == 1  # an import is not a substantive correction by default
    assert question.revision == 2
    latest = question.history.first()
    assert latest.change_kind == RevisionInfo.Kind.IMPORT
    assert latest.history_type == "~"
    assert [t.tag.name for t in latest.tags.all()] == ["注意力"]
    assert "updated 1" in output and "unchanged 2" in output


def test_substantive_import_bumps_the_version_and_requeues_learners(db, tmp_path, alice):
    run(str(write(tmp_path, small_bank())))
    question = Question.objects.get(key="demo/one/01")
    later = timezone.now() + timedelta(days=30)
    state = StudyState.objects.create(user=alice, question=question, due=later,
                                      last_answer_version=1)
    data = small_bank()
    data["questions"][0]["answer"] = "A corrected answer."
    run("--substantive", "--reason", "更正", str(write(tmp_path, data)))
    question.refresh_from_db()
    state.refresh_from_db()
    assert question.answer_version == 2
    assert question.history.first().change_kind == RevisionInfo.Kind.SUBSTANTIVE
    assert state.due < later
    assert state.changed_since_review


def test_a_substantive_import_tells_learners_its_reason_and_never_a_path(db, tmp_path):
    """The correction log is public: it shows the import's --reason, which a substantive
    import needs ("Imported from demo.yaml" told learners nothing, in English)."""
    from django.core.management import CommandError

    from qa.selectors.editorial import correction_log
    from tests.qa.importing import snapshot

    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"][0]["answer"] = "A corrected answer."
    before = snapshot()
    with pytest.raises(CommandError, match="--substantive needs --reason"):
        run("--substantive", str(write(tmp_path, data)))
    assert snapshot() == before
    run("--substantive", "--reason", "修正：复杂度应为 O(n²)", str(write(tmp_path, data)))
    question = Question.objects.get(key="demo/one/01")
    [entry] = correction_log(question=question)
    assert entry.reason == "修正：复杂度应为 O(n²)"


def test_tags_and_status_changes_are_applied(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"][1]["tags"] = ["SFT", "数据"]
    data["questions"][2]["status"] = "retired"
    run(str(write(tmp_path, data)))
    assert sorted(Question.objects.get(key="demo/one/02").tags.values_list("name", flat=True)) \
        == ["SFT", "数据"]
    assert Question.objects.get(key="demo/two/01").status == Question.Status.RETIRED
    assert Tag.objects.filter(name="数据").exists()
    revision = Question.objects.get(key="demo/one/02").history.first()
    assert sorted(t.tag.name for t in revision.tags.all()) == ["SFT", "数据"]


def test_reimport_keeps_an_editors_answer_and_reports_the_key(shipped):
    question = Question.objects.get(key="llm-zh/advanced/01")
    question.answer = "LLaMA means Large Language Model Meta AI. (edited)"
    question._change_reason = "Fix the expansion of LLaMA"
    question.save()
    history_before = question.history.count()

    output = run(str(SHIPPED))

    question.refresh_from_db()
    assert question.answer == "LLaMA means Large Language Model Meta AI. (edited)"
    assert question.history.count() == history_before
    assert "skipped (edited by editors) 1" in output
    assert "llm-zh/advanced/01" in output
    assert "unchanged 31" in output


def test_an_editors_status_change_is_kept_too(shipped):
    question = Question.objects.get(key="llm-zh/basics/04")
    question.status = Question.Status.RETIRED
    question.save()
    output = run(str(SHIPPED))
    question.refresh_from_db()
    assert question.status == Question.Status.RETIRED
    assert "llm-zh/basics/04" in output


def test_a_file_change_to_an_edited_question_is_skipped_and_flagged(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    question = Question.objects.get(key="demo/one/02")
    question.answer = "Supervised fine-tuning (edited)."
    question.save()
    data = small_bank()
    data["questions"][1]["answer"] = "Supervised fine-tuning on instructions."
    output = run(str(write(tmp_path, data)))
    question.refresh_from_db()
    assert question.answer == "Supervised fine-tuning (edited)."
    assert "demo/one/02  (the file changed it too" in output


def test_force_overwrites_an_edited_question_and_records_a_revision(shipped):
    question = Question.objects.get(key="llm-zh/advanced/01")
    original = question.answer
    question.answer = "Edited by an editor."
    question.save()

    output = run("--force", str(SHIPPED))

    question.refresh_from_db()
    assert question.answer == original
    latest = question.history.first()
    assert latest.history_change_reason == "Forced re-import from llm-zh.yaml"
    assert latest.change_kind == RevisionInfo.Kind.IMPORT
    assert latest.answer == original
    assert "overwritten (--force) 1" in output
    assert "Nothing changed." in run(str(SHIPPED))



def test_forcing_the_file_over_a_substantive_correction_undoes_it_as_a_revert(shipped, alice):
    """Learners studied the corrected answer: the file's older text replacing it is a change
    they must see, as when an editor reverts a correction, and the log does not keep claiming
    a correction that is gone."""
    question = Question.objects.get(key="llm-zh/basics/13")
    original = question.answer
    editorial.save_question_edit(
        question=question, editor=None, data={"answer": "MQA: one key/value head for all."},
        kind=RevisionInfo.Kind.SUBSTANTIVE, reason="修正MQA的描述", expected_revision=1)
    question.refresh_from_db()
    assert question.answer_version == 2
    later = timezone.now() + timedelta(days=30)
    state = StudyState.objects.create(user=alice, question=question, due=later,
                                      last_answer_version=2)

    assert "undoing an editor's substantive correction" in run("--force", "--dry-run",
                                                               str(SHIPPED))
    question.refresh_from_db()
    assert question.answer_version == 2  # a dry run writes nothing
    output = run("--force", str(SHIPPED))

    question.refresh_from_db()
    state.refresh_from_db()
    assert question.answer == original and question.answer_version == 3
    latest = question.history.first()
    assert latest.change_kind == RevisionInfo.Kind.REVERT
    assert latest.history_change_reason == "Forced re-import from llm-zh.yaml"
    assert state.changed_since_review and state.due < later
    assert "undoing an editor's substantive correction" in output
    assert "llm-zh/basics/13" in output.split("undoing")[1]
    # The file's text again: the next import finds nothing to do.
    assert "Nothing changed." in run(str(SHIPPED))


def test_the_old_file_after_the_bank_s_download_does_not_undo_a_correction(shipped, editor,
                                                                          tmp_path):
    """The bank's download, imported back, matches every question, so the importer takes its
    text as imported (the file caught up). The original file then differs from that text, but
    it is older than the correction, not news: the editor's answer stays."""
    from qa.exporters import bank_to_json

    question = Question.objects.get(key="llm-zh/basics/03")
    original = question.answer
    editorial.save_question_edit(
        question=question, editor=editor, data={"answer": "更正后的答案。"},
        kind=RevisionInfo.Kind.SUBSTANTIVE, reason="更正", expected_revision=1)
    download = tmp_path / "llm-zh.json"
    download.write_bytes(bank_to_json(Bank.objects.get(slug="llm-zh")))
    assert "Nothing changed." in run(str(download))

    output = run(str(SHIPPED))
    question.refresh_from_db()
    assert (question.answer, question.answer_version, question.revision) == ("更正后的答案。", 2, 2)
    assert "updated 0" in output and "skipped (edited by editors) 1" in output
    assert "llm-zh/basics/03  (the file changed it too" in output
    # Forced, the file's text comes back, as the revert of the correction it is.
    assert "llm-zh/basics/03" in run("--force", str(SHIPPED)).split("undoing")[1]
    question.refresh_from_db()
    assert (question.answer, question.answer_version) == (original, 3)


def test_a_file_adopting_a_correction_it_once_forced_away_brings_it_back(editor, tmp_path):
    """A forced import over an editor's correction is the file's own revision, not an
    editor's: the file later saying what the editor said is an update like any other."""
    question = small_bank_corrected(tmp_path, editor=editor, kind=RevisionInfo.Kind.SUBSTANTIVE)
    assert "undoing" in run("--force", str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"][0]["answer"] = "Corrected answer."
    assert "updated 1" in run(str(write(tmp_path, data)))
    question.refresh_from_db()
    assert question.answer == "Corrected answer."


def test_a_file_that_caught_up_with_a_correction_brings_later_changes(db, tmp_path):
    question = small_bank_corrected(tmp_path, editor=None, kind=RevisionInfo.Kind.TYPO)
    data = small_bank()
    data["questions"][0]["answer"] = "Corrected answer."
    assert "Nothing changed." in run(str(write(tmp_path, data)))
    data["questions"][0]["answer"] = "Corrected, then extended upstream."
    assert "updated 1" in run(str(write(tmp_path, data)))
    question.refresh_from_db()
    assert question.answer == "Corrected, then extended upstream."


def test_forcing_a_file_that_carries_the_correction_undoes_nothing(db, tmp_path, alice):
    """The file already says what the editor corrected; only its prompt reads otherwise."""
    question = small_bank_corrected(tmp_path, editor=None, kind=RevisionInfo.Kind.SUBSTANTIVE)
    state = StudyState.objects.create(user=alice, question=question, last_answer_version=2,
                                      due=timezone.now() + timedelta(days=30))
    data = small_bank()
    data["questions"][0].update(answer="Corrected answer.", prompt="What is attention, briefly?")
    output = run("--force", str(write(tmp_path, data)))
    question.refresh_from_db()
    state.refresh_from_db()
    assert question.prompt == "What is attention, briefly?" and question.answer_version == 2
    assert question.history.first().change_kind == RevisionInfo.Kind.IMPORT
    assert not state.changed_since_review
    assert "undoing" not in output

def test_an_editors_section_and_bank_changes_are_kept_and_reported(db, tmp_path):
    path = write(tmp_path, small_bank())
    run(str(path))
    Section.objects.filter(key="one").update(title="One, renamed by an editor", position=5)
    Bank.objects.filter(slug="demo").update(description="Kept up by our editors.")
    data = small_bank(sections=[{"key": "one", "title": "One (file v2)"},
                                {"key": "two", "title": "Two (file v2)"}])
    data["bank"]["title"] = "Demo bank v2"

    output = run(str(write(tmp_path, data)))

    assert list(Section.objects.order_by("key").values_list("key", "title", "position")) == [
        ("one", "One, renamed by an editor", 5), ("two", "Two (file v2)", 1)]
    bank = Bank.objects.get(slug="demo")
    assert (bank.title, bank.description) == ("Demo bank", "Kept up by our editors.")
    assert "changed by an editor since they were imported: kept" in output
    assert "Sections changed by an editor since they were imported, kept" in output
    assert ": one" in output
    # Nothing more on the next run, and --force brings the file's back.
    assert run(str(path)).count("kept") == 2
    run(str(write(tmp_path, data)), "--force")
    assert Section.objects.get(key="one").title == "One (file v2)"
    assert Bank.objects.get(slug="demo").title == "Demo bank v2"


def test_a_file_that_catches_up_with_an_editors_section_title_takes_it_over(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    Section.objects.filter(key="two").update(title="Two, better")
    caught_up = small_bank(sections=[{"key": "one", "title": "One"},
                                     {"key": "two", "title": "Two, better"}])
    assert "kept" not in run(str(write(tmp_path, caught_up)))
    # From now on the file's next title is applied.
    later = small_bank(sections=[{"key": "one", "title": "One"},
                                 {"key": "two", "title": "Two, best"}])
    run(str(write(tmp_path, later)))
    assert Section.objects.get(key="two").title == "Two, best"


def test_the_migration_takes_what_banks_and_sections_hold_as_imported(db, tmp_path):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    run(str(write(tmp_path, small_bank())))
    Section.objects.update(import_hash="")
    Bank.objects.update(import_hash="")
    Section.objects.filter(key="one").update(title="Edited before the migration")
    migration = importlib.import_module("qa.migrations.0011_import_hash_bank_section")
    migration.fingerprint_as_imported(apps, SimpleNamespace(connection=connection))
    assert "kept" not in run(str(write(tmp_path, small_bank())))
    # The section's title counted as imported; the file's change to it now applies.
    assert Section.objects.get(key="one").title == "One"


def test_a_question_saved_unchanged_through_a_form_is_not_an_edit(shipped):
    # Browsers send CRLF line endings and forms strip the ends: that is not an edit.
    question = Question.objects.get(key="llm-zh/basics/02")
    question.answer = question.answer.replace("\n", "\r\n") + "\r\n"
    question.save()
    assert "Nothing changed." in run(str(SHIPPED))

@pytest.mark.django_db(transaction=True)
def test_an_editor_saving_while_the_import_runs_is_never_overwritten(editor, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    run(str(write(tmp_path, small_bank())))
    question = Question.objects.get(key="demo/one/02")
    changed = small_bank()
    changed["questions"][1]["answer"] = "Supervised fine-tuning, on labelled pairs."
    saved, errors = threading.Event(), []

    def edit():
        # The editor's save holds the question's row until the import waits for it.
        try:
            with transaction.atomic():
                editorial.save_question_edit(
                    question=question, editor=editor, data={"answer": "SFT (editor's fix)."},
                    kind=RevisionInfo.Kind.TYPO, reason="fix", expected_revision=1,
                )
                saved.set()
                with connection.cursor() as cursor:
                    for _ in range(200):
                        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=edit)
    thread.start()
    assert saved.wait(10)
    output = run(str(write(tmp_path, changed)))
    thread.join()

    assert errors == []
    question.refresh_from_db()
    assert (question.answer, question.revision) == ("SFT (editor's fix).", 2)
    assert "demo/one/02  (the file changed it too" in output
    assert question.history.count() == 2  # the import and the editor's save, nothing more


@pytest.mark.parametrize("force", [False, True])
def test_a_question_an_editor_added_does_not_give_its_key_to_the_file_s(db, tmp_path, force,
                                                                       alice):
    """An editor added demo/one/03 in the admin; the file later adds its own demo/one/03.
    The import called it "edited by editors", and --force put the file's question in its
    place, with the editor's question's learners, notes and bookmarks."""
    from django.core.management import CommandError

    from tests.qa.importing import snapshot

    run(str(write(tmp_path, small_bank())))
    added = Question.objects.create(
        key="demo/one/03", bank=Bank.objects.get(slug="demo"),
        section=Section.objects.get(key="one"), number=3, prompt="What is a KV cache?",
        answer="Cached keys and values.")
    StudyState.objects.create(user=alice, question=added, due=timezone.now())
    data = small_bank()
    data["questions"].append({"key": "demo/one/03", "section": "one",
                              "prompt": "What is temperature?", "answer": "A softmax scale."})
    before = snapshot()
    with pytest.raises(CommandError, match="belongs to a question an editor added in the admin"):
        run(*(["--force"] if force else []), str(write(tmp_path, data)))
    assert snapshot() == before
    added.refresh_from_db()
    assert added.prompt == "What is a KV cache?"


def test_a_section_no_longer_in_the_file_is_named_and_left_as_it_is(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["sections"][1]["key"] = "second"
    data["questions"][2].update(key="demo/second/01", section="second")
    data["questions"] = data["questions"][:2]  # the old section's question: --partial
    output = run("--partial", str(write(tmp_path, data)))
    assert "Sections in the database" not in output  # a partial file lists what it changes
    data = small_bank()
    data["sections"][1]["key"] = "second"
    data["questions"][2]["section"] = "second"  # moved there, under its key
    output = run(str(write(tmp_path, data)))
    assert "Sections in the database but no longer in the file" in output
    assert output.split("no longer in the file")[1].split("\n")[0].endswith(": two")
    assert Section.objects.filter(key="two").exists()


def test_a_new_question_asking_what_another_asks_is_pointed_out(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"].append({"key": "demo/two/02", "section": "two",
                              "prompt": "what is  ATTENTION?", "answer": "Pasted again."})
    output = run(str(write(tmp_path, data)))
    assert "created 1" in output
    assert "New questions that ask what another question of the bank asks" in output
    assert "demo/two/02 (as demo/one/01)" in output
    assert "ask what another" not in run(str(write(tmp_path, data)))  # said once, when new
    # A new question taking over the prompt the file rewords away from an old one: no one
    # asks it twice.
    data["questions"][1]["prompt"] = "What is supervised fine-tuning?"
    data["questions"].append({"key": "demo/two/03", "section": "two",
                              "prompt": "What is SFT?", "answer": "Short for it."})
    assert "ask what another" not in run(str(write(tmp_path, data)))
