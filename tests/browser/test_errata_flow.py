"""The errata loop in a real Chromium: a learner reports an error from a quiz card, an editor
corrects the answer in the admin and accepts the report, the learner sees the outcome."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from qa.editorial import make_editor
from qa.models import ErrorReport, Question, StudyState
from qa.services.study import start_quiz
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "自注意力的时间复杂度是 O(n)，与序列长度成线性关系。"
RIGHT = "自注意力的时间复杂度是 O(n²)，与序列长度成平方关系。"


def record_error(errors: list[str], message) -> None:
    # CSP violations and failing scripts show up here; the browser's own favicon probe does not
    # count.
    if message.type == "error" and not message.location.get("url", "").endswith("favicon.ico"):
        errors.append(f"{message.text} ({message.location.get('url')})")


def test_a_reported_error_is_corrected_and_the_learner_relearns_it(browser, live_server, login,
                                                                    password):
    question = QuestionFactory(prompt="自注意力的时间复杂度是多少？", answer=WRONG)
    learner = UserFactory(email="learner@example.com", display_name="Lin")
    editor = UserFactory(email="editor@example.com", display_name="Editor Wang")
    make_editor(editor)
    console_errors: list[str] = []

    # --- The learner studies the question and reports the error from the quiz card. --------
    learner_ctx = browser.new_context(locale="en-US", base_url=live_server.url)
    page = learner_ctx.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: record_error(console_errors, m))
    login(page, learner, password)
    quiz = start_quiz(user=learner, mode="new")
    page.goto(f"/quiz/{quiz.pk}/")
    page.click("button[data-key=reveal]")
    page.click("text=Report an error")
    form = page.locator("form.report-form")
    form.locator("select[name=kind]").select_option("wrong")
    form.locator("textarea[name=message]").fill("复杂度应该是 O(n²)，是平方关系。")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Thank you. The editors will look at your report.")
    report = ErrorReport.objects.get()
    assert (report.reporter, report.answer_version) == (learner, 1)

    page.click("button[data-rating='3']")  # Good: the learner has now studied version 1
    page.wait_for_function("() => !document.querySelector('button[data-rating=\"3\"]')")
    state = StudyState.objects.get(user=learner, question=question)
    assert state.last_answer_version == 1 and state.due > timezone.now()

    # --- The editor corrects the answer as a substantive correction in the admin. ----------
    editor_ctx = browser.new_context(locale="en-US", base_url=live_server.url)
    admin = editor_ctx.new_page()
    admin.set_default_timeout(10_000)
    admin.on("console", lambda m: record_error(console_errors, m))
    login(admin, editor, password)
    admin.goto(f"/admin/qa/question/{question.pk}/change/")
    assert "复杂度应该是 O(n²)" in admin.inner_text("body")  # the open report is shown
    admin.fill("textarea[name=answer]", RIGHT + "\n\n**平方**级")
    admin.wait_for_selector("#answer-preview .answer-preview-output strong:has-text('平方')")
    admin.check("input[name=change_kind][value=substantive]")
    admin.fill("input[name=change_reason]", "复杂度是平方级，不是线性")
    admin.click("input[name=_save]")
    admin.wait_for_url(re.compile(r"/admin/qa/question/$"))
    assert "1 learner will relearn it" in admin.inner_text("body")

    # ... and accepts the report, linking that correction (chosen by default).
    admin.goto("/admin/qa/errorreport/")
    admin.click(f"a[href='/admin/qa/errorreport/{report.pk}/change/']")
    admin.check("input[name=decision][value=accepted]")
    admin.fill("textarea[name=reply]", "谢谢指出，已经改正。")
    admin.click("input[name=_save]")
    admin.wait_for_url(re.compile(r"/admin/qa/errorreport/$"))
    report.refresh_from_db()
    question.refresh_from_db()
    assert report.status == ErrorReport.Status.ACCEPTED
    assert report.correcting_revision_id == (
        Question.history.filter(id=question.pk).order_by("-history_id").first().history_id
    )

    # --- The learner sees the reply, the diff, and the question due again. -----------------
    page.goto("/")
    assert page.inner_text("header a[href='/reports/'] .badge") == "1"
    page.click("header a[href='/reports/']")
    page.wait_for_selector("text=谢谢指出，已经改正。")
    assert page.locator("header a[href='/reports/'] .badge").count() == 0
    page.click("text=See what changed")
    page.wait_for_selector("ins.diff")

    page.goto(question.get_absolute_url())
    notice = page.locator(".answer-changed")
    assert "This answer changed since you last studied it." in notice.inner_text()
    # What changed in the answer is folded until the learner opens it (or the answer).
    assert notice.locator("ins.diff").first.inner_text() == ""
    notice.locator("summary", has_text="What changed in the answer").click()
    assert "²" in notice.locator("ins.diff").first.inner_text()
    assert "Lin" in page.locator(".correction-log").text_content()

    state.refresh_from_db()
    assert state.changed_since_review
    assert state.due <= timezone.now()
    assert question.answer_version == 2
    assert not console_errors, console_errors

    learner_ctx.close()
    editor_ctx.close()
