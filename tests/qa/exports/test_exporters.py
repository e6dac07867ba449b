"""Export (JSON, CSV, Anki) and import (JSON, CSV) of study sets and banks."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qa import anki, exporters
from qa.importer import import_banks, load_bank_file
from qa.models import Bank, Question, StudySet, Tag
from qa.services.sets import add_questions, create_set, set_item_note
from tests.factories import QuestionFactory, SectionFactory, bulk_questions
from tests.qa.editing import Kind, edit

pytestmark = pytest.mark.django_db


def query_apkg(data: bytes, tmp_path, *statements: str) -> list[list[tuple]]:
    """The rows of each SQL statement run on the package's collection."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "collection.anki2" in archive.namelist()
        assert json.loads(archive.read("media")) == {}
        path = tmp_path / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(sql).fetchall() for sql in statements]
    finally:
        conn.close()


def read_apkg(data: bytes, tmp_path) -> tuple[list, int, list]:
    notes, cards, decks = query_apkg(
        data, tmp_path, "select guid, flds, tags, mid from notes order by id",
        "select count(*) from cards", "select decks from col")
    return notes, cards[0][0], [d["name"] for d in json.loads(decks[0][0]).values()]


def test_set_apkg_is_a_valid_anki_package(alice_client, study_set, questions, tmp_path):
    response = alice_client.get(reverse("qa:set-export", args=[study_set.pk, "apkg"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    notes, cards, decks = read_apkg(response.content, tmp_path)
    assert len(notes) == 2 and cards == 2
    assert "Attention 注意力" in decks
    fields = notes[1][1].split("\x1f")
    assert fields[0] == "什么是注意力？"
    assert "<strong>Q</strong>" in fields[1] and "<li>" in fields[1]
    assert fields[2] == "<p>Remember the softmax.</p>\n"  # Markdown, as on the set's page
    assert "attention" in notes[1][2] and "deep_learning" in notes[1][2]
    # The answer's raw HTML stays text.
    assert "<script>" not in notes[0][1].split("\x1f")[1]


def test_apkg_notes_carry_anki_s_first_field_checksum(study_set, questions, tmp_path):
    (rows,) = query_apkg(anki.set_to_apkg(study_set), tmp_path, "select flds, csum from notes")
    def checksum(text: str) -> int:
        return int(hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8], 16)

    # The prompts as Anki shows them (the second is stored escaped: =HYPERLINK(&quot;x&quot;)).
    assert sorted(csum for _fields, csum in rows) == sorted(
        checksum(question.prompt) for question in questions)
    assert anki.anki_checksum("<b>注意力</b> &amp; softmax") == checksum("注意力 & softmax")
    # As Anki reads a field: no trimming, and &nbsp; a space only where entities are decoded.
    assert anki.anki_checksum(" 注意力") == checksum(" 注意力")
    assert anki.anki_checksum("a&nbsp;b &lt;") == checksum("a b <")
    assert anki.anki_checksum("a\xa0b") == checksum("a\xa0b")


def test_apkg_ids_are_stable_across_exports(study_set, questions, tmp_path):
    first = read_apkg(anki.set_to_apkg(study_set), tmp_path)
    second = read_apkg(anki.set_to_apkg(study_set), tmp_path)
    assert [n[0] for n in first[0]] == [n[0] for n in second[0]]
    assert anki.stable_anki_id("mianshi", "set", "deck", study_set.pk) == \
        anki.stable_anki_id("mianshi", "set", "deck", study_set.pk)
    assert 1 << 30 <= anki.stable_anki_id("x") < 1 << 31


def test_a_bank_s_deck_keeps_its_anki_ids_when_the_bank_gets_another_id(tmp_path):
    """A restore matches banks by slug and may give one another id: the next export must
    still update the cards Anki holds (same guids, same note type, same deck)."""
    def export_ids() -> tuple:
        notes, decks = query_apkg(anki.bank_to_apkg(Bank.objects.get(slug="kept")), tmp_path,
                                  "select guid, mid from notes", "select decks from col")
        return notes, sorted(int(d) for d in json.loads(decks[0][0]) if d != "1")

    def make_bank():
        section = SectionFactory(bank__slug="kept", key="basics")
        QuestionFactory(section=section, bank=section.bank, key="kept/basics/01")
        return section.bank

    first_bank = make_bank()
    before = export_ids()
    Question.objects.all().delete()
    first_bank.delete()
    assert make_bank().pk != first_bank.pk
    assert export_ids() == before


def test_bank_apkg_holds_only_published_questions(alice_client, questions, tmp_path):
    bank = questions[0].bank
    response = alice_client.get(reverse("qa:bank-export", args=[bank.slug, "apkg"]))
    notes, cards, decks = read_apkg(response.content, tmp_path)
    assert len(notes) == 2 and cards == 2
    assert bank.title in decks


def test_set_json_export_round_trips_through_import(alice_client, alice, study_set, questions):
    data = alice_client.get(reverse("qa:set-export", args=[study_set.pk, "json"])).content
    doc = json.loads(data)
    assert doc["format"] == "mianshi.set" and doc["title"] == "Attention 注意力"
    assert [e["key"] for e in doc["items"]] == [questions[1].key, questions[0].key]
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("set.json", data, content_type="application/json"),
        "title": "Imported",
    })
    imported = StudySet.objects.get(title="Imported")
    assert response["Location"] == reverse("qa:set", args=[imported.pk])
    items = list(imported.items.order_by("position"))
    assert [i.question_id for i in items] == [questions[1].pk, questions[0].pk]
    assert items[1].note == "Remember the softmax."


