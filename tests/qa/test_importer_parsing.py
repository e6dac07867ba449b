"""Reading bank files: YAML means what PyYAML's safe loader says it means, with a line on every
mapping and a clear error for what the safe loader would silently accept or crash on."""

from __future__ import annotations

import datetime
import gc
from pathlib import Path

import pytest
import yaml

from qa.importer import BankFileError
from qa.importer.parsing import gc_paused, parse


def read(tmp_path: Path, text: str, name: str = "bank.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse(path, name)


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(BankFileError) as excinfo:
        read(tmp_path, text)
    return str(excinfo.value)


def test_values_mean_what_they_mean_to_pyyaml(tmp_path):
    text = """format: 1
flags: [yes, no, null, ~, 1.5, 0x10, 2024-05-01, "7", '8', !!str 9]
anchor: &shared {a: [1, 2], b: text}
alias: *shared
block: |
  line one
    indented
folded: >
  one
  two
set: !!set {a, b}
pairs: !!omap [a: 1, b: 2]
"""
    data = read(tmp_path, text)
    assert data == yaml.safe_load(text)
    assert data["flags"] == [True, False, None, None, 1.5, 16, datetime.date(2024, 5, 1),
                             "7", "8", "9"]
    assert data["alias"] == {"a": [1, 2], "b": "text"}


def test_every_mapping_knows_its_line(tmp_path):
    data = read(tmp_path, "bank:\n  slug: x\nquestions:\n  - key: a\n\n  - {key: b}\n"
                          "odd:\n  1: one\n")
    assert data.line == 1
    assert data["bank"].line == 2
    assert [q.line for q in data["questions"]] == [4, 6]
    assert data["odd"].line == 8  # non-text keys go through PyYAML's own constructor


@pytest.mark.parametrize("text", [
    "a: 1\nb:\n  c: 2\n  c: 3\n",
    "a: [{c: 2, c: 3}]\n",
    "a:\n  1: x\n  1: y\n",
], ids=["block", "flow", "number-keys"])
def test_a_duplicate_field_is_an_error_with_its_line(tmp_path, text):
    message = problem(tmp_path, text)
    assert "duplicate field" in message
    assert "line" in message


def test_a_recursive_alias_is_an_error_not_a_crash(tmp_path):
    assert "recursive" in problem(tmp_path, "a: &me\n  b: *me\n")
    assert "recursive" in problem(tmp_path, "&list [*list]\n")


def test_a_mapping_as_a_key_is_an_error_not_a_crash(tmp_path):
    assert "unhashable key" in problem(tmp_path, "? [1, 2]\n: value\n")


def test_an_unknown_tag_is_an_error(tmp_path):
    assert "could not determine a constructor" in problem(tmp_path, "a: !python/name:os.system x\n")


def test_json_duplicate_fields_are_errors_too(tmp_path):
    with pytest.raises(BankFileError, match="duplicate field 'a'"):
        read(tmp_path, '{"a": 1, "a": 2}', "bank.json")


def test_gc_paused_restores_the_collector_as_it_was():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_value_of_aliases_nested_many_times_over_is_quoted_short(tmp_path):
    """A few hundred bytes of YAML can alias a list into itself level after level (9**6
    strings here): the error names the value without expanding it."""
    from qa.importer.validation import load_bank_file

    levels = ['status: &a0 ["x","x","x","x","x","x","x","x","x"]'] + [
        f"status: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 6)]
    questions = "".join(
        f"  - {{key: demo/one/{n + 1:02d}, section: one, prompt: p, answer: a, {level}}}\n"
        .replace(", status:", ",\n     status:")
        for n, level in enumerate(levels))
    path = tmp_path / "bank.yaml"
    path.write_text("format: 1\nbank: {slug: demo, title: Demo, language: en}\n"
                    "sections: [{key: one, title: One}]\nquestions:\n" + questions,
                    encoding="utf-8")
    with pytest.raises(BankFileError) as excinfo:
        load_bank_file(path)
    message = str(excinfo.value)
    assert "'demo/one/06'" in message and "bad status" in message
    assert len(message) < 3000
