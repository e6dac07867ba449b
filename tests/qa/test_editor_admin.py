"""The question admin, as an editor uses it. The report queue: test_report_queue_admin.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qa.editorial import make_editor
from qa.models import ErrorReport, Question, RevisionInfo
from qa.services import editorial as services
from tests.factories import (
    BankFactory,
    ErrorReportFactory,
    QuestionFactory,
    SectionFactory,
    StudyStateFactory,
    TagFactory,
    UserFactory,
    bulk_questions,
)

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return QuestionFactory(prompt="什么是注意力机制？", answer="注意力的复杂度是 O(n)。")


def change_url(question) -> str:
    return f"/admin/qa/question/{question.pk}/change/"


def form_data(question, **overrides) -> dict:
    data = {
        "bank": question.bank_id,
        "section": question.section_id,
        "number": question.number,
        "status": question.status,
        "prompt": question.prompt,
        "answer": question.answer,
        "tags": [t.pk for t in question.tags.all()],
        "change_kind": Kind.SUBSTANTIVE,
        "change_reason": "修正",
        "base_revision": question.revision,
    }
    data.update(overrides)
    return data


def revisions(question):
    return list(Question.history.filter(id=question.pk).order_by("history_id"))


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_section_status_and_open_report_counts(editor_client, question):
    ErrorReportFactory.create_batch(2, question=question)
    ErrorReportFactory(question=question, status=ErrorReport.Status.REJECTED)

    response = editor_client.get("/admin/qa/question/")

    html = response.content.decode()
    assert question.key in html
    assert question.section.title in html
    assert f"question__id__exact={question.pk}&amp;status__exact=open" in html
    assert "<strong>2</strong>" in html


def test_the_section_filter_names_each_section_with_its_bank(editor_client, question):
    other = SectionFactory(title=question.section.title, bank=BankFactory(title="Another bank"))
    html = editor_client.get("/admin/qa/question/").content.decode()
    assert f"{question.bank.title} · {question.section.title}" in html
    assert f"Another bank · {other.title}" in html
    filtered = editor_client.get(f"/admin/qa/question/?section__id__exact={other.pk}")
    assert question.key not in filtered.content.decode()


def test_the_list_runs_the_same_number_of_queries_for_more_questions(
    editor_client, count_queries
):
    section = SectionFactory()
    bulk_questions(section, 3)
    editor_client.get("/admin/qa/question/")  # warm caches (content types, session)
    with count_queries() as small:
        editor_client.get("/admin/qa/question/")
    more = bulk_questions(section, 30, start=100)
    for q in more[:10]:
        ErrorReportFactory(question=q)
    with count_queries() as large:
        editor_client.get("/admin/qa/question/")
    assert len(small) == len(large), large


def test_search_finds_chinese_text_in_prompts_and_answers(editor_client, question):
    other = QuestionFactory(prompt="什么是分词？", answer="把文本切成词元。")

    found = editor_client.get("/admin/qa/question/", {"q": "复杂度"}).content.decode()
    assert question.key in found and other.key not in found

    found = editor_client.get("/admin/qa/question/", {"q": "分词"}).content.decode()
    assert other.key in found and question.key not in found


def test_the_list_filters_by_status(editor_client, question):
    draft = QuestionFactory(status=Question.Status.DRAFT)
    html = editor_client.get("/admin/qa/question/", {"status__exact": "draft"}).content.decode()
    assert draft.key in html and question.key not in html


# --- The change form ------------------------------------------------------------------------


def test_the_change_form_asks_why_and_what_kind_and_carries_the_revision(editor_client, question):
    html = editor_client.get(change_url(question)).content.decode()

    assert 'name="change_kind"' in html and 'value="substantive"' in html
    assert 'value="typo"' in html
    assert 'name="change_reason"' in html
    assert 'type="hidden" name="base_revision" value="1"' in html
    assert 'id="answer-preview"' in html
    assert "admin/js/answer_preview.js" in html
    for tag in re.findall(r"<script[^>]*>", html):  # CSP: no inline code
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_a_change_without_a_reason_or_kind_is_refused(editor_client, question):
    response = editor_client.post(
        change_url(question), form_data(question, answer="新答案", change_reason="", change_kind="")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "change_reason" in errors and "change_kind" in errors
    question.refresh_from_db()
    assert question.answer == "注意力的复杂度是 O(n)。"


def test_a_substantive_correction_in_the_admin_requeues_learners(editor_client, editor, question):
    state = StudyStateFactory(question=question, last_answer_version=1,
                              due=timezone.now() + timedelta(days=30))

    response = editor_client.post(
        change_url(question), form_data(question, answer="注意力的复杂度是 O(n²)。",
                                        change_reason="复杂度写错了"), follow=True,
    )

    assert response.status_code == 200
    question.refresh_from_db()
    assert (question.answer_version, question.revision) == (2, 2)
    last = revisions(question)[-1]
    assert (last.change_kind, last.history_change_reason, last.history_user) == (
        Kind.SUBSTANTIVE, "复杂度写错了", editor
    )
    state.refresh_from_db()
    assert state.changed_since_review
    assert "1 learner will relearn it" in response.content.decode()


def test_a_typo_fix_in_the_admin_keeps_the_version_and_moves_nobody(editor_client, question):
    due = timezone.now() + timedelta(days=30)
    state = StudyStateFactory(question=question, last_answer_version=1, due=due)

    editor_client.post(change_url(question), form_data(
        question, answer="注意力的复杂度是 O(n) 。", change_kind=Kind.TYPO, change_reason="空格"))

    question.refresh_from_db()
    assert (question.answer_version, question.revision) == (1, 2)
    state.refresh_from_db()
    assert (state.due, state.changed_since_review) == (due, False)


def test_changing_tags_writes_one_revision_with_the_tags(editor_client, question):
    tag = TagFactory(name="注意力")
    before = len(revisions(question))

    editor_client.post(change_url(question), form_data(question, tags=[tag.pk],
                                                       change_kind=Kind.TYPO))

    rows = revisions(question)
    assert len(rows) == before + 1
    assert list(rows[-1].tags.values_list("tag__name", flat=True)) == ["注意力"]


def _add_question(client, section, *, key_number: int, number: int) -> str:
    """Post the admin's add form for a draft in `section`; its key."""
    key = f"{section.bank.slug}/{section.key}/{key_number:02d}"
    response = client.post("/admin/qa/question/add/", {
        "key": key, "bank": section.bank_id, "section": section.pk, "number": number,
        "status": "draft", "prompt": "新问题？", "answer": "新答案。", "change_reason": "",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    return key


def test_adding_a_question_needs_no_kind_and_records_the_creation(editor_client, editor):
    key = _add_question(editor_client, SectionFactory(), key_number=1, number=1)
    question = Question.objects.get(key=key)
    rows = revisions(question)
    assert len(rows) == 1
    assert (rows[0].history_type, rows[0].history_user) == ("+", editor)


def test_a_new_question_left_at_number_0_takes_its_key_s_number(editor_client):
    """It showed as "第 0 题" and was listed first in its section."""
    key = _add_question(editor_client, SectionFactory(), key_number=15, number=0)
    assert Question.objects.get(key=key).number == 15


def test_the_key_cannot_be_changed(editor_client, question):
    editor_client.post(change_url(question), form_data(question, key="test/renamed",
                                                       answer="新答案"))
    question.refresh_from_db()
    assert question.key != "test/renamed"


# --- Two editors, one question --------------------------------------------------------------


def test_the_second_of_two_editors_is_shown_the_conflict_and_nothing_is_lost(question):
    first, second = UserFactory(display_name="First"), UserFactory(display_name="Second")
    make_editor(first)
    make_editor(second)
    first_client, second_client = Client(), Client()
    first_client.force_login(first)
    second_client.force_login(second)
    # Both open the same question at revision 1.
    for editor_client in (first_client, second_client):
        page = editor_client.get(change_url(question)).content.decode()
        assert 'name="base_revision" value="1"' in page

    first_client.post(change_url(question), form_data(
        question, answer="第一位编辑的答案：O(n²)。", change_reason="第一位的修正"))
    response = second_client.post(change_url(question), form_data(
        question, answer="第二位编辑的答案：O(n log n)。", change_reason="第二位的修正"))

    # Refused, with the conflict shown and the second editor's text still in the form.
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="edit-conflict"' in html
    assert "第一位的修正" in html
    assert "第二位编辑的答案：O(n log n)。</textarea>" in html
    assert '<ins class="diff">' in html
    assert 'name="base_revision" value="2"' in html  # the next save applies on top of r2
    question.refresh_from_db()
    assert question.answer == "第一位编辑的答案：O(n²)。"
    assert question.revision == 2
    texts = [r.answer for r in revisions(question)]
    assert texts == ["注意力的复杂度是 O(n)。", "第一位编辑的答案：O(n²)。"]

    # Having seen the conflict, the second editor saves deliberately: both texts stay in history.
    response = second_client.post(change_url(question), form_data(
        question, answer="第二位编辑的答案：O(n log n)。", change_reason="第二位的修正",
        base_revision=2))
    assert response.status_code == 302
    texts = [r.answer for r in revisions(question)]
    assert texts == ["注意力的复杂度是 O(n)。", "第一位编辑的答案：O(n²)。",
                     "第二位编辑的答案：O(n log n)。"]


# --- Preview --------------------------------------------------------------------------------


def test_the_preview_renders_markdown_safely(editor_client):
    response = editor_client.post("/admin/qa/question/preview/",
                                  {"answer": "**加粗** <script>alert(1)</script>"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>加粗</strong>" in html
    assert "<script>" not in html


def test_the_preview_is_for_editors_only_and_only_by_post(client, alice, editor_client):
    assert editor_client.get("/admin/qa/question/preview/").status_code == 405
    client.force_login(alice)
    response = client.post("/admin/qa/question/preview/", {"answer": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- History, comparison, revert ------------------------------------------------------------


def test_the_history_lists_every_revision_with_who_when_why_and_kind(
    editor_client, editor, question
):
    services.save_question_edit(question=question, editor=editor, data={"answer": "改过的答案"},
                                kind=Kind.SUBSTANTIVE, reason="事实错误", expected_revision=1)
    services.save_question_edit(question=question, editor=editor, data={"answer": "改过的答案。"},
                                kind=Kind.TYPO, reason="补句号", expected_revision=2)

    html = editor_client.get(f"/admin/qa/question/{question.pk}/history/").content.decode()

    for text in ("事实错误", "补句号", "Substantive correction", "Typo / formatting fix",
                 "Editor", "r1", "r2", "r3", "Revert to this"):
        assert text in html, text


def test_a_long_history_is_paged_and_every_older_revision_can_be_reverted(
    editor_client, editor, question, count_queries
):
    from qa.admin.question_history import HISTORY_PAGE_SIZE

    for n in range(HISTORY_PAGE_SIZE + 4):
        services.save_question_edit(question=question, editor=editor, kind=Kind.TYPO,
                                    reason=f"第{n}次", data={"answer": f"答案 {n}"},
                                    expected_revision=n + 1)
    url = f"/admin/qa/question/{question.pk}/history/"

    with count_queries() as first_page:
        html = editor_client.get(url).content.decode()
    assert html.count('class="revision ') == HISTORY_PAGE_SIZE
    assert html.count("Revert to this") == HISTORY_PAGE_SIZE - 1  # not the current revision
    assert f"r{HISTORY_PAGE_SIZE + 5}<" in html and "?page=2" in html

    with count_queries() as second_page:
        html = editor_client.get(url, {"page": 2}).content.decode()
    assert html.count('class="revision ') == 5  # the rest, down to the creation
    assert html.count("Revert to this") == 5
    assert ">r1<" in html and "?page=1" in html
    assert len(second_page) == len(first_page)

    assert editor_client.get(url, {"page": "999"}).status_code == 200  # the last page
    assert editor_client.get(url, {"page": "x"}).status_code == 200  # the first page


def test_history_pages_need_the_history_permission(client, question):
    from django.contrib.auth.models import Permission

    staff = UserFactory(email="viewer@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(staff)
    assert client.get(f"/admin/qa/question/{question.pk}/change/").status_code == 200
    for path in ("history/", "history/compare/"):
        assert client.get(f"/admin/qa/question/{question.pk}/{path}").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_historicalquestion"))
    client.force_login(staff)
    assert client.get(f"/admin/qa/question/{question.pk}/history/").status_code == 200


def test_comparing_two_revisions_shows_an_escaped_character_diff(editor_client, editor, question):
    first = revisions(question)[0]
    services.save_question_edit(
        question=question, editor=editor, kind=Kind.SUBSTANTIVE, reason="测试", expected_revision=1,
        data={"answer": "注意力的复杂度是 <script>x()</script>。"},
    )
    last = revisions(question)[-1]

    response = editor_client.get(f"/admin/qa/question/{question.pk}/history/compare/",
                                 {"old": first.history_id, "new": last.history_id})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in html.split("<!-- END SVGs -->")[0].split("</head>")[1]
    assert '<ins class="diff">&lt;script&gt;x</ins>' in html
    assert '<ins class="diff">&lt;/script&gt;</ins>' in html
    assert '<del class="diff">O</del>' in html


def test_comparing_with_a_revision_of_another_question_is_404(editor_client, question):
    stranger = revisions(QuestionFactory())[0]
    response = editor_client.get(f"/admin/qa/question/{question.pk}/history/compare/",
                                 {"new": stranger.history_id})
    assert response.status_code == 404


def test_simple_history_revision_pages_lead_to_the_comparison(editor_client, question):
    record = revisions(question)[0]
    response = editor_client.get(f"/admin/qa/question/{question.pk}/history/{record.history_id}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/history/compare/?new={record.history_id}")


def test_revert_needs_a_reason_then_records_a_new_revision(editor_client, editor, question):
    original = revisions(question)[0]
    services.save_question_edit(question=question, editor=editor, data={"answer": "错误的修改"},
                                kind=Kind.SUBSTANTIVE, reason="改", expected_revision=1)
    url = f"/admin/qa/question/{question.pk}/history/{original.history_id}/revert/"

    page = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "undoes a substantive correction" in page.content.decode()
    # The reason is published with the correction it undoes: the editor is told so.
    assert "Your reason below is shown to learners in the question's public correction" \
        in page.content.decode()

    refused = editor_client.post(url, {"change_reason": "", "base_revision": 2})
    assert refused.status_code == 200
    question.refresh_from_db()
    assert question.answer == "错误的修改"

    done = editor_client.post(url, {"change_reason": "撤回错误修改", "base_revision": 2})
    assert done.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.revision, question.answer_version) == (
        original.answer, 3, 3
    )
    last = revisions(question)[-1]
    assert (last.change_kind, last.history_change_reason) == (Kind.REVERT, "撤回错误修改")


def test_a_revert_on_a_stale_page_is_refused(editor_client, editor, question):
    original = revisions(question)[0]
    services.save_question_edit(question=question, editor=editor, data={"answer": "改一"},
                                kind=Kind.TYPO, reason="改", expected_revision=1)
    url = f"/admin/qa/question/{question.pk}/history/{original.history_id}/revert/"

    response = editor_client.post(url, {"change_reason": "撤回", "base_revision": 1})

    assert response.status_code == 200
    assert "Someone saved this question" in response.content.decode()
    question.refresh_from_db()
    assert (question.answer, question.revision) == ("改一", 2)
