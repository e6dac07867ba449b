"""Importing a study set from a JSON or CSV file: what a person's file may hold, what is
refused with a message, and uploads past the size limit."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse

from qa import exporters, set_files
from qa.models import Question, StudySet
from qa.services.sets import set_item_note

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("keys", "said"), [(1, "Imported 1 question."),
                                           (2, "Imported 2 questions.")])
def test_the_import_says_how_many_questions_it_took(alice_client, questions, keys, said):
    rows = "".join(f"{q.key}\r\n" for q in questions[:keys])
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("set.csv", f"key\r\n{rows}".encode()), "title": "Few"},
        follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert said in response.content.decode()


def test_a_file_named_only_by_its_extension_makes_a_set_titled_as_imported(alice_client,
                                                                            questions):
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile(".csv", f"key\n{questions[0].key}\n".encode())},
        HTTP_ACCEPT_LANGUAGE="en")
    assert StudySet.objects.get().title == "Imported set"


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
        # An Anki package is not text: what is wrong is the kind of file, not its encoding.
        ("s.apkg", b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe", "Upload a .json or .csv"),
        # A quote never closed would otherwise swallow the rows after it into one note.
        ("s.csv", b'key,note\nk1,"Attention paper\nk2,x\nk3,y\n',
         'Line 2: a quoted cell is not closed as it should be'),
        ("s.csv", b'key,note\nk1,ok\nk2,"a"b\n', "Line 3: a quoted cell is not closed"),
        ("s.csv", b'"key,note\nk1,ok\n', "Line 1: a quoted cell is not closed"),
        ("s.csv", b"key,note\nk1," + b"x" * 140000 + b"\n",
         "Line 2: a cell is longer than 131072 characters."),
        ("s.json", json.dumps({"format": 1, "bank": {"slug": "b"}, "sections": [],
                               "questions": []}).encode(),
         "This is a bank's download, not a set: editors import a bank with manage.py "
         "import_bank"),
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
        ("s.json", json.dumps({"title": "题" * 121, "items": []}).encode(),
         "The title can be at most 120 characters."),
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


def test_draft_questions_count_as_unknown(alice_client, questions):
    draft = Question.objects.get(status=Question.Status.DRAFT)
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", f"key\n{draft.key}\n".encode()), "title": "x",
    })
    assert response.status_code == 400
    assert not StudySet.objects.exists()


def test_uploads_over_the_size_limit_are_refused(alice_client, questions, monkeypatch):
    monkeypatch.setattr(set_files, "MAX_UPLOAD_BYTES", 10)
    response = alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", f"key\n{questions[0].key}\n".encode()),
    })
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not StudySet.objects.exists()


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
    big = b"key\n" + b"x" * (3 * set_files.MAX_UPLOAD_BYTES)
    response = alice_client.post(reverse("qa:set-import"),
                                 {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 400
    assert "The file is larger than 2048 KB." in response.content.decode()
    assert 0 < sum(SpoolingHandler.spooled) <= set_files.MAX_UPLOAD_BYTES
    assert not StudySet.objects.exists()


def test_an_upload_at_the_limit_arrives_whole(alice_client, questions, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = f"key\n{questions[0].key}\n".encode()
    body += b"\n" * (set_files.MAX_UPLOAD_BYTES - len(body))
    response = alice_client.post(reverse("qa:set-import"),
                                 {"file": SimpleUploadedFile("s.csv", body)})
    assert response.status_code == 302
    assert StudySet.objects.get().items.count() == 1


def test_a_title_on_several_lines_in_a_file_becomes_one_line(alice_client, questions):
    content = json.dumps({"title": "  注意力\n\n复习  ", "items": [{"key": questions[0].key}]})
    alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.json", content.encode()), "title": ""})
    assert StudySet.objects.get().title == "注意力 复习"


def test_set_imports_are_limited_per_learner_and_hour(alice_client, bob, client, questions):
    """Reading a file costs a worker up to a couple of seconds: 30 an hour each."""
    content = f"key\n{questions[0].key}\n".encode()
    statuses = [alice_client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", content), "title": f"Set {n}"},
        HTTP_ACCEPT_LANGUAGE="en").status_code for n in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429
    assert StudySet.objects.count() == 30
    client.force_login(bob)  # someone else still may
    assert client.post(reverse("qa:set-import"), {
        "file": SimpleUploadedFile("s.csv", content), "title": "Bob's"}).status_code == 302
