"""The error-report queue in the admin, as an editor works through it: order, query counts,
accepting with the correcting revision, rejecting with a reply, bulk actions."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from qa.editorial import make_editor
from qa.models import ErrorReport, RevisionInfo, Tag
from qa.services import editorial as services
from tests.factories import ErrorReportFactory, QuestionFactory, TagFactory, UserFactory

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return QuestionFactory(prompt="什么是注意力机制？", answer="注意力的复杂度是 O(n)。")


def test_the_queue_puts_open_reports_first_grouped_by_question_oldest_first(editor_client):
    now = timezone.now()
    older_q, newer_q = QuestionFactory(), QuestionFactory()
    a = ErrorReportFactory(question=newer_q, created_at=now - timedelta(days=1))
    b = ErrorReportFactory(question=older_q, created_at=now - timedelta(days=5))
    c = ErrorReportFactory(question=newer_q, created_at=now - timedelta(days=3))
    d = ErrorReportFactory(question=older_q, created_at=now - timedelta(hours=1))
    done = ErrorReportFactory(question=older_q, created_at=now - timedelta(days=9),
                              status=ErrorReport.Status.REJECTED, reply="不是错误",
                              resolved_at=now)

    response = editor_client.get("/admin/qa/errorreport/")

    order = [r.pk for r in response.context["cl"].result_list]
    assert order == [b.pk, d.pk, c.pk, a.pk, done.pk]
    assert "4 open reports on 2 question(s)." in response.content.decode()


def test_the_queue_runs_the_same_number_of_queries_for_more_reports(editor_client, count_queries):
    ErrorReportFactory.create_batch(2)
    editor_client.get("/admin/qa/errorreport/")
    with count_queries() as small:
        editor_client.get("/admin/qa/errorreport/")
    ErrorReportFactory.create_batch(25)
    with count_queries() as large:
        editor_client.get("/admin/qa/errorreport/")
    assert len(small) == len(large), large


def test_the_report_form_defaults_to_the_latest_substantive_correction(
    editor_client, editor, question
):
    report = ErrorReportFactory(question=question)
    fix = services.save_question_edit(question=question, editor=editor, data={"answer": "修正"},
                                      kind=Kind.SUBSTANTIVE, reason="修正", expected_revision=1)
    services.save_question_edit(question=question, editor=editor, data={"answer": "修正。"},
                                kind=Kind.TYPO, reason="句号", expected_revision=2)

    response = editor_client.get(f"/admin/qa/errorreport/{report.pk}/change/")

    form = response.context["adminform"].form
    assert form.initial["correcting_revision"] == fix.record.history_id


def test_rejecting_without_a_reply_is_refused(editor_client, question):
    report = ErrorReportFactory(question=question)
    response = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/",
                                  {"decision": "rejected", "reply": ""})
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN

    response = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/",
                                  {"decision": "rejected", "reply": "原答案是对的。"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.reply) == (ErrorReport.Status.REJECTED, "原答案是对的。")


def test_accepting_before_any_correction_is_refused(editor_client, question):
    report = ErrorReportFactory(question=question)
    response = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/",
                                  {"decision": "accepted", "reply": "谢谢"})
    assert response.status_code == 200
    assert "correcting_revision" in response.context["adminform"].form.errors
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN


def test_bulk_accept_links_each_questions_correction_and_skips_uncorrected_ones(
    editor_client, editor, question
):
    corrected = ErrorReportFactory.create_batch(2, question=question)
    fix = services.save_question_edit(question=question, editor=editor, data={"answer": "修正"},
                                      kind=Kind.SUBSTANTIVE, reason="修正", expected_revision=1)
    untouched = ErrorReportFactory()
    selected = [r.pk for r in (*corrected, untouched)]

    confirm = editor_client.post("/admin/qa/errorreport/",
                                 {"action": "accept_selected", "_selected_action": selected})
    assert confirm.status_code == 200  # the confirmation page, nothing resolved yet
    assert ErrorReport.objects.filter(status=ErrorReport.Status.OPEN).count() == 3

    editor_client.post("/admin/qa/errorreport/", {
        "action": "accept_selected", "_selected_action": selected, "confirm": "yes",
        "reply": "已修正，谢谢！",
    })

    for report in corrected:
        report.refresh_from_db()
        assert (report.status, report.correcting_revision_id, report.reply) == (
            ErrorReport.Status.ACCEPTED, fix.record.history_id, "已修正，谢谢！"
        )
    untouched.refresh_from_db()
    assert untouched.status == ErrorReport.Status.OPEN



def test_bulk_accept_takes_no_revision_that_changed_no_wording(editor_client, editor,
                                                               question):
    """A change of tags since the report corrected nothing its reporter could see: accepting
    with it would send them to a page saying so."""
    report = ErrorReportFactory(question=question)
    TagFactory(name="注意力")
    services.save_question_edit(question=question, editor=editor,
                                data={"tags": list(Tag.objects.all())}, kind=Kind.TYPO,
                                reason="标签", expected_revision=1)
    page = editor_client.post("/admin/qa/errorreport/", {
        "action": "accept_selected", "_selected_action": [report.pk], "confirm": "yes",
        "reply": "谢谢",
    }, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.OPEN
    assert "no revision of their question since the report changed its wording" in (
        page.content.decode())

def test_bulk_reject_needs_a_reply(editor_client):
    reports = ErrorReportFactory.create_batch(2)
    selected = [r.pk for r in reports]
    editor_client.post("/admin/qa/errorreport/", {
        "action": "reject_selected", "_selected_action": selected, "confirm": "yes", "reply": "",
    })
    assert ErrorReport.objects.filter(status=ErrorReport.Status.OPEN).count() == 2

    editor_client.post("/admin/qa/errorreport/", {
        "action": "reject_selected", "_selected_action": selected, "confirm": "yes",
        "reply": "重复的报告",
    })
    assert ErrorReport.objects.filter(status=ErrorReport.Status.REJECTED).count() == 2


def test_editors_cannot_add_reports_in_the_admin(editor_client):
    assert editor_client.get("/admin/qa/errorreport/add/").status_code == 403


def test_a_decision_made_meanwhile_by_another_editor_is_shown_not_replaced(
    editor_client, editor, question
):
    report = ErrorReportFactory(question=question)
    form = editor_client.get(f"/admin/qa/errorreport/{report.pk}/change/")
    seen = form.context["adminform"].form.initial["seen"]
    other = UserFactory(email="other@example.com", display_name="Other Editor")
    make_editor(other)
    services.resolve_report(report=report, editor=other, decision="rejected",
                            reply="原答案没有错。")

    response = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/",
                                  {"decision": "rejected", "reply": "我的回复", "seen": seen})

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{other} resolved this report (Rejected)" in page
    report.refresh_from_db()
    assert (report.reply, report.resolved_by) == ("原答案没有错。", other)
    # The form now knows the other decision: submitting again replaces it, deliberately.
    again = response.context["adminform"].form["seen"].value()
    response = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/",
                                  {"decision": "rejected", "reply": "我的回复", "seen": again})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.reply, report.resolved_by) == ("我的回复", editor)


def test_a_decision_sent_twice_is_saved_once_without_a_conflict(editor_client, editor,
                                                                question):
    report = ErrorReportFactory(question=question)
    form = editor_client.get(f"/admin/qa/errorreport/{report.pk}/change/")
    data = {"decision": "rejected", "reply": "原答案没有错。",
            "seen": form.context["adminform"].form.initial["seen"]}
    first = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/", data)
    report.refresh_from_db()
    resolved_at = report.resolved_at
    second = editor_client.post(f"/admin/qa/errorreport/{report.pk}/change/", data)
    assert (first.status_code, second.status_code) == (302, 302)
    report.refresh_from_db()
    assert (report.status, report.resolved_at) == ("rejected", resolved_at)


def test_revision_choices_show_local_time(editor_client, editor, question, settings):
    report = ErrorReportFactory(question=question)
    services.save_question_edit(question=question, editor=editor, data={"answer": "修正"},
                                kind=Kind.SUBSTANTIVE, reason="修正", expected_revision=1)
    latest = question.history.latest()
    response = editor_client.get(f"/admin/qa/errorreport/{report.pk}/change/")
    labels = dict(response.context["adminform"].form.fields["correcting_revision"].choices)
    local = timezone.localtime(latest.history_date)
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert f"{local:%Y-%m-%d %H:%M}" in labels[latest.history_id]


def test_a_bulk_decision_leaves_a_report_resolved_since_the_list_was_read(editor, question):
    """The action reads the open reports, then resolves them one by one: one another editor
    resolved in between keeps that editor's decision, and is counted as already resolved."""
    from django.contrib import admin
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    taken, free = ErrorReportFactory(question=question), ErrorReportFactory(question=question)
    read = list(ErrorReport.objects.filter(pk__in=[taken.pk, free.pk]))  # both open here
    other = UserFactory()
    services.resolve_report(report=taken, editor=other, decision="rejected", reply="不是错误")
    request = RequestFactory().post("/admin/qa/errorreport/")
    request.user, request.session = editor, SessionStore()
    request._messages = FallbackStorage(request)
    admin.site._registry[ErrorReport]._apply_bulk(request, read, "rejected", "批量处理")
    taken.refresh_from_db()
    free.refresh_from_db()
    assert (taken.reply, taken.resolved_by) == ("不是错误", other)
    assert (free.reply, free.resolved_by) == ("批量处理", editor)
    said = [str(m) for m in get_messages(request)]
    assert any("1 report was already resolved" in m for m in said), said


