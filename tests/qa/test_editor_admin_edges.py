"""The question admin and the report queue at their edges: text as browsers send it, two
editors at once, bulk actions over resolved reports, odd URLs, tags deleted since."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qa.editorial import make_editor
from qa.models import ErrorReport, Question, RevisionInfo, Tag
from qa.services import editorial as services
from tests.factories import (
    ErrorReportFactory,
    QuestionFactory,
    StudyStateFactory,
    TagFactory,
    UserFactory,
)

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


def url(question):
    return f"/admin/qa/question/{question.pk}/change/"


def form_data(question, **changes):
    data = {"bank": question.bank_id, "section": question.section_id,
            "number": question.number, "status": question.status, "prompt": question.prompt,
            "answer": question.answer, "tags": [t.pk for t in question.tags.all()],
            "change_kind": Kind.SUBSTANTIVE, "change_reason": "r",
            "base_revision": question.revision}
    data.update(changes)
    return data


def test_crlf_line_breaks_from_a_browser_are_not_a_change_of_the_answer(editor_client):
    question = QuestionFactory(answer="第一行\n第二行", status=Question.Status.DRAFT)
    state = StudyStateFactory(question=question, last_answer_version=1,
                              due=timezone.now() + timedelta(days=30))
    response = editor_client.post(url(question), form_data(
        question, answer="第一行\r\n第二行  ", status=Question.Status.PUBLISHED))
    assert response.status_code == 302
    question.refresh_from_db()
    state.refresh_from_db()
    last = Question.history.filter(id=question.pk).order_by("-history_id").first()
    assert (question.answer, question.answer_version, last.change_kind) == (
        "第一行\n第二行", 1, Kind.STATUS)
    assert not state.changed_since_review


def test_saving_unchanged_text_sent_with_crlf_writes_no_revision(editor_client):
    question = QuestionFactory(answer="第一行\n第二行")
    editor_client.post(url(question), form_data(question, answer="第一行\r\n第二行",
                                                change_kind=Kind.TYPO))
    assert Question.history.filter(id=question.pk).count() == 1


@pytest.fixture
def two_editors(db):
    clients = []
    for name in ("First", "Second"):
        user = UserFactory(display_name=name)
        make_editor(user)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_after_a_conflict_saving_again_keeps_the_other_editors_status_and_tags(two_editors):
    first, second = two_editors
    question = QuestionFactory(answer="答案")
    tag = TagFactory(name="注意力")
    first.post(url(question), form_data(question, status=Question.Status.RETIRED,
                                        tags=[tag.pk], change_kind=Kind.TYPO))
    response = second.post(url(question), form_data(question, answer="第二位的答案"))
    conflict = response.context["adminform"].form.conflict
    assert {d.name for d in conflict.theirs if d.changed} == {"status", "tags"}
    shown = response.context["adminform"].form.data
    assert shown["status"] == Question.Status.RETIRED and shown.getlist("tags") == [str(tag.pk)]
    response = second.post(url(question), {**dict(shown.lists()),
                                           "status": shown["status"]})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "第二位的答案" and question.status == Question.Status.RETIRED
    assert list(question.tags.all()) == [tag]


def test_after_a_conflict_what_the_editor_changed_stays_theirs(two_editors):
    first, second = two_editors
    question = QuestionFactory(answer="答案", number=3)
    first.post(url(question), form_data(question, status=Question.Status.RETIRED,
                                        change_kind=Kind.TYPO))
    response = second.post(url(question), form_data(question, status=Question.Status.DRAFT,
                                                    number=4))
    shown = response.context["adminform"].form.data
    assert (shown["status"], shown["number"]) == (Question.Status.DRAFT, "4")


def test_after_a_conflict_saving_again_keeps_the_other_editors_correction_and_section(
        two_editors):
    from tests.factories import SectionFactory

    first, second = two_editors
    question = QuestionFactory(prompt="问题", answer="旧答案")
    elsewhere = SectionFactory(bank=question.bank)
    first.post(url(question), form_data(question, answer="新答案", section=elsewhere.pk))
    response = second.post(url(question), form_data(question, status=Question.Status.RETIRED,
                                                    change_kind=Kind.TYPO))
    form = response.context["adminform"].form
    assert not any(d.changed for d in form.conflict.yours)  # the second left the text alone
    shown = form.data
    response = second.post(url(question), dict(shown.lists()))
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.status) == ("新答案", Question.Status.RETIRED)
    assert (question.bank_id, question.section_id) == (elsewhere.bank_id, elsewhere.pk)


def test_a_question_stays_in_its_bank(editor_client):
    from tests.factories import SectionFactory

    question = QuestionFactory()
    other = SectionFactory()
    page = editor_client.get(url(question)).content.decode()
    assert f'<option value="{other.pk}"' not in page and 'name="bank"' not in page
    response = editor_client.post(url(question), form_data(question, section=other.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    editor_client.post(url(question), form_data(question, bank=other.bank_id, answer="改"))
    question.refresh_from_db()
    assert (question.bank_id, question.section_id, question.answer) == (
        question.section.bank_id, question.section_id, "改")
    assert question.bank_id != other.bank_id


def test_a_revision_url_that_is_not_a_number_is_not_found(editor_client):
    question = QuestionFactory()
    response = editor_client.get(f"/admin/qa/question/{question.pk}/history/abc/")
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["reject_selected", "accept_selected"])
def test_bulk_actions_leave_resolved_reports_as_they_are(editor_client, editor, action):
    question = QuestionFactory(answer="旧")
    report = ErrorReportFactory(question=question)
    fix = services.save_question_edit(question=question, editor=editor, data={"answer": "新"},
                                      kind=Kind.SUBSTANTIVE, reason="修", expected_revision=1)
    services.resolve_report(report=report, editor=editor, decision="accepted", reply="谢谢",
                            correcting_revision_id=fix.record.history_id)
    seen = timezone.now()
    ErrorReport.objects.filter(pk=report.pk).update(reporter_seen_at=seen)
    services.save_question_edit(question=question, editor=editor, data={"answer": "更新"},
                                kind=Kind.SUBSTANTIVE, reason="别的", expected_revision=2)
    other = ErrorReportFactory(question=question)
    response = editor_client.post("/admin/qa/errorreport/", {
        "action": action, "_selected_action": [report.pk, other.pk], "confirm": "yes",
        "reply": "重复"}, follow=True)
    report.refresh_from_db()
    other.refresh_from_db()
    assert (report.status, report.reply, report.correcting_revision_id,
            report.reporter_seen_at) == ("accepted", "谢谢", fix.record.history_id, seen)
    assert other.status != ErrorReport.Status.OPEN
    assert "already resolved" in response.content.decode()


def test_reverting_to_a_revision_whose_tag_was_deleted_since(editor_client, editor):
    question = QuestionFactory(answer="旧")
    kept, gone = TagFactory(name="kept"), TagFactory(name="gone")
    services.save_question_edit(question=question, editor=editor, data={"tags": [kept, gone]},
                                kind=Kind.TYPO, reason="加标签", expected_revision=1)
    target = Question.history.filter(id=question.pk).order_by("-history_id").first()
    services.save_question_edit(question=question, editor=editor, data={"tags": []},
                                kind=Kind.TYPO, reason="去标签", expected_revision=2)
    Tag.objects.filter(pk=gone.pk).delete()
    page = editor_client.get(
        f"/admin/qa/question/{question.pk}/history/{target.history_id}/revert/").content.decode()
    # The revert brings back the tags, and the page says which (not the deleted one).
    diffs = page.split("What the revert changes")[1].split("<form")[0]
    assert "kept" in diffs and "gone" not in diffs
    response = editor_client.post(
        f"/admin/qa/question/{question.pk}/history/{target.history_id}/revert/",
        {"change_reason": "撤回", "base_revision": 3})
    assert response.status_code == 302
    assert list(question.tags.all()) == [kept]


# --- Sent twice, or sent where nothing is written ----------------------------------------


def test_a_save_sent_twice_is_saved_once_and_the_second_says_so_too(editor_client):
    question = QuestionFactory(answer="旧答案")
    data = form_data(question, answer="新答案")
    first = editor_client.post(url(question), data)
    second = editor_client.post(url(question), data, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain and second.redirect_chain[-1][1] == 302
    page = second.content.decode()
    assert "NOT saved" not in page and "was changed successfully" in page
    question.refresh_from_db()
    assert (question.answer, question.revision, question.answer_version) == ("新答案", 2, 2)
    assert Question.history.filter(id=question.pk).count() == 2


def test_a_save_that_changes_nothing_says_only_that(editor_client):
    question = QuestionFactory()
    response = editor_client.post(url(question), form_data(question, change_kind=Kind.TYPO),
                                  follow=True)
    page = response.content.decode()
    assert "Nothing was changed; no revision was recorded." in page
    assert "was changed successfully" not in page


def test_a_revert_sent_twice_reverts_once(editor_client, editor):
    question = QuestionFactory(answer="原文")
    original = Question.history.filter(id=question.pk).get()
    services.save_question_edit(question=question, editor=editor, data={"answer": "改错了"},
                                kind=Kind.TYPO, reason="改", expected_revision=1)
    revert = f"/admin/qa/question/{question.pk}/history/{original.history_id}/revert/"
    data = {"change_reason": "撤回", "base_revision": 2}
    assert editor_client.post(revert, data).status_code == 302
    again = editor_client.post(revert, data)
    assert again.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.revision) == ("原文", 3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["history/", "history/compare/"])
def test_a_post_to_a_page_that_writes_nothing_is_no_error(editor_client, page):
    """The change form locks the question for its save; these pages run no transaction."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes no row locks")
    question = QuestionFactory()
    response = editor_client.post(f"/admin/qa/question/{question.pk}/{page}")
    assert response.status_code == 200


def test_a_questions_open_reports_are_dated_in_the_sites_time_zone(editor_client, settings):
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Asia/Shanghai"
    question = QuestionFactory()
    report = ErrorReportFactory(question=question)
    ErrorReport.objects.filter(pk=report.pk).update(
        created_at=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))  # 01:00 on 1 December there
    page = editor_client.get(url(question)).content.decode()
    assert "2026-12-01" in page and "2026-11-30" not in page
