"""Export (JSON, CSV, Anki) and import (JSON, CSV) of study sets and banks."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse

from qa import anki, exporters
from qa.importer import import_banks, load_bank_file
from qa.models import Bank, Question, SetItem, StudySet, Tag
from qa.services.sets import add_questions, create_set, set_item_note
from tests.factories import QuestionFactory, SectionFactory, bulk_questions
from tests.qa.editing import Kind, edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions():
    section = SectionFactory(key="basics", title="基础篇")
    attention = Tag.objects.create(name="attention")
    deep = Tag.objects.create(name="deep learning")
    first = QuestionFactory(section=section, key=f"{section.bank.slug}/basics/01",
                            prompt="什么是注意力？", answer="加权求和。\n\n- **Q**\n- K")
    first.tags.add(attention, deep)
    second = QuestionFactory(section=section, key=f"{section.bank.slug}/basics/02",
                             prompt="=HYPERLINK(\"x\")", answer="<script>alert(1)</script>")
    QuestionFactory(section=section, key=f"{section.bank.slug}/basics/03",
                    status=Question.Status.DRAFT)
    return [first, second]


@pytest.fixture
def study_set(alice, questions):
    study_set = create_set(user=alice, title="Attention 注意力")
    add_questions(study_set=study_set, questions=[questions[1], questions[0]])
    set_item_note(item=SetItem.objects.get(study_set=study_set, question=questions[0]),
                  note="Remember the softmax.")
    return study_set


def read_apkg(data: bytes, tmp_path) -> tuple[list, int, list]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "collection.anki2" in archive.namelist()
        assert json.loads(archive.read("media")) == {}
        path = tmp_path / "collection.anki2"
        path.write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(path)
    try:
        notes = conn.execute("select guid, flds, tags, mid from notes order by id").fetchall()
        cards = conn.execute("select count(*) from cards").fetchone()[0]
        decks = json.loads(conn.execute("select decks from col").fetchone()[0])
    finally:
        conn.close()
    return notes, cards, [d["name"] for d in decks.values()]


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
        bank = Bank.objects.get(slug="kept")
        with zipfile.ZipFile(io.BytesIO(anki.bank_to_apkg(bank))) as archive:
            path = tmp_path / "collection.anki2"
            path.write_bytes(archive.read("collection.anki2"))
        conn = sqlite3.connect(path)
        try:
            notes = conn.execute("select guid, mid from notes").fetchall()
            decks = json.loads(conn.execute("select decks from col").fetchone()[0])
        finally:
            conn.close()
        return notes, sorted(int(d) for d in decks if d != "1")

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


@pytest.mark.parametrize(("keys", "said"), [(1, "Imported 1 question."),
                                           (2, "Imported 2 questions.")])
def test_the_import_says_how_many_questions_it_took(alice_client, questions, keys, said):
    rows = "".join(f"{q.key}\r\n" for q in questions[:keys])
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("set.csv", f"key\r\n{rows}".encode()), "title": "Few"},
        follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert said in response.content.decode()


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


def test_a_file_named_only_by_its_extension_makes_a_set_titled_as_imported(alice_client,
                                                                            questions):
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile(".csv", f"key\n{questions[0].key}\n".encode())},
        HTTP_ACCEPT_LANGUAGE="en")
    assert StudySet.objects.get().title == "Imported set"


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


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("s.json", b"{not json", "not valid JSON"),
        ("s.json", json.dumps({"items": [{"key": "nope/x/01"}]}).encode(),
         "Entry 1: unknown question key 'nope/x/01'"),
        ("s.json", json.dumps({"items": [{"kee": "x"}]}).encode(), "Entry 1: unknown fields kee"),
        ("s.json", json.dumps({"format": "other", "items": []}).encode(), "format"),
        ("s.json", json.dumps([1, 2]).encode(), "JSON object"),
        ("s.csv", b"key,note\nnope/x/01,hi\n", "Row 2: unknown question key 'nope/x/01'"),
        ("s.csv", b"question,note\nx,y\n", "unknown columns question"),
        ("s.csv", b"key,note\nx\n", "Row 2: 1 cells, the header has 2"),
        ("s.csv", b"", "empty"),
        ("s.txt", b"key\n", "Upload a .json or .csv file"),
        ("s.csv", "key,note\nx,y\n".encode("utf-16-le"), "not UTF-8 text (byte 1)"),
        ("s.csv", "key,note\n中文,x\n".encode("gbk"), "not UTF-8 text (byte 9). In Excel, save "
         "it as \u201cCSV UTF-8\u201d"),
        ("s.json", b'{"items": [], "items": [{"key": "k"}]}',
         'The field "items" appears twice in one object.'),
        ("s.json", b'{"version": true, "items": []}', 'Unsupported "version" True'),
        ("s.json", b'{"items": [{"key": "k\\u0000"}]}', 'Entry 1: "key" must be text.'),
        ("s.json", b'{"items": [{"key": 5}]}', 'Entry 1: "key" must be text.'),
        ("s.json", b"[" * 50000 + b"]" * 50000, "nested too deeply"),
        ("s.json", b'{"version": ' + b"1" * 5000 + b"}", "a number too long"),
        ("s.json", b'{"title": "\\ud800", "items": []}', '"title" must be text'),
        ("s.json", b'{"items": [{"key": "k", "note": "\\u0000"}]}', 'Entry 1: "note" must be'),
        ("s.csv", b"key,note\nk,a\x00b\n", "Row 2: holds a character that is not text"),
        # Rendered on every view of the set, shared links included: as long as the form allows.
        ("s.json", json.dumps({"description": "*a " * 1400, "items": []}).encode(),
         "The description can be at most 4000 characters."),
    ],
)
def test_bad_imports_write_nothing_and_say_what_is_wrong(alice_client, questions, name,
                                                          content, problem):
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile(name, content), "title": "Broken",
    })
    assert response.status_code == 400
    assert problem in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert not StudySet.objects.exists()


def test_one_bad_row_among_good_ones_writes_nothing(alice_client, questions):
    content = f"key,note\n{questions[0].key},ok\nmissing/key/9,x\n{questions[0].key},dup\n"
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", content.encode()), "title": "Half",
    })
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert "Row 3: unknown question key 'missing/key/9'" in page
    assert f"Row 4: '{questions[0].key}' is already listed at Row 2" in page
    assert not StudySet.objects.exists()


def test_a_file_over_the_item_limit_says_so_and_only_so(alice_client, questions):
    content = "key\n" + "".join(f"{questions[0].key}\n" for _ in range(1001))
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", content.encode()), "title": "Big",
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "a set holds at most 1000" in page and "unknown question key" not in page


def test_a_csv_note_guarded_against_spreadsheets_comes_back_as_written(alice_client,
                                                                       study_set, questions):
    item = study_set.items.order_by("position").first()
    set_item_note(item=item, note="-重点: 记住")
    data = exporters.rows_to_csv(exporters.set_rows(study_set))
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("again.csv", data, content_type="text/csv"),
    })
    imported = StudySet.objects.get(title="again")
    assert imported.items.order_by("position").first().note == "-重点: 记住"


@pytest.mark.parametrize("note", ["'-1 分", "'引号开头", "''", "=1+1"])
def test_a_csv_note_starting_with_an_apostrophe_keeps_it(alice_client, study_set, note):
    set_item_note(item=study_set.items.order_by("position").first(), note=note)
    data = exporters.rows_to_csv(exporters.set_rows(study_set))
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("again.csv", data, content_type="text/csv"),
    })
    imported = StudySet.objects.get(title="again")
    assert imported.items.order_by("position").first().note == note


@pytest.mark.parametrize(("label", "template", "encoding"), [
    ("UTF-16 (Excel's Unicode Text, tab-separated)", "key\tnote\r\n{key}\t记住\r\n", "utf-16"),
    ("semicolons (Excel where the decimal mark is a comma)", "key;note\r\n{key};记住\r\n",
     "utf-8"),
    ("empty cells after the last column", "key,note,,\r\n{key},记住,,\r\n", "utf-8"),
])
def test_csv_from_spreadsheet_programs_is_read(alice_client, questions, label, template,
                                               encoding):
    content = template.format(key=questions[0].key).encode(encoding)
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", content), "title": label,
    })
    assert response.status_code == 302, response.content.decode()
    item = StudySet.objects.get(title=label).items.get()
    assert (item.question_id, item.note) == (questions[0].pk, "记住")


def test_imported_notes_keep_line_breaks_as_the_site_does(alice_client, questions):
    content = json.dumps({"title": "t\r\n", "items": [{"key": questions[0].key,
                                                       "note": "一\r\n二\r三"}]})
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.json", content.encode())})
    assert StudySet.objects.get(title="t").items.get().note == "一\n二\n三"


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


def test_draft_questions_count_as_unknown(alice_client, questions):
    draft = Question.objects.get(status=Question.Status.DRAFT)
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", f"key\n{draft.key}\n".encode()), "title": "x",
    })
    assert response.status_code == 400
    assert not StudySet.objects.exists()


def test_uploads_over_the_size_limit_are_refused(alice_client, questions, monkeypatch):
    monkeypatch.setattr(exporters, "MAX_UPLOAD_BYTES", 10)
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", f"key\n{questions[0].key}\n".encode()),
    })
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not StudySet.objects.exists()


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


class SpoolingHandler(TemporaryFileUploadHandler):
    """Django's handler that writes uploads to disk, counting what it is handed."""

    spooled: list[int] = []

    def receive_data_chunk(self, raw_data, start):
        SpoolingHandler.spooled.append(len(raw_data))
        return super().receive_data_chunk(raw_data, start)


