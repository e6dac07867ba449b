"""What the importer writes: the same rows whichever way they go in, and revisions that are
exactly simple-history's."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from qa.models import Question, RevisionInfo, Section, Tag
from qa.rows import insert_rows, insert_rows_returning_pks, update_rows
from qa.selectors.search import search_questions
from tests.factories import SectionFactory

pytestmark = pytest.mark.django_db
History = Question.history.model
TagHistory = History.tags.model


def bank(**changes) -> dict:
    data = {
        "format": 1,
        "bank": {"slug": "demo", "title": "Demo bank", "language": "zh-hans"},
        "sections": [{"key": "one", "title": "One"}, {"key": "two", "title": "Two"}],
        "questions": [
            {"key": "demo/one/01", "section": "one", "prompt": "什么是注意力机制？",
             "answer": "对各位置加权求和。", "tags": ["注意力"]},
            {"key": "demo/one/02", "section": "one", "prompt": "What is SFT?",
             "answer": "Supervised fine-tuning.", "tags": ["SFT", "微调"]},
            {"key": "demo/two/01", "section": "two", "prompt": "What is RLHF?",
             "answer": "- reward model\n- PPO\n", "status": "draft"},
        ],
    }
    data.update(changes)
    return data


def run(tmp_path: Path, data: dict, *args: str) -> str:
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    out = io.StringIO()
    call_command("import_bank", *args, str(path), stdout=out)
    return out.getvalue()


def revision_values(rows) -> list[dict]:
    """Every column of historical rows but their own id, in question order."""
    names = [f.attname for f in History._meta.concrete_fields if f.attname != "history_id"]
    return sorted(({name: getattr(row, name) for name in names} for row in rows),
                  key=lambda values: values["id"])


def what_simple_history_writes(write) -> list[dict]:
    """The historical rows simple-history's own bulk utility writes (then rolled back)."""
    with transaction.atomic():
        before = set(History.objects.values_list("history_id", flat=True))
        write()
        rows = list(History.objects.exclude(history_id__in=before))
        transaction.set_rollback(True)
    return revision_values(rows)


def test_first_revisions_are_exactly_what_simple_history_writes(tmp_path):
    run(tmp_path, bank())
    questions = list(Question.objects.order_by("pk"))
    stamp = questions[0].created_at
    imported = revision_values(History.objects.all())
    reason = imported[0]["history_change_reason"]

    expected = what_simple_history_writes(lambda: Question.history.bulk_history_create(
        questions, default_date=stamp, default_change_reason=reason,
        custom_historical_attrs={"change_kind": RevisionInfo.Kind.IMPORT},
    ))

    assert len(imported) == 3
    assert imported == expected
    assert {row["history_type"] for row in imported} == {"+"}
    assert {row["history_user_id"] for row in imported} == {None}
    assert reason.startswith("Imported from ") and reason.endswith("demo.yaml")


def test_update_revisions_are_exactly_what_simple_history_writes(tmp_path):
    run(tmp_path, bank())
    data = bank()
    data["questions"][0]["answer"] = "对各位置的值加权求和。"
    data["questions"][2]["status"] = "published"
    run(tmp_path, data, "--substantive", "--reason", "更正")
    changed = list(Question.objects.filter(key__in=["demo/one/01", "demo/two/01"])
                   .order_by("pk"))
    latest = History.objects.filter(history_type="~")
    stamp = latest[0].history_date
    imported = revision_values(latest)
    reason = imported[0]["history_change_reason"]

    def write():
        substantive, other = changed[0], changed[1]
        bulk_update_with_history([substantive], Question, ["answer"], default_date=stamp,
                                 default_change_reason=reason,
                                 custom_historical_attrs={"change_kind": "substantive"})
        bulk_update_with_history([other], Question, ["status"], default_date=stamp,
                                 default_change_reason=reason,
                                 custom_historical_attrs={"change_kind": "import"})

    assert [row["change_kind"] for row in imported] == ["substantive", "import"]
    assert imported == what_simple_history_writes(write)


def test_every_revision_carries_the_tags_the_question_had(tmp_path):
    run(tmp_path, bank())
    data = bank()
    data["questions"][0]["answer"] = "加权求和。"  # same tags
    data["questions"][1]["tags"] = ["SFT", "数据"]  # new tags
    run(tmp_path, data)

    for revision in History.objects.filter(history_type="~"):
        links = sorted(TagHistory.objects.filter(history_id=revision.history_id)
                       .values_list("id", "question_id", "tag__name"))
        current = sorted(Question.tags.through.objects.filter(question_id=revision.id)
                         .values_list("id", "question_id", "tag__name"))
        assert links == current
    first = History.objects.get(key="demo/one/02", history_type="+")
    assert sorted(TagHistory.objects.filter(history_id=first.history_id)
                  .values_list("tag__name", flat=True)) == ["SFT", "微调"]
    assert TagHistory.objects.filter(history__key="demo/two/01").count() == 0