def test_set_csv_export_is_utf8_with_bom_and_defuses_formulas(alice_client, study_set,
                                                              questions):
    data = alice_client.get(reverse("qa:set-export", args=[study_set.pk, "csv"])).content
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["key"] for r in rows] == [questions[1].key, questions[0].key]
    assert rows[0]["prompt"].startswith("'=")
    assert rows[1]["tags"] == "attention, deep learning"


def test_set_csv_round_trips_through_import(alice_client, study_set, questions):
    data = exporters.rows_to_csv(exporters.set_rows(study_set))
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("my set.csv", data, content_type="text/csv"),
    })
    imported = StudySet.objects.get(title="my set")
    assert list(imported.items.order_by("position").values_list("question_id", flat=True)) \
        == [questions[1].pk, questions[0].pk]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_file_s_rows_are_the_set_s_order_and_edited_positions_are_said_to_be_unused(
        alice_client, study_set, questions, fmt):
    """Rows moved in a spreadsheet carry their old positions: the rows' order is the one meant.
    Positions edited to order them otherwise are not silently ignored: the import says so."""
    section = questions[0].section
    extra = QuestionFactory(section=section, key=f"{section.bank.slug}/basics/04")
    data = alice_client.get(reverse("qa:set-export", args=[study_set.pk, fmt])).content
    if fmt == "json":
        doc = json.loads(data)
        doc["items"][0]["position"], doc["items"][1]["position"] = 2, 1
        doc["items"].append({"key": extra.key})  # added at the end, unnumbered
        data = json.dumps(doc).encode()
    else:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        rows[1][0], rows[2][0] = "2", "1"
        rows.append([""] + [extra.key] + [""] * (len(rows[0]) - 2))
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        data = out.getvalue().encode()
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile(f"set.{fmt}", data), "title": "Reordered"},
        follow=True, HTTP_ACCEPT_LANGUAGE="en")
    imported = StudySet.objects.get(title="Reordered")
    assert list(imported.items.order_by("position").values_list("question_id", flat=True)) \
        == [questions[1].pk, questions[0].pk, extra.pk]
    assert "its “position” numbers, which order them otherwise, were not used" in \
        response.content.decode()
    # An export imported as it is says nothing of positions.
    alice_client.post(reverse("qa:set-import"), {"file": SimpleUploadedFile(
        f"set.{fmt}", alice_client.get(reverse("qa:set-export", args=[study_set.pk, fmt])).content),
        "title": "Again"})
    page = alice_client.get(reverse("qa:set", args=[StudySet.objects.get(title="Again").pk]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "were not used" not in page


def test_bank_json_export_is_readable_by_the_bank_importer(alice_client, questions, tmp_path):
    bank = questions[0].bank
    data = alice_client.get(reverse("qa:bank-export", args=[bank.slug, "json"])).content
    path = tmp_path / f"{bank.slug}.json"
    path.write_bytes(data)
    loaded = load_bank_file(path)
    assert loaded.slug == bank.slug
    assert [q.key for q in loaded.questions] == [questions[0].key, questions[1].key]


def test_a_bank_whose_question_moved_section_exports_and_imports_again(
        alice_client, editor, questions, tmp_path):
    """A key names the section its question was first filed under: moved in the admin, the
    question keeps its key, and the bank's download still imports into an empty site."""
    bank = questions[0].bank
    other = SectionFactory(bank=bank, key="advanced", title="进阶篇", position=1)
    edit(questions[1], editor, kind=Kind.TYPO, section=other)
    data = alice_client.get(reverse("qa:bank-export", args=[bank.slug, "json"])).content
    path = tmp_path / f"{bank.slug}.json"
    path.write_bytes(data)
    Question.objects.all().delete()
    import_banks([load_bank_file(path)])
    moved = Question.objects.get(key=questions[1].key)
    assert moved.section.key == "advanced"


@pytest.mark.parametrize("fmt", ["json", "csv", "apkg"])
def test_a_bank_is_exported_in_chunks_of_bounded_queries(alice_client, count_queries,
                                                          monkeypatch, tmp_path, fmt):
    """A bank is read a chunk at a time: no query sends more question ids than a chunk holds.
    (On PostgreSQL one query takes at most 65,535 parameters: a bank past that could not be
    exported at all.)"""
    monkeypatch.setattr(exporters, "BANK_CHUNK", 10)
    section = SectionFactory(key="big", title="大章节")
    questions = bulk_questions(section, 25)
    tag = Tag.objects.create(name="尾")
    questions[-1].tags.add(tag, Tag.objects.create(name="首"))
    with count_queries() as queries:
        response = alice_client.get(reverse("qa:bank-export", args=[section.bank.slug, fmt]))
    assert response.status_code == 200
    assert max(len(q["sql"].split("%s")) - 1 for q in queries.context.captured_queries) <= 10
    assert len(queries) < 2 * 25
    if fmt == "json":
        exported = json.loads(response.content)["questions"]
        assert [q["key"] for q in exported] == [q.key for q in questions]
        assert exported[-1]["tags"] == sorted(["尾", "首"]) and exported[0]["tags"] == []
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [row[1] for row in rows[1:]] == [q.key for q in questions]
    else:
        notes, cards, _decks = read_apkg(response.content, tmp_path)
        assert len(notes) == cards == 25


def test_a_set_deck_and_its_bank_s_deck_give_a_question_one_note_type(study_set, questions,
                                                                     tmp_path):
    set_notes = read_apkg(anki.set_to_apkg(study_set), tmp_path)[0]
    bank_notes = read_apkg(anki.bank_to_apkg(questions[0].bank), tmp_path)[0]
    assert {(guid, mid) for guid, _f, _t, mid in set_notes} == \
        {(guid, mid) for guid, _f, _t, mid in bank_notes}


def test_anki_fields_hold_no_control_characters_and_deck_names_do_not_nest(
        alice, questions, tmp_path):
    study_set = create_set(user=alice, title="LLM::基础")
    add_questions(study_set=study_set, questions=[questions[0]])
    set_item_note(item=study_set.items.get(), note="a\x1fb")
    notes, _cards, decks = read_apkg(anki.set_to_apkg(study_set), tmp_path)
    assert len(notes[0][1].split("\x1f")) == 4
    assert "LLM:基础" in decks


def test_unknown_export_format_is_404(alice_client, study_set):
    url = reverse("qa:set-export", args=[study_set.pk, "xlsx"])
    assert alice_client.get(url).status_code == 404


def test_bank_downloads_are_limited_per_learner_and_hour(alice_client, bob, client, questions):
    bank = questions[0].bank
    for fmt in ("json", "csv", "apkg") * 7:
        response = alice_client.get(reverse("qa:bank-export", args=[bank.slug, fmt]),
                                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    # The count starts over with the clock's hour: that is when to come back.
    assert abs(int(response["Retry-After"]) - (3600 - int(time.time()) % 3600)) <= 2
    assert "You have downloaded banks 20 times in the last hour." in response.content.decode()
    client.force_login(bob)  # someone else still may
    assert client.get(reverse("qa:bank-export", args=[bank.slug, "csv"])).status_code == 200
