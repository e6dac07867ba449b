"""`manage.py import_bank`: faithful, idempotent, all-or-nothing. How it keeps editors' work is
in test_importer_editors.py."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import CommandError

from qa.importer import content_hash, default_paths, load_bank_file
from qa.models import Bank, Question, RevisionInfo, Section, Tag
from qa.search import build_search_text
from tests.qa.editing import Kind, edit
from tests.qa.importing import SHIPPED, run, small_bank, snapshot, write


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
    assert revision.history_change_reason == "Imported from llm-zh.yaml"
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


def test_questions_missing_from_the_file_are_reported_not_deleted(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    del data["questions"][2]
    output = run("--partial", str(write(tmp_path, data)))
    assert Question.objects.filter(key="demo/two/01").exists()
    assert "no longer in the file" in output
    assert "demo/two/01" in output



def test_questions_editors_added_or_retired_are_not_reported_missing(db, tmp_path):
    """Only imported, published questions the file leaves out are the file's to mention: one
    an editor added in the admin, or has retired, is not one to "retire instead"."""
    run(str(write(tmp_path, small_bank())))
    Question.objects.filter(key="demo/two/01").update(status=Question.Status.RETIRED)
    added = Question.objects.get(key="demo/one/01")
    added.pk, added.key, added.number, added.import_hash = None, "demo/one/09", 9, ""
    added.save()
    data = small_bank()
    del data["questions"][2]  # demo/two/01, retired by an editor
    output = run(str(write(tmp_path, data)))
    assert "no longer in the file" not in output

def test_a_partial_file_keeps_every_question_and_section_in_its_place(db, tmp_path):
    """Its order speaks only for what it lists: a question it changes keeps its number, and
    what it adds comes after the last of its section (or of the bank's sections)."""
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["sections"] = [{"key": "two", "title": "Two"}, {"key": "three", "title": "Three"}]
    data["questions"] = [
        {"key": "demo/two/01", "section": "two", "prompt": "What is RLHF?",
         "answer": "- reward model\n- PPO, then DPO\n"},
        {"key": "demo/two/02", "section": "two", "prompt": "What is DPO?", "answer": "略。"},
        {"key": "demo/three/01", "section": "three", "prompt": "What is MoE?", "answer": "略。"},
    ]
    output = run("--partial", str(write(tmp_path, data)))
    assert "updated 1" in output and "created 2" in output
    assert list(Section.objects.order_by("position").values_list("key", "position")) == [
        ("one", 0), ("two", 1), ("three", 2)]
    assert list(Question.objects.order_by("section__position", "number")
                .values_list("key", "number")) == [
        ("demo/one/01", 1), ("demo/one/02", 2), ("demo/two/01", 1), ("demo/two/02", 2),
        ("demo/three/01", 1)]
    # The whole file afterwards finds the partial one's questions as it left them.
    whole = small_bank()
    whole["questions"][2]["answer"] = data["questions"][0]["answer"]
    whole["sections"].append({"key": "three", "title": "Three"})
    whole["questions"] += data["questions"][1:]
    assert "unchanged 5" in run(str(write(tmp_path, whole)))


def test_a_partial_file_never_passes_an_editors_order_off_as_its_own(db, tmp_path, editor):
    """It takes numbers and places from the bank: an editor's renumbering then equals what
    it "says", and must still be the editor's for the whole file that comes after."""
    run(str(write(tmp_path, small_bank())))
    moved = Question.objects.get(key="demo/one/02")
    edit(moved, editor, kind=Kind.TYPO, number=7)
    Section.objects.filter(key="one").update(position=5)
    partial = small_bank()
    partial["sections"] = partial["sections"][:1]
    partial["questions"] = [partial["questions"][1]]
    assert "unchanged 1" in run("--partial", str(write(tmp_path, partial, "part.yaml")))
    whole = run(str(write(tmp_path, small_bank())))
    moved.refresh_from_db()
    assert moved.number == 7 and "skipped (edited by editors) 1" in whole
    assert Section.objects.get(key="one").position == 5


def test_a_new_questions_key_must_name_a_section_of_the_bank(db, tmp_path):
    data = small_bank()
    data["questions"].append({"key": "demo/nosuch/01", "section": "one", "prompt": "P?",
                              "answer": "A."})
    with pytest.raises(CommandError, match=r"key 'demo/nosuch/01' of a new question names no "
                                           r"section of the bank \(sections: one, two\)"):
        run(str(write(tmp_path, data)))
    assert not Question.objects.exists()


def test_a_file_that_leaves_out_published_questions_is_refused_as_if_cut_short(db, tmp_path):
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    cut = data["questions"][1]["answer"]
    data["questions"][1]["answer"] = cut[: len(cut) // 2]  # a copy that stopped halfway...
    del data["questions"][2]  # ...before the last question
    with pytest.raises(CommandError, match=r"1 published questions imported from this bank "
                                           r"before are not in the file \(first: demo/two/01\)"):
        run(str(write(tmp_path, data)))
    assert Question.objects.get(key=data["questions"][1]["key"]).answer == cut
    # Retired in the admin (or added there): a file may leave it out.
    Question.objects.filter(key="demo/two/01").update(status=Question.Status.RETIRED)
    run(str(write(tmp_path, data)))
    assert Question.objects.get(key=data["questions"][1]["key"]).answer == data["questions"][1][
        "answer"].strip()


def test_a_yaml_file_cut_off_inside_its_last_answer_is_refused(db, tmp_path):
    """Every key is still there and the cut block still parses: only the missing line break at
    the end tells a copy that stopped short from a whole file."""
    before = snapshot()
    cut = tmp_path / "cut.yaml"
    cut.write_text(SHIPPED.read_text(encoding="utf-8")[:-60], encoding="utf-8")
    with pytest.raises(CommandError, match="does not end with a line break"):
        run(str(cut))
    assert snapshot() == before
    run(str(SHIPPED))
    last = Question.objects.order_by("-section__position", "-number").first()
    stored = last.answer
    with pytest.raises(CommandError, match="looks cut off"):
        run(str(cut))
    assert Question.objects.get(pk=last.pk).answer == stored
    # A whole file without the line break at its end is taken once it has one.
    whole = tmp_path / "whole.yaml"
    whole.write_text(SHIPPED.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    with pytest.raises(CommandError, match="end it with a line break"):
        run(str(whole))
    whole.write_text(whole.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run(str(whole))


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
    ("bad-language", small_bank(bank={"slug": "demo", "title": "Demo", "language": "中文"}),
     "demo.yaml", ["'language' '中文' must be a language tag such as 'zh-hans' or 'en'"]),
    ("no-sections", small_bank(sections=[]), "demo.yaml",
     ["sections: must be a non-empty list, got an empty list"]),
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


def test_a_tag_is_spelled_as_the_database_spells_it(db, tmp_path):
    """`sft` beside `SFT` would split one topic in two (the admin refuses it too)."""
    run(str(write(tmp_path, small_bank())))
    data = small_bank()
    data["questions"][0]["tags"] = ["sft"]
    with pytest.raises(CommandError) as error:
        run(str(write(tmp_path, data)))
    assert "tag 'sft' is spelled 'SFT' elsewhere" in str(error.value)
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["SFT", "微调", "注意力"]
