"""The Content-Security-Policy holds in a real Chromium: no page breaks it, and the quiz works.

Every page is loaded with a listener for `securitypolicyviolation` events (installed through
the browser's devtools channel, which the page's policy does not govern) and with console and
page errors collected. A page passes only with none of them.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from qa.models import Question, Review
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile
                              + ":" + e.lineNumber);
});
"""


class Watch:
    """Console errors, uncaught page errors and CSP violations seen by one page."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, message) -> None:
        # The admin's pages declare no icon, so the browser asks for /favicon.ico (a 404).
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def visit(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe" not in policy, (url, policy)
        self.check(url)
        return response

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")

    def check(self, where: str) -> None:
        found = [f"csp: {v}" for v in self.violations()] + self.problems
        assert not found, f"{where}: {found}"


@pytest.fixture
def bank_questions(db):
    section = SectionFactory(title="基础篇")
    return [
        QuestionFactory(section=section, prompt=f"什么是注意力机制 {i}？", answer=f"**答案** {i}")
        for i in range(1, 4)
    ]


def test_the_detector_catches_an_inline_script(page, live_server):
    # Proves the checks below can fail: an inline script added to a page is refused.
    watch = Watch(page)
    watch.visit("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in watch.violations())


def test_public_pages_break_no_policy(page, live_server, bank_questions):
    watch = Watch(page)
    question = bank_questions[0]
    for url in [
        "/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("qa:bank-list"),
        reverse("qa:bank", kwargs={"slug": question.bank.slug}),
        question.get_absolute_url(),
        reverse("qa:search") + "?q=注意力",
    ]:
        watch.visit(url)


def test_learner_pages_break_no_policy(page, live_server, login, bank_questions):
    learner = UserFactory(email="learner@example.com")
    watch = Watch(page)
    login(page, learner, PASSWORD)
    urls = ["/", reverse("accounts:settings"), bank_questions[0].get_absolute_url()]
    urls += [reverse(name) for name in ("qa:bookmarks", "qa:mistakes", "qa:set-list",
                                        "accounts:team-list")]
    for url in urls:
        watch.visit(url)


def test_admin_pages_break_no_policy(page, live_server, bank_questions):
    UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    watch = Watch(page)
    watch.visit(reverse("admin:login"))
    page.fill("input[name=username]", "root@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    watch.check("admin index")
    # Every model registered in the admin: its list, its add form and one change form.
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse(f"{prefix}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{prefix}_change", args=[first.pk]))
            urls.append(reverse(f"{prefix}_history", args=[first.pk]))
    urls.append(reverse("admin:qa_question_changelist") + "?q=注意力")
    for url in urls:
        watch.visit(url)


def _superuser_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True, is_active=True)
    return request


def _wait_for_htmx(page) -> None:
    # htmx wires up swapped-in forms when the swap settles (a few ms later); a key pressed
    # before that submits the form the plain way, which is a page load.
    busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
    page.wait_for_function(f"() => !document.querySelector('{busy}')")


def test_a_quiz_runs_by_keyboard_under_the_policy(page, live_server, login, bank_questions):
    learner = UserFactory(email="quizzer@example.com")
    watch = Watch(page)
    login(page, learner, PASSWORD)
    watch.check("dashboard")

    # Start learning the new questions from the dashboard, as a learner would.
    page.click("form:has(input[name=mode][value=new]) button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    watch.check("quiz page")
    # From here on htmx swaps the cards: a page load would mean the scripts did not run and
    # the forms fell back to plain POSTs.
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url)
            if frame == page.main_frame else None)

    for graded in range(1, len(bank_questions) + 1):
        page.wait_for_selector("[data-key=reveal]")
        _wait_for_htmx(page)
        page.keyboard.press("Space")  # quiz.js + htmx: reveal without a page load
        page.wait_for_selector("[data-rating='3']")
        _wait_for_htmx(page)
        page.keyboard.press("3")  # grade Good
        page.wait_for_function(
            "n => document.querySelector('.quiz-count')"
            " && document.querySelector('.quiz-count').textContent.trim().startsWith(n + ' ')",
            arg=graded,
        )
        watch.check(f"after grade {graded}")

    assert Review.objects.filter(user=learner).count() == len(bank_questions)
    assert set(Review.objects.filter(user=learner).values_list("rating", flat=True)) == {3}
    assert Question.objects.count() == len(bank_questions)
    # The whole quiz happened in one page: htmx swapped the cards, nothing reloaded it.
    assert loads == []
    assert re.search(r"/quiz/\d+/$", page.url)
    watch.check("end of quiz")