@pytest.mark.django_db(transaction=True)
def test_two_editors_deciding_at_the_same_moment_one_is_saved_and_one_is_told(monkeypatch):
    """Both forms are sent together: the second waits for the first's decision, then is shown
    it rather than replacing it."""
    from django.db import connection
    from django.test import Client

    from qa.admin.reports import ReportResolutionForm

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    question = QuestionFactory(answer="原答案")
    report = ErrorReportFactory(question=question)
    editors = [UserFactory(email=f"editor{n}@example.com") for n in range(2)]
    for editor in editors:
        make_editor(editor)
    url = f"/admin/qa/errorreport/{report.pk}/change/"
    clients = []
    for editor in editors:
        client = Client()
        client.force_login(editor)
        seen = client.get(url).context["adminform"].form.initial["seen"]
        clients.append((client, seen))

    # Each form, once its report is read, waits (briefly) for the other to get as far: without
    # a lock both then check an open report, and both save.
    barrier = threading.Barrier(2)
    clean = ReportResolutionForm.clean

    def clean_together(form):
        # A broken barrier: the other one is held up before its check, as it should be.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return clean(form)

    monkeypatch.setattr(ReportResolutionForm, "clean", clean_together)
    outcomes: dict[int, int] = {}

    def decide(n):
        client, seen = clients[n]
        try:
            response = client.post(url, {"decision": "rejected", "reply": f"回复{n}",
                                         "seen": seen})
            outcomes[n] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes.values()) == [200, 302]
    saved = next(n for n, status in outcomes.items() if status == 302)
    report.refresh_from_db()
    assert (report.reply, report.resolved_by) == (f"回复{saved}", editors[saved])


def test_the_queue_filters_by_one_question_without_listing_every_reported_one(editor_client):
    first, second = QuestionFactory(), QuestionFactory()
    ErrorReportFactory(question=first, message="第一题的报告")
    ErrorReportFactory(question=second, message="第二题的报告")
    url = "/admin/qa/errorreport/"
    page = editor_client.get(url).content.decode()
    assert first.key not in page.split('id="changelist-filter"')[1]  # not offered one by one
    only = editor_client.get(url, {"question__id__exact": first.pk}).content.decode()
    assert "第一题的报告" in only and "第二题的报告" not in only
    assert first.key in only.split('id="changelist-filter"')[1]  # the one chosen is named
    for bogus in ("abc", "99999999999999999999999", str(second.pk + 100)):
        response = editor_client.get(url, {"question__id__exact": bogus})
        assert response.status_code == 200
        assert "第一题的报告" not in response.content.decode()