def test_new_questions_take_ids_in_file_order(tmp_path):
    run(tmp_path, bank())
    assert list(Question.objects.order_by("pk").values_list("key", flat=True)) == [
        "demo/one/01", "demo/one/02", "demo/two/01"
    ]


def test_imported_questions_are_found_by_search(tmp_path):
    run(tmp_path, bank(questions=[
        {"key": "demo/one/01", "section": "one", "prompt": "什么是注意力机制？",
         "answer": "对各位置加权求和。"}]))
    results = search_questions(query="注意力")
    assert [r.question.key for r in results.results] == ["demo/one/01"]


def test_without_history_an_import_writes_no_revisions(tmp_path, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    run(tmp_path, bank())
    assert Question.objects.count() == 3
    assert Question.tags.through.objects.count() == 3
    assert History.objects.count() == 0
    assert TagHistory.objects.count() == 0


# --- the row writer -----------------------------------------------------------------------------


def _question_rows(section: Section, prefix: str) -> list[tuple]:
    stamp = timezone.now()
    return [
        (f"{prefix}/{n:02d}", section.bank_id, section.pk, n, f"prompt {n}\ttab",
         f"answer {n}\nline \\ two", "published", "h" * 64, "search", stamp, stamp)
        for n in range(1, 4)
    ]


FIELDS = ("key", "bank_id", "section_id", "number", "prompt", "answer", "status",
          "import_hash", "search_text", "created_at", "updated_at")


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "bulk_create"])
def test_rows_go_in_with_defaults_for_the_fields_left_out(copy):
    section = SectionFactory()
    rows = _question_rows(section, "x")
    pks = insert_rows_returning_pks(Question, FIELDS, rows, count=len(rows), copy=copy)
    stored = list(Question.objects.filter(pk__in=pks).order_by("pk").values_list(
        "pk", *FIELDS[:-1], "answer_version", "revision"))
    assert stored == [(pk, *row[:-1], 1, 1) for pk, row in zip(pks, rows, strict=True)]


def test_copy_and_bulk_create_write_the_same_rows():
    section = SectionFactory()
    by_copy = insert_rows_returning_pks(Question, FIELDS, _question_rows(section, "a"),
                                        count=3, copy=True)
    by_insert = insert_rows_returning_pks(Question, FIELDS, _question_rows(section, "b"),
                                          count=3, copy=False)

    def stored(pks):
        # All but the key, which differs, and updated_at: bulk_create stamps auto_now
        # fields itself.
        return list(Question.objects.filter(pk__in=pks).order_by("pk").values_list(
            "bank_id", "section_id", "number", "prompt", "answer", "status",
            "answer_version", "revision", "import_hash", "search_text"))

    assert len(stored(by_copy)) == 3
    assert stored(by_copy) == stored(by_insert)


def test_a_refused_row_is_an_integrity_error_and_nothing_lands():
    section = SectionFactory()
    rows = _question_rows(section, "dup")
    rows.append(rows[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows_returning_pks(Question, FIELDS, rows, count=len(rows))
    assert not Question.objects.filter(key__startswith="dup/").exists()


def test_rows_without_returned_ids_go_in_too():
    insert_rows(Tag, ("name",), [("a",), ("b",)])
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["a", "b"]


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "bulk_update"])
def test_updates_change_the_named_fields_of_those_rows_only(copy):
    section, other = SectionFactory(), SectionFactory()
    pks = insert_rows_returning_pks(Question, FIELDS, _question_rows(section, "u"), count=3)
    untouched = Question.objects.get(pk=pks[2])

    update_rows(Question, ("section_id", "answer", "revision"),
                [(pks[0], other.pk, "new\tanswer\n", 5), (pks[1], other.pk, "", 6)],
                copy=copy)

    assert list(Question.objects.filter(pk__in=pks).order_by("pk").values_list(
        "section_id", "answer", "revision", "prompt")) == [
        (other.pk, "new\tanswer\n", 5, "prompt 1\ttab"),
        (other.pk, "", 6, "prompt 2\ttab"),
        (section.pk, untouched.answer, 1, "prompt 3\ttab"),
    ]
    update_rows(Question, ("answer",), [(pks[0], "again")], copy=copy)  # twice in one transaction
    assert Question.objects.get(pk=pks[0]).answer == "again"
