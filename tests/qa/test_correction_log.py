"""The public correction log and the page of one change: what learners see of a question's
history, and who is thanked for it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qa.models import Question, RevisionInfo
from qa.selectors.editorial import correction_log, question_editorial_context
from qa.services import editorial as services
from tests.factories import ErrorReportFactory, QuestionFactory, StudyStateFactory, UserFactory
from tests.qa.editing import latest_revision

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return QuestionFactory(prompt="注意力的复杂度是多少？", answer="复杂度是 O(n)。")


def correct(question, editor, answer, *, reason="修正复杂度", kind=Kind.SUBSTANTIVE):
    question.refresh_from_db()
    return services.save_question_edit(
        question=question, editor=editor, data={"answer": answer}, kind=kind, reason=reason,
        expected_revision=question.revision,
    )


def test_the_correction_log_credits_reporters_who_allow_it(alice, bob, client, editor, question):
    bob.credit_in_corrections = False
    bob.save()
    reports = [ErrorReportFactory(reporter=alice, question=question),
               ErrorReportFactory(reporter=bob, question=question)]
    fix = correct(question, editor, "复杂度是 O(n²)。", reason="复杂度应为平方")
    for report in reports:
        services.resolve_report(report=report, editor=editor, decision="accepted",
                                correcting_revision_id=fix.record.history_id)
    correct(question, editor, "复杂度是 O(n²) 。", kind=Kind.TYPO, reason="排版")

    html = client.get(question.get_absolute_url()).content.decode()

    assert "Correction log: 1 correction" in html
    assert "复杂度应为平方" in html and "排版" not in html
    assert "Alice" in html and "Bob" not in html
    assert "1 anonymous learner" in html


def test_a_reporter_without_a_display_name_is_credited_without_their_address(client, editor,
                                                                              question):
    """Credit is by display name: an account without one would be named by the start of its
    address, on a page anyone can read."""
    reporter = UserFactory(email="zhang.wei.1990@example.com", display_name="")
    report = ErrorReportFactory(reporter=reporter, question=question)
    fix = correct(question, editor, "复杂度是 O(n²)。")
    services.resolve_report(report=report, editor=editor, decision="accepted",
                            correcting_revision_id=fix.record.history_id)
    html = client.get(question.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "zhang.wei" not in html
    assert "1 anonymous learner" in html


def test_the_correction_log_leaves_out_what_editors_did_to_a_draft(client, editor):
    draft = QuestionFactory(status=Question.Status.DRAFT, answer="初稿。")
    correct(draft, editor, "第二稿。", reason="编辑内部备注")
    draft.refresh_from_db()
    services.save_question_edit(question=draft, editor=editor,
                                data={"status": Question.Status.PUBLISHED}, kind=Kind.TYPO,
                                reason="发布", expected_revision=draft.revision)
    html = client.get(draft.get_absolute_url()).content.decode()
    assert "Correction log" not in html and "编辑内部备注" not in html
    correct(draft, editor, "第三稿。", reason="发布后的更正")
    html = client.get(draft.get_absolute_url()).content.decode()
    assert "Correction log: 1 correction" in html and "发布后的更正" in html
    assert "编辑内部备注" not in html


def test_the_editorial_context_runs_a_fixed_number_of_queries(alice, editor, count_queries):
    def measure(question):
        question.refresh_from_db()
        with count_queries() as queries:
            context = question_editorial_context(user=alice, question=question)
        return len(queries), context

    small = QuestionFactory()
    StudyStateFactory(user=alice, question=small, last_answer_version=1)
    fix = correct(small, editor, "改一次")
    ErrorReportFactory(question=small, status="accepted",
                       correcting_revision_id=fix.record.history_id)

    large = QuestionFactory()
    StudyStateFactory(user=alice, question=large, last_answer_version=1)
    for n in range(6):
        fix = correct(large, editor, f"改第{n}次")
        ErrorReportFactory.create_batch(3, question=large, status="accepted",
                                        correcting_revision_id=fix.record.history_id)

    small_count, small_context = measure(small)
    large_count, large_context = measure(large)
    assert len(large_context["corrections"]) == 6
    assert large_context["changed"] and small_context["changed"]
    assert small_count == large_count <= 4


def test_the_change_page_shows_a_published_revision(client, editor, question):
    fix = correct(question, editor, "复杂度是 O(n²)。", reason="平方")
    url = reverse("qa:question-change", kwargs={"key": question.key,
                                                "history_id": fix.record.history_id})

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "平方" in html and '<ins class="diff">²</ins>' in html
    # The question by its section and number, as everywhere a learner sees: not its key.
    assert f"{question.section.title} · #{question.number}</a>" in html
    assert question.key not in html.replace(url, "").replace(question.get_absolute_url(), "")


def test_the_change_page_hides_drafts_and_other_questions_revisions(client, editor, question):
    fix = correct(question, editor, "复杂度是 O(n²)。")
    other = QuestionFactory()
    wrong_question = reverse("qa:question-change", kwargs={"key": other.key,
                                                           "history_id": fix.record.history_id})
    assert client.get(wrong_question).status_code == 404

    draft = QuestionFactory(status=Question.Status.DRAFT)
    draft_fix = correct(draft, editor, "草稿里的改动")
    url = reverse("qa:question-change", kwargs={"key": draft.key,
                                                "history_id": draft_fix.record.history_id})
    assert client.get(url).status_code == 404
    Question.objects.filter(pk=draft.pk).update(status=Question.Status.PUBLISHED)
    assert client.get(url).status_code == 404  # made while a draft: still not shown


def test_a_typo_fix_is_public_only_through_the_report_it_answered_and_without_its_reason(
        client, editor, question):
    correct(question, editor, "复杂度是 O(n)。", reason="内部备注：张三说的", kind=Kind.TYPO)
    fix = latest_revision(question)
    url = reverse("qa:question-change", kwargs={"key": question.key,
                                                "history_id": fix.history_id})
    assert client.get(url).status_code == 404  # not in the correction log, no report
    ErrorReportFactory(question=question, status="accepted",
                       correcting_revision_id=fix.history_id)
    response = client.get(url)
    assert response.status_code == 200
    assert "内部备注" not in response.content.decode()


def test_a_first_publication_is_no_correction_and_its_draft_is_never_shown(client, editor):
    draft = QuestionFactory(status=Question.Status.DRAFT, answer="内部草稿：待核实")
    services.save_question_edit(  # publishing it, with a correction
        question=draft, editor=editor, data={"status": Question.Status.PUBLISHED,
                                             "answer": "正式答案，已核实。"},
        kind=Kind.SUBSTANTIVE, reason="核实后发布",
        expected_revision=Question.objects.get(pk=draft.pk).revision,
    )
    record = latest_revision(draft)
    assert correction_log(question=draft) == []
    response = client.get(reverse("qa:question-change", kwargs={
        "key": draft.key, "history_id": record.history_id}))
    assert response.status_code == 404


def test_a_correction_made_while_the_question_was_a_draft_shows_when_it_is_published(
        client, alice, editor, question):
    """Taken offline, corrected, published again: learners saw the answer change when it came
    back, and the report the correction answered links to that change."""
    report = ErrorReportFactory(reporter=alice, question=question, answer_version=1)

    def save(**data):
        return services.save_question_edit(
            question=question, editor=editor, data=data, kind=Kind.SUBSTANTIVE,
            reason=data.pop("reason"),
            expected_revision=Question.objects.get(pk=question.pk).revision)

    save(status=Question.Status.DRAFT, reason="下线修改")
    save(answer="修正后的答案：O(n log n)。", reason="修正复杂度")
    correction = latest_revision(question)
    save(status=Question.Status.PUBLISHED, reason="重新上线")
    services.resolve_report(report=report, editor=editor, decision="accepted",
                            correcting_revision_id=correction.history_id)

    [entry] = correction_log(question=question)
    assert entry.reason == "修正复杂度" and entry.credited == ["Alice"]
    page = client.get(reverse("qa:question-change", kwargs={
        "key": question.key, "history_id": correction.history_id}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "修正复杂度" in html and "<ins" in html and "log n" in html


def test_the_change_page_of_a_correction_taken_back_says_so(client, editor, question):
    fix = correct(question, editor, "复杂度是 O(n²)。", reason="平方")
    url = reverse("qa:question-change", kwargs={"key": question.key,
                                                "history_id": fix.record.history_id})
    assert "taken back" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    first = question.history.order_by("history_id").first()
    question.refresh_from_db()
    services.revert_question(question=question, editor=editor, history_id=first.history_id,
                             reason="改回去", expected_revision=question.revision)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This change was taken back on " in html
    assert '<ins class="diff">²</ins>' in html  # what it changed, still shown