def test_an_upload_past_the_limit_is_read_no_further_than_the_limit(alice_client, settings,
                                                                    tmp_path):
    """Django would spool the whole file to disk before the view saw its size: no more than the
    limit of it is kept, and the view still names the limit."""
    assert settings.FILE_UPLOAD_HANDLERS[-1].endswith(".TemporaryFileUploadHandler")
    settings.FILE_UPLOAD_HANDLERS = [*settings.FILE_UPLOAD_HANDLERS[:-1],
                                     f"{__name__}.SpoolingHandler"]
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # the upload goes to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    SpoolingHandler.spooled = []
    big = b"key\n" + b"x" * (3 * exporters.MAX_UPLOAD_BYTES)
    response = alice_client.post(reverse("qa:set-import"),
                                 {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 400
    assert "The file is larger than 2048 KB." in response.content.decode()
    assert 0 < sum(SpoolingHandler.spooled) <= exporters.MAX_UPLOAD_BYTES
    assert not StudySet.objects.exists()


def test_an_upload_at_the_limit_arrives_whole(alice_client, questions, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = f"key\n{questions[0].key}\n".encode()
    body += b"\n" * (exporters.MAX_UPLOAD_BYTES - len(body))
    response = alice_client.post(reverse("qa:set-import"),
                                 {"file": SimpleUploadedFile("s.csv", body)})
    assert response.status_code == 302
    assert StudySet.objects.get().items.count() == 1
