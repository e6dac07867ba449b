"""Learners' side of the errata loop: reporting, "my reports", what changed, the question page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import ErrorReport, Question, RevisionInfo
from qa.selectors.editorial import (
    card_editorial_context,
)
from qa.services import editorial as services
from tests.factories import (
    ErrorReportFactory,
    QuestionFactory,
    StudyStateFactory,
)

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question():
    return QuestionFactory(prompt="注意力的复杂度是多少？", answer="复杂度是 O(n)。")


def report_url(question) -> str:
    return reverse("qa:report-create", kwargs={"key": question.key})


def correct(question, editor, answer, *, reason="修正复杂度", kind=Kind.SUBSTANTIVE):
    question.refresh_from_db()
    return services.save_question_edit(
        question=question, editor=editor, data={"answer": answer}, kind=kind, reason=reason,
        expected_revision=question.revision,
    )


# --- Reporting ------------------------------------------------------------------------------


def test_reporting_needs_an_account(client, question):
    response = client.get(report_url(question))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(report_url(question), {"kind": "wrong", "message": "x",
                                              "answer_version": 1}).status_code == 302
    assert not ErrorReport.objects.exists()


def test_the_report_page_carries_the_answer_version_shown(alice_client, question):
    Question.objects.filter(pk=question.pk).update(answer_version=3)
    html = alice_client.get(report_url(question)).content.decode()
    assert 'name="answer_version" value="3"' in html
    assert f"{question.section.title} · #{question.number}</p>" in html
    assert f"· {question.key}<" not in html  # its key is the site's, not the learner's
    assert 'name="kind"' in html and 'name="message"' in html


def test_a_report_as_long_as_the_browser_allows_is_taken_with_its_line_breaks(alice_client,
                                                                               question):
    """The browser counts a line break as one character against maxlength and sends it as
    two (CRLF): 900 lines of 3 characters are 3,600 to it, under 4,000, and 4,500 sent."""
    response = alice_client.post(report_url(question), {
        "kind": "wrong", "message": "错了吧\r\n" * 900, "answer_version": 1,
    })
    assert response.status_code == 302
    assert ErrorReport.objects.get().message == ("错了吧\n" * 900).strip()


def test_a_report_without_javascript_redirects_back_to_the_question(alice_client, alice, question):
    response = alice_client.post(report_url(question), {
        "kind": "wrong", "message": "应该是 O(n²)。", "answer_version": 1,
    })

    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    report = ErrorReport.objects.get()
    assert (report.reporter, report.question, report.answer_version, report.kind) == (
        alice, question, 1, "wrong"
    )


def test_a_report_from_a_quiz_card_goes_back_to_the_quiz_but_never_off_site(alice_client, question):
    response = alice_client.post(report_url(question), {
        "kind": "typo", "message": "错别字", "answer_version": 1, "next": "/quiz/7/",
    })
    assert response["Location"] == "/quiz/7/"

    response = alice_client.post(report_url(question), {
        "kind": "typo", "message": "另一个错别字", "answer_version": 1,
        "next": "https://evil.example.com/",
    })
    assert response["Location"] == question.get_absolute_url()


def test_with_htmx_the_form_and_the_thanks_are_fragments(alice_client, question):
    form = alice_client.get(report_url(question), **HTMX).content.decode()
    assert "<html" not in form and 'hx-post="' in form

    sent = alice_client.post(report_url(question), {
        "kind": "unclear", "message": "不清楚", "answer_version": 1,
    }, **HTMX)
    assert sent.status_code == 200
    html = sent.content.decode()
    assert "<html" not in html and "Thank you" in html
    assert ErrorReport.objects.count() == 1


def test_an_empty_message_is_refused_and_nothing_is_saved(alice_client, question):
    response = alice_client.post(report_url(question), {"kind": "wrong", "message": " ",
                                                        "answer_version": 1})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()

    response = alice_client.post(report_url(question), {"kind": "nonsense", "message": "x",
                                                        "answer_version": 1}, **HTMX)
    assert response.status_code == 200  # htmx swaps the form with its errors
    assert "errorlist" in response.content.decode()
    assert not ErrorReport.objects.exists()


def test_a_double_submit_files_one_report(alice_client, question):
    data = {"kind": "wrong", "message": "复杂度错了", "answer_version": 1}
    alice_client.post(report_url(question), data)
    alice_client.post(report_url(question), data)
    assert ErrorReport.objects.count() == 1


def test_the_form_says_when_the_learner_already_has_a_report_open_on_it(alice_client,
                                                                         question):
    page = alice_client.get(report_url(question), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You reported this question" not in page
    alice_client.post(report_url(question), {"kind": "wrong", "message": "复杂度错了",
                                             "answer_version": 1})
    report = ErrorReport.objects.get()
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        page = alice_client.get(report_url(question), HTTP_ACCEPT_LANGUAGE="en",
                                **extra).content.decode()
        assert "You reported this question on" in page
        assert reverse("qa:report", args=[report.pk]) in page
    ErrorReport.objects.update(status=ErrorReport.Status.REJECTED, reply="不是错误")
    page = alice_client.get(report_url(question), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You reported this question" not in page  # answered: nothing waits


def test_the_eleventh_report_in_an_hour_is_refused_with_a_clear_message(alice_client, question):
    for n in range(services.REPORT_RATE_LIMIT):
        alice_client.post(report_url(question), {"kind": "other", "message": f"第{n}条",
                                                 "answer_version": 1})

    response = alice_client.post(report_url(question), {"kind": "other", "message": "再一条",
                                                        "answer_version": 1})

    assert response.status_code == 429
    assert "in the last hour" in response.content.decode()
    assert ErrorReport.objects.count() == services.REPORT_RATE_LIMIT


@pytest.mark.parametrize("status", [Question.Status.DRAFT, Question.Status.RETIRED])
def test_unpublished_questions_cannot_be_reported(alice_client, status):
    hidden = QuestionFactory(status=status)
    assert alice_client.get(report_url(hidden)).status_code == 404
    assert alice_client.post(report_url(hidden), {"kind": "wrong", "message": "x",
                                                  "answer_version": 1}).status_code == 404
    assert not ErrorReport.objects.exists()


# --- My reports -----------------------------------------------------------------------------


def test_my_reports_lists_only_my_own_reports(alice, bob, alice_client, question):
    mine = ErrorReportFactory(reporter=alice, question=question, message="我的报告")
    ErrorReportFactory(reporter=bob, question=question, message="鲍勃的报告")

    html = alice_client.get(reverse("qa:my-reports")).content.decode()

    assert "我的报告" in html and "鲍勃的报告" not in html
    assert reverse("qa:report", kwargs={"pk": mine.pk}) in html


def test_someone_elses_report_is_404(alice, bob, client, question):
    report = ErrorReportFactory(reporter=alice, question=question)
    url = reverse("qa:report", kwargs={"pk": report.pk})
    client.force_login(bob)
    assert client.get(url).status_code == 404

    client.force_login(alice)
    assert client.get(url).status_code == 200


def test_the_outcome_shows_the_reply_and_the_diff_and_clears_the_badge(
    alice, alice_client, editor, question
):
    report = ErrorReportFactory(reporter=alice, question=question)
    fix = correct(question, editor, "复杂度是 O(n²)。")
    services.resolve_report(report=report, editor=editor, decision="accepted",
                            reply="谢谢，已改正。", correcting_revision_id=fix.record.history_id)

    before = alice_client.get(reverse("qa:bank-list")).content.decode()
    assert '<span class="badge"' in before

    html = alice_client.get(reverse("qa:my-reports")).content.decode()
    assert "谢谢，已改正。" in html
    change = reverse("qa:question-change", kwargs={"key": question.key,
                                                   "history_id": fix.record.history_id})
    assert change in html
    report.refresh_from_db()
    assert report.reporter_seen_at is not None
    after = alice_client.get(reverse("qa:bank-list")).content.decode()
    assert '<span class="badge"' not in after


def test_a_report_on_a_question_that_became_a_draft_does_not_show_it(
    alice, alice_client, question
):
    ErrorReportFactory(reporter=alice, question=question)
    Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)

    html = alice_client.get(reverse("qa:my-reports")).content.decode()

    assert "no longer published" in html
    assert question.prompt not in html


def test_my_reports_runs_the_same_number_of_queries_for_more_reports(
    alice, alice_client, count_queries
):
    ErrorReportFactory.create_batch(2, reporter=alice, status="rejected", reply="不对",
                                    reporter_seen_at=timezone.now())
    with count_queries() as small:
        alice_client.get(reverse("qa:my-reports"))
    ErrorReportFactory.create_batch(20, reporter=alice, status="rejected", reply="不对",
                                    reporter_seen_at=timezone.now())
    with count_queries() as large:
        alice_client.get(reverse("qa:my-reports"))
    assert len(small) == len(large), large


# --- What changed, on the question page and the quiz card -----------------------------------


def test_the_question_page_offers_to_report_an_error(alice_client, question):
    html = alice_client.get(question.get_absolute_url()).content.decode()
    assert f'href="{report_url(question)}"' in html


def test_a_learner_whose_card_was_requeued_sees_what_changed(alice, alice_client, editor, question):
    StudyStateFactory(user=alice, question=question, last_answer_version=1,
                      due=timezone.now() + timedelta(days=10))
    correct(question, editor, "复杂度是 O(n²)。")

    html = alice_client.get(question.get_absolute_url()).content.decode()

    assert "This answer changed since you last studied it." in html
    assert '<ins class="diff">²</ins>' in html
    # Folded until the answer is shown: it would give the answer away.
    assert '<details class="diff-block">' in html and "diff-block\" open" not in html
    shown = alice_client.get(question.get_absolute_url() + "?reveal=1").content.decode()
    assert '<details class="diff-block" open>' in shown


def test_a_learner_who_was_not_requeued_sees_no_notice(alice, bob, client, editor, question):
    StudyStateFactory(user=alice, question=question, last_answer_version=1)
    correct(question, editor, "复杂度是 O(n) 。", kind=Kind.TYPO, reason="空格")
    client.force_login(alice)
    assert "changed since you last studied" not in client.get(
        question.get_absolute_url()).content.decode()

    correct(question, editor, "复杂度是 O(n²)。")
    client.force_login(bob)  # never studied it
    assert "changed since you last studied" not in client.get(
        question.get_absolute_url()).content.decode()
    client.force_login(alice)
    assert "changed since you last studied" in client.get(
        question.get_absolute_url()).content.decode()


def test_no_notice_when_the_answer_is_again_what_the_learner_studied(alice, editor, question):
    StudyStateFactory(user=alice, question=question, last_answer_version=1,
                      changed_since_review=True)
    correct(question, editor, "复杂度是 O(n²)。")
    correct(question, editor, "复杂度是 O(n)。", reason="改回原文")  # the text of version 1
    question.refresh_from_db()
    assert not card_editorial_context(user=alice, question=question)["changed"]


def test_the_notice_diff_escapes_markup(alice, editor, question):
    StudyStateFactory(user=alice, question=question, last_answer_version=1)
    correct(question, editor, "复杂度是 <script>alert(1)</script>。")
    question.refresh_from_db()

    context = card_editorial_context(user=alice, question=question)

    html = "".join(d.html for d in context["diffs"])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_quiz_card_shows_the_notice_and_the_report_link_after_reveal(
    alice, alice_client, editor, question
):
    from qa.services.answering import reveal
    from qa.services.study import start_quiz

    StudyStateFactory(user=alice, question=question, last_answer_version=1,
                      due=timezone.now() + timedelta(days=10))
    correct(question, editor, "复杂度是 O(n²)。")  # re-queued: due now
    quiz = start_quiz(user=alice, mode="due")
    url = reverse("qa:quiz", kwargs={"pk": quiz.pk})
    assert report_url(question) not in alice_client.get(url).content.decode()

    reveal(user=alice, quiz_item=quiz.items.get(question=question))
    html = alice_client.get(url).content.decode()

    assert f'href="{report_url(question)}?next={url}' in html.replace("%2F", "/")
    assert "This answer changed since you last studied it." in html
    assert '<ins class="diff">²</ins>' in html
    assert '<details class="diff-block" open>' in html  # the answer is shown: open
