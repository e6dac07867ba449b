"""Error reports (qa.services.editorial, qa.selectors.editorial): filing one, the rate limit,
resolving it, and which revision is taken as its correction."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qa.models import ErrorReport, Question, RevisionInfo
from qa.selectors import editorial as selectors
from qa.services import editorial as services
from tests.factories import ErrorReportFactory, QuestionFactory, TagFactory, UserFactory
from tests.qa.editing import edit, latest_revision

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return QuestionFactory(answer="自注意力的复杂度是 O(n)。")


# --- error reports --------------------------------------------------------------------------


def test_a_report_records_the_version_the_reporter_saw(question):
    reporter = UserFactory()
    report, created = services.report_error(
        reporter=reporter, question=question, kind="wrong", message="复杂度不对", answer_version=1
    )
    assert created
    assert (report.answer_version, report.status) == (1, ErrorReport.Status.OPEN)


def test_the_same_report_sent_twice_is_one_report(question):
    reporter = UserFactory()
    first, _ = services.report_error(reporter=reporter, question=question, kind="wrong",
                                     message="复杂度不对", answer_version=1)
    second, created = services.report_error(reporter=reporter, question=question, kind="wrong",
                                            message="复杂度不对 ", answer_version=1)
    assert not created
    assert first.pk == second.pk
    assert ErrorReport.objects.count() == 1


def test_reports_are_rate_limited_per_user(question):
    reporter, other = UserFactory(), UserFactory()
    for n in range(services.REPORT_RATE_LIMIT):
        services.report_error(reporter=reporter, question=question, kind="other",
                              message=f"问题 {n}", answer_version=1)

    with pytest.raises(services.ReportRateLimited):
        services.report_error(reporter=reporter, question=question, kind="other",
                              message="再来一个", answer_version=1)
    services.report_error(reporter=other, question=question, kind="other", message="我的",
                          answer_version=1)

    assert ErrorReport.objects.filter(reporter=reporter).count() == services.REPORT_RATE_LIMIT
    assert ErrorReport.objects.filter(reporter=other).count() == 1


def test_accepting_links_the_correcting_revision_and_marks_the_outcome_unseen(question, editor):
    report = ErrorReportFactory(question=question, reporter_seen_at=timezone.now())
    result = edit(question, editor, answer="修正后的答案")

    services.resolve_report(report=report, editor=editor, decision="accepted", reply="谢谢！",
                            correcting_revision_id=result.record.history_id)

    report.refresh_from_db()
    assert report.status == ErrorReport.Status.ACCEPTED
    assert report.correcting_revision_id == result.record.history_id
    assert (report.resolved_by, report.reply, report.reporter_seen_at) == (editor, "谢谢！", None)
    assert report.resolved_at is not None


def test_accepting_needs_a_revision_of_the_reported_question(question, editor):
    report = ErrorReportFactory(question=question)
    stranger = latest_revision(QuestionFactory())
    with pytest.raises(ValueError):
        services.resolve_report(report=report, editor=editor, decision="accepted")
    with pytest.raises(ValueError):
        services.resolve_report(report=report, editor=editor, decision="accepted",
                                correcting_revision_id=stranger.history_id)
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN


def test_rejecting_needs_a_reply(question, editor):
    report = ErrorReportFactory(question=question)
    with pytest.raises(ValueError):
        services.resolve_report(report=report, editor=editor, decision="rejected", reply=" ")

    services.resolve_report(report=report, editor=editor, decision="rejected",
                            reply="答案没有错：见原论文。")

    report.refresh_from_db()
    assert (report.status, report.correcting_revision_id) == (ErrorReport.Status.REJECTED, None)


def test_resolving_twice_the_same_way_changes_nothing(question, editor):
    report = ErrorReportFactory(question=question)
    services.resolve_report(report=report, editor=editor, decision="rejected", reply="不是错误")
    report.refresh_from_db()
    seen = timezone.now()
    ErrorReport.objects.filter(pk=report.pk).update(reporter_seen_at=seen)
    resolved_at = report.resolved_at

    services.resolve_report(report=report, editor=UserFactory(), decision="rejected",
                            reply="不是错误")

    report.refresh_from_db()
    assert (report.resolved_at, report.reporter_seen_at, report.resolved_by) == (
        resolved_at, seen, editor
    )


# --- the correction a report is resolved with ------------------------------------------------


def test_the_default_correction_of_a_report_skips_a_revert_of_a_typo_fix(question, editor):
    report = ErrorReportFactory(question=question)
    correction = edit(question, editor, answer="自注意力的复杂度是 O(n²)。").record
    edit(question, editor, kind=Kind.TYPO, reason="空格", answer="自注意力的复杂度是 O(n²) 。")
    undo = services.revert_question(question=question, editor=editor,
                                    history_id=correction.history_id, reason="撤回空格",
                                    expected_revision=3)
    assert not undo.answer_version_bumped
    candidates = selectors.correction_candidates(report=report)
    assert selectors.default_correction(candidates).history_id == correction.history_id


def test_the_default_correction_of_a_report_may_be_a_revert_that_corrects(question, editor):
    original = latest_revision(question)
    report = ErrorReportFactory(question=question)
    edit(question, editor, answer="错误地改成了这个")
    services.revert_question(question=question, editor=editor, history_id=original.history_id,
                             reason="改错了，撤回", expected_revision=2)
    candidates = selectors.correction_candidates(report=report)
    assert selectors.default_correction(candidates).history_id == (
        latest_revision(question).history_id)



def test_the_default_correction_is_a_change_of_wording_before_a_later_change_of_tags(
    question, editor
):
    report = ErrorReportFactory(question=question)
    wording = edit(question, editor, kind=Kind.TYPO, reason="错字",
                   answer="自注意力的复杂度是 O(n²)。").record
    tag = TagFactory(name="复杂度")
    edit(question, editor, kind=Kind.TYPO, reason="标签", tags=[tag])
    candidates = selectors.correction_candidates(report=report)
    assert selectors.default_correction(candidates).history_id == wording.history_id
    assert selectors.default_correction(candidates[:1], wording_only=True) is None

def test_the_default_correction_is_found_in_one_query_however_many_reverts(question, editor,
                                                                          count_queries):
    correction = edit(question, editor, answer="自注意力的复杂度是 O(n²)。").record
    for n in range(12):  # a typo fix and its revert, over and over
        edit(question, editor, kind=Kind.TYPO, reason="空格", answer=f"O(n²){' ' * (n + 1)}。")
        services.revert_question(question=question, editor=editor,
                                 history_id=correction.history_id, reason="撤回",
                                 expected_revision=Question.objects.get(pk=question.pk).revision)
    report = ErrorReportFactory(question=question, answer_version=1)
    candidates = selectors.correction_candidates(report=report)
    with count_queries() as queries:
        assert selectors.default_correction(candidates).history_id == correction.history_id
    assert len(queries) <= 1, queries


@pytest.mark.django_db(transaction=True)
def test_the_same_report_sent_twice_at_once_is_filed_once():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    reporter, question = UserFactory(), QuestionFactory()
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait(timeout=5)
            services.report_error(reporter=reporter, question=question, kind="wrong",
                                  message="答案过时了", answer_version=1)
        finally:
            connection.close()

    for _ in range(5):
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert ErrorReport.objects.filter(reporter=reporter).count() == 1


def test_a_decision_for_open_reports_leaves_one_resolved_meanwhile(question, editor):
    """The queue's bulk action reads open reports, then resolves them one by one: one that
    another editor resolved in between keeps that editor's decision."""
    report = ErrorReportFactory(question=question)
    stale = ErrorReport.objects.get(pk=report.pk)  # read as open
    other = UserFactory()
    services.resolve_report(report=report, editor=other, decision="rejected", reply="不是错误")
    assert services.resolve_report(report=stale, editor=editor, decision="rejected",
                                   reply="批量拒绝", only_if_open=True) is None
    report.refresh_from_db()
    assert (report.reply, report.resolved_by) == ("不是错误", other)
