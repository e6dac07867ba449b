"""`manage.py import_bank`: faithful, idempotent, all-or-nothing, never eats an editor's work."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from qa.importer import content_hash, default_paths, load_bank_file
from qa.models import Bank, Question, RevisionInfo, Section, StudyState, Tag
from qa.search import build_search_text
from qa.services import editorial

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "banks" / "llm-zh.yaml"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_bank", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import could change."""
    history = Question.history.model
    return {
        "banks": list(Bank.objects.values_list("slug", "title", "description")),
        "sections": list(Section.objects.values_list("bank__slug", "key", "title", "position")),
        "questions": list(
            Question.objects.order_by("key").values_list(
                "key", "section__key", "number", "prompt", "answer", "status",
                "answer_version", "revision", "import_hash",
            )
        ),
        "tags": list(Question.tags.through.objects.order_by("pk").values_list(
            "question__key", "tag__name")),
        "history": history.objects.count(),
        "tag_history": history.tags.model.objects.count(),
    }


def small_bank(**changes) -> dict:
    data = {
        "format": 1,
        "bank": {"slug": "demo", "title": "Demo bank", "language": "en"},
        "sections": [{"key": "one", "title": "One"}, {"key": "two", "title": "Two"}],
        "questions": [
            {"key": "demo/one/01", "section": "one", "prompt": "What is attention?",
             "answer": "Weights over positions.", "tags": ["注意力"]},
            {"key": "demo/one/02", "section": "one", "prompt": "What is SFT?",
             "answer": "Supervised fine-tuning.", "tags": ["SFT", "微调"]},
            {"key": "demo/two/01", "section": "two", "prompt": "What is RLHF?",
             "answer": "- reward model\n- PPO\n"},
        ],
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return path


@pytest.fixture
def shipped(db):
    return run(str(SHIPPED))


# --- the shipped bank -------------------------------------------------------------------------


def test_first_import_yields_32_questions_in_two_sections(shipped):
    assert Bank.objects.get().slug == "llm-zh"
    sections = list(Section.objects.order_by("position"))
    assert [(s.key, s.title, s.position) for s in sections] == [
        ("basics", "基础篇", 0), ("advanced", "进阶篇", 1)
    ]
    assert [s.questions.count() for s in sections] == [14, 18]
    assert Question.objects.count() == 32
    assert Question.objects.published().count() == 32
    assert "created 32" in shipped


def test_imported_questions_are_exactly_the_fixture(shipped):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for number, item in enumerate(data["questions"][:14], start=1):
        question = Question.objects.get(key=item["key"])
        assert question.prompt == item["prompt"].strip()
        assert question.answer == item["answer"].strip()
        assert question.number == number
        assert sorted(question.tags.values_list("name", flat=True)) == sorted(item["tags"])
        assert question.search_text == build_search_text(
            question.prompt, question.answer, *item["tags"])
        assert question.import_hash == content_hash(
            section=item["section"], number=number, prompt=question.prompt,
            answer=question.answer, tags=item["tags"], status="published")


def test_every_import_is_a_revision_with_its_tags(shipped):
    question = Question.objects.get(key="llm-zh/basics/01")
    [revision] = question.history.all()
    assert revision.change_kind == RevisionInfo.Kind.IMPORT
    assert revision.history_change_reason == "Imported from fixtures/banks/llm-zh.yaml"
    assert revision.history_type == "+"
    assert sorted(t.tag.name for t in revision.tags.all()) == ["开源生态", "模型架构"]
    assert Question.history.count() == 32


def test_second_run_changes_nothing_and_says_so(shipped):
    before = snapshot()
    output = run(str(SHIPPED))
    assert snapshot() == before
    assert "unchanged 32" in output
    assert "Nothing changed." in output


def test_without_paths_it_imports_every_bank_in_fixtures(db):
    assert SHIPPED in default_paths()
    run()
    assert Question.objects.filter(bank__slug="llm-zh").count() == 32


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
    run("--substantive", str(write(tmp_path, data)))
    question.refresh_from_db()
    state.refresh_from_db()
    assert question.answer_version == 2
    assert question.history.first().change_kind == RevisionInfo.Kind.SUBSTANTIVE
    assert state.due < later
    assert state.changed_since_review


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
    assert latest.history_change_reason == "Forced re-import from fixtures/banks/llm-zh.yaml"
    assert latest.change_kind == RevisionInfo.Kind.IMPORT
    assert latest.answer == original
    assert "overwritten (--force) 1" in output
    assert "Nothing changed." in run(str(SHIPPED))


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


def test_questions_missing_from_the_file_are_reported_not_deleted(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    del data["questions"][2]
    output = run(str(write(tmp_path, data)))
    assert Question.objects.filter(key="demo/two/01").exists()
    assert "no longer in the file" in output
    assert "demo/two/01" in output


def test_dry_run_reports_and_writes_nothing(db, tmp_path):
    path = write(tmp_path, small_bank())
    output = run("--dry-run", str(path))
    assert "would be created 3" in output
    assert "Dry run: nothing was written." in output
    assert Bank.objects.count() == 0
    assert Question.history.count() == 0


def test_json_files_import_like_yaml(db, tmp_path):
    run(str(write(tmp_path, small_bank(), "demo.json")))
    assert Question.objects.filter(bank__slug="demo").count() == 3
    assert list(Section.objects.values_list("key", "position")) == [("one", 0), ("two", 1)]


def test_parsed_file_numbers_questions_in_file_order_within_each_section(tmp_path):
    bank_file = load_bank_file(write(tmp_path, small_bank()))
    assert [(q.key, q.number) for q in bank_file.questions] == [
        ("demo/one/01", 1), ("demo/one/02", 2), ("demo/two/01", 1)
    ]


# --- malformed files: a clear message, and the database unchanged ------------------------------


def _with_question(**fields):
    data = small_bank()
    data["questions"][1] = {**data["questions"][1], **fields}
    return data


def _without(field):
    data = small_bank()
    del data["questions"][1][field]
    return data


BAD_YAML = """format: 1
bank:
  slug: demo
  title: Demo bank
  language: en
sections:
  - key: one
    title: One
questions:
  - key: demo/one/01
    section: one
    prompt: [unclosed
    answer: x
"""

BAD_JSON = '{\n  "format": 1,\n  "bank": {"slug": "demo",}\n}\n'

DUPLICATE_FIELD = """format: 1
bank: {slug: demo, title: Demo bank, language: en}
sections: [{key: one, title: One}]
questions:
  - key: demo/one/01
    section: one
    prompt: What?
    answer: This.
    answer: That.
"""

MALFORMED = [
    ("bad-yaml", BAD_YAML, "demo.yaml", ["invalid YAML at line 13"]),
    ("bad-json", BAD_JSON, "demo.json", ["invalid JSON at line 3"]),
    ("duplicate-field", DUPLICATE_FIELD, "demo.yaml", ["invalid YAML", "line 9",
                                                       "duplicate field 'answer'"]),
    ("missing-field", _without("answer"), "demo.yaml",
     ["question #2 'demo/one/02'", "missing required field 'answer'"]),
    ("duplicate-key", _with_question(key="demo/one/01"), "demo.yaml",
     ["question #2 'demo/one/01'", "duplicate key 'demo/one/01' (first used by question #1)"]),
    ("unknown-section", _with_question(section="three", key="demo/three/02"), "demo.yaml",
     ["question #2 'demo/three/02'", "unknown section 'three'"]),
    ("empty-answer", _with_question(answer="  \n"), "demo.yaml",
     ["question #2 'demo/one/02'", "'answer' is empty"]),
    ("bad-status", _with_question(status="hidden"), "demo.yaml",
     ["question #2 'demo/one/02'", "bad status 'hidden'"]),
    ("wrong-type", _with_question(prompt=42), "demo.yaml",
     ["question #2 'demo/one/02'", "'prompt' must be text, got a number"]),
    ("wrong-tags-type", _with_question(tags="SFT"), "demo.yaml",
     ["question #2 'demo/one/02'", "'tags' must be a list"]),
    ("foreign-key", _with_question(key="other/one/02"), "demo.yaml",
     ["question #2 'other/one/02'", "must look like 'demo/<section key>/<number>'"]),
    ("key-section-mismatch", _with_question(key="demo/two/02"), "demo.yaml",
     ["question #2 'demo/two/02'", "does not match its section 'one'"]),
    ("unknown-format", small_bank(format=2), "demo.yaml", ["unknown format 2"]),
    ("unknown-field", _with_question(anwser="typo"), "demo.yaml",
     ["question #2 'demo/one/02'", "unknown field 'anwser'"]),
    ("not-a-mapping", "- just\n- a list\n", "demo.yaml", ["expected a mapping"]),
    ("deep-json", "[" * 50000 + "]" * 50000, "demo.json", ["nested too deeply"]),
    ("lone-surrogate", json.dumps(_with_question(prompt="\ud800")), "demo.json",
     ["question #2 'demo/one/02'", "'prompt' holds a character the database cannot store"]),
    ("nul", _with_question(answer="a\x00b"), "demo.json",
     ["question #2 'demo/one/02'", "'answer' holds a character the database cannot store"]),
    ("long-section-title", small_bank(sections=[{"key": "one", "title": "x" * 201},
                                                {"key": "two", "title": "Two"}]), "demo.yaml",
     ["section #1 'one'", "'title' is longer than 200 characters"]),
    ("long-language", small_bank(bank={"slug": "demo", "title": "Demo", "language": "x" * 17}),
     "demo.yaml", ["'language' is longer than 16 characters"]),
]


@pytest.mark.parametrize(("content", "name", "expected"),
                         [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_a_malformed_file_names_file_entry_and_problem_and_changes_nothing(
    shipped, tmp_path, content, name, expected
):
    path = write(tmp_path, content, name)
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        run(str(path))
    message = str(excinfo.value)
    assert "Nothing was imported" in message
    assert str(path) in message
    for fragment in expected:
        assert fragment in message, message
    assert snapshot() == before


def test_a_yaml_entry_error_also_gives_its_line(db, tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(_with_question(answer=""), allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    with pytest.raises(CommandError, match=r"question #2 'demo/one/02' \(line \d+\)"):
        run(str(path))


def test_every_problem_of_a_file_is_reported_at_once(db, tmp_path):
    data = small_bank()
    data["questions"][0]["status"] = "nope"
    data["questions"][2]["section"] = "three"
    with pytest.raises(CommandError) as excinfo:
        run(str(write(tmp_path, data)))
    assert "bad status 'nope'" in str(excinfo.value)
    assert "unknown section 'three'" in str(excinfo.value)


def test_one_bad_file_stops_the_good_ones_too(shipped, tmp_path):
    good = write(tmp_path, small_bank(), "good.yaml")
    bad = write(tmp_path, _without("prompt"), "bad.yaml")
    before = snapshot()
    with pytest.raises(CommandError, match=r"bad\.yaml"):
        run(str(good), str(bad))
    assert snapshot() == before
    assert not Bank.objects.filter(slug="demo").exists()


def test_a_missing_file_is_an_error(db, tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        run(str(tmp_path / "nope.yaml"))


def test_a_bad_file_leaves_an_existing_bank_untouched_even_with_valid_changes(shipped,
                                                                              tmp_path):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["questions"][0]["answer"] = "A valid change that must not land."
    data["questions"][5]["section"] = "nowhere"
    before = snapshot()
    with pytest.raises(CommandError, match="unknown section 'nowhere'"):
        run(str(write(tmp_path, data, "llm-zh.yaml")))
    assert snapshot() == before


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
