"""A quiz for someone who does not use a mouse or does not see the screen, in a real Chromium:
where the focus goes after each action, what the status region says, single-key shortcuts that
can be turned off (WCAG 2.1.4), a stale page told why, and targets a finger or a shaky hand can
hit (WCAG 2.5.8)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from qa.models import Bookmark, Review
from qa.services import study
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def questions(db):
    section = SectionFactory(title="基础篇")
    return [QuestionFactory(section=section, number=i, prompt=f"第{i}题：什么是 KV cache？",
                            answer=f"参考答案{i}：缓存键值。")
            for i in range(1, 4)]


@pytest.fixture
def learner(db):
    return UserFactory(email="a11y-quiz@example.com")


def open_quiz(page, learner, questions, **kwargs):
    """A quiz of `questions`' section (mode="mock": a mock interview), opened in `page`."""
    mode = kwargs.pop("mode", "section")
    if mode == "section":
        kwargs["section"] = questions[0].section
    quiz = study.start_quiz(user=learner, mode=mode, **kwargs)
    page.goto(f"/quiz/{quiz.pk}/")
    page.wait_for_load_state("load")  # quiz.js is deferred
    return quiz


def status(page):
    return page.locator("#quiz-status")


def settled(page):
    """htmx wires up what it swapped in when it settles (20 ms on): a key pressed sooner sends
    the form as a page of its own."""
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling')")


# --- focus ----------------------------------------------------------------------------------


def test_the_bookmark_button_keeps_the_focus_when_toggled(page, login, learner, questions):
    login(page, learner, PASSWORD)
    page.goto(questions[0].get_absolute_url())
    button = page.locator("[data-key=bookmark]")
    button.focus()
    for pressed in ("true", "false"):
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-pressed", pressed)
        expect(button).to_be_focused()  # the new button, not the page's body
        settled(page)
    # On a quiz card, with Space.
    open_quiz(page, learner, questions)
    button.focus()
    page.keyboard.press("Space")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()
    assert Bookmark.objects.filter(user=learner, question=questions[0]).exists()


def test_grading_the_last_card_puts_the_focus_on_the_summary_heading(page, login, learner,
                                                                     questions):
    login(page, learner, PASSWORD)
    open_quiz(page, learner, questions, count=1)
    page.keyboard.press("Space")
    page.wait_for_selector(".grades")
    page.keyboard.press("3")
    heading = page.locator(".summary h2")
    expect(heading).to_have_text("Done! Here is how it went.")
    expect(heading).to_be_focused()


def test_grading_the_last_mock_answer_puts_the_focus_on_the_summary_heading(page, login,
                                                                            learner, questions):
    login(page, learner, PASSWORD)
    open_quiz(page, learner, questions, mode="mock", count=2)
    page.click("button[name=finish]")  # the interview ends: both answers to grade
    rows = page.locator(".summary-row")
    expect(rows.nth(0)).to_be_focused()
    # Each answer's grades say which answer they grade.
    group = page.get_by_role("group", name="Grade your answer to question 2")
    good = group.get_by_role("button", name=re.compile(r"^Good comes back in \S+$"))
    expect(good).to_have_count(1)
    page.keyboard.press("2")
    expect(rows.nth(1)).to_be_focused()
    group.get_by_role("button", name=re.compile("^Good")).click()
    heading = page.locator(".summary h2")
    expect(heading).to_have_text("Done! Here is how it went.")
    expect(heading).to_be_focused()


# --- what the status region says -------------------------------------------------------------


def test_the_status_region_says_what_each_action_did(page, login, learner, questions):
    login(page, learner, PASSWORD)
    open_quiz(page, learner, questions)
    # One region, outside the card: replacing the card does not take it along.
    assert page.locator("#quiz-card[aria-live], #quiz-card [aria-live]").count() == 0
    expect(status(page)).to_have_attribute("role", "status")
    expect(status(page)).to_have_text("")  # nothing said on arrival
    page.evaluate("document.getElementById('quiz-status').dataset.kept = 'yes'")

    page.keyboard.press("Space")
    expect(status(page)).to_have_text("Answer shown")  # not the whole answer
    page.keyboard.press("3")
    expect(status(page)).to_have_text("Graded: Good. Question 2 of 3")
    page.keyboard.press("u")
    expect(page.locator(".grades")).to_be_visible()
    expect(status(page)).to_have_text("Last grade taken back. Question 1 of 3")
    page.keyboard.press("1")
    expect(status(page)).to_have_text("Graded: Again. Question 2 of 4")
    assert page.evaluate("document.getElementById('quiz-status').dataset.kept") == "yes"
    # The grade's interval is read with its meaning, not only shown.
    page.keyboard.press("Space")
    expect(page.get_by_role("group", name="How well did you remember it?")
           .get_by_role("button", name=re.compile(r"^Easy comes back in \S+$"))).to_have_count(1)


def test_the_mock_timer_is_not_read_out_every_second(page, login, learner, questions):
    login(page, learner, PASSWORD)
    open_quiz(page, learner, questions, mode="mock", count=2, time_limit_seconds=600)
    timer = page.locator(".countdown")
    expect(timer).to_have_attribute("role", "timer")  # polite only when asked: never, here
    assert timer.evaluate("el => el.closest('[aria-live]')") is None
    expect(status(page)).to_have_text("")
    page.keyboard.type("我的回答")
    page.keyboard.press("Control+Enter")
    expect(status(page)).to_have_text("Question 2 of 2")
    page.wait_for_timeout(1500)  # a second or two of the countdown: the region says the same
    expect(status(page)).to_have_text("Question 2 of 2")


# --- single-key shortcuts can be turned off ----------------------------------------------------


def test_single_key_shortcuts_work_until_turned_off_in_the_settings(page, login, learner,
                                                                     questions):
    login(page, learner, PASSWORD)
    quiz = open_quiz(page, learner, questions)
    expect(page.locator("[data-key=reveal]")).to_have_attribute("aria-keyshortcuts", "Space Enter")
    page.keyboard.press("Space")
    page.wait_for_selector(".grades")
    expect(page.locator("[data-rating='3']")).to_have_attribute("aria-keyshortcuts", "3")
    page.keyboard.press("3")
    expect(page.locator(".quiz-count")).to_have_text("1 / 3 graded")
    assert Review.objects.filter(user=learner).count() == 1

    # The legend says where they are turned off; the settings page turns them off.
    page.locator(".keys a", has_text="Turn off single-key shortcuts").click()
    page.wait_for_url(re.compile(r"/me/settings/$"))
    checkbox = page.get_by_label("Keyboard shortcuts in quizzes")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.click("main form button[type=submit]")
    expect(page.locator(".messages[role=status]")).to_contain_text("Your settings were saved.")
    learner.refresh_from_db()
    assert learner.keyboard_shortcuts is False

    page.goto(f"/quiz/{quiz.pk}/")
    page.wait_for_load_state("load")
    legend = page.locator(".keys")
    expect(legend).to_contain_text("Single-key shortcuts are off.")
    expect(legend.get_by_role("link", name="Turn them on in Settings")).to_have_attribute(
        "href", "/me/settings/")
    assert page.locator("[aria-keyshortcuts]").count() == 0
    assert page.locator("#quiz-card kbd").count() == 0  # no hint for a key that does nothing
    page.evaluate("document.activeElement.blur()")  # a focused button takes Space itself
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    expect(page.locator(".grades")).to_have_count(0)
    page.click("[data-key=reveal]")
    page.wait_for_selector(".grades")
    page.evaluate("document.activeElement.blur()")
    for key in ("3", "b", "u", "n"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    assert Review.objects.filter(user=learner).count() == 1  # "3" graded nothing
    assert not Bookmark.objects.filter(user=learner).exists()
    expect(page.locator(".note details[open]")).to_have_count(0)
    expect(page.locator(".quiz-count")).to_have_text("1 / 3 graded")
    # Ctrl+Enter in the answer box still hands it in: it is no single key.
    page.get_by_role("button", name="Good").click()
    expect(page.locator(".quiz-count")).to_have_text("2 / 3 graded")
    page.click(".typed-box summary")
    expect(page.locator(".typed-box textarea")).to_be_focused()
    page.keyboard.type("缓存键值 3")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".grades")
    assert Review.objects.filter(user=learner).count() == 2


# --- a stale page -----------------------------------------------------------------------------


def test_a_reveal_from_a_stale_tab_says_the_quiz_has_moved_on(browser, live_server, login,
                                                               learner, questions):
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    try:
        first, second = context.new_page(), context.new_page()
        login(first, learner, PASSWORD)
        quiz = open_quiz(first, learner, questions)
        second.goto(f"/quiz/{quiz.pk}/")
        first.click("[data-key=reveal]")
        first.get_by_role("button", name=re.compile("^Good")).click()
        expect(first.locator(".quiz-count")).to_have_text("1 / 3 graded")

        with second.expect_response(re.compile(r"/reveal/$")) as answer:
            second.click("[data-key=reveal]")
        assert answer.value.status == 409
        card = second.locator("#quiz-card")
        expect(card.get_by_role("alert")).to_have_text(
            "The quiz has moved on since this page was shown (perhaps in another tab). "
            "Here is where it is now.")
        expect(card).to_contain_text("第2题")
        expect(card.locator(".quiz-count")).to_have_text("1 / 3 graded")
        expect(second.locator("#request-errors")).to_be_hidden()
        expect(card.locator("[data-key=reveal]")).to_be_focused()
        assert Review.objects.filter(user=learner).count() == 1
    finally:
        context.close()


# --- targets --------------------------------------------------------------------------------


def test_small_buttons_and_links_are_24_px_tall_on_a_desktop(page, login, learner, questions):
    """WCAG 2.5.8, with a mouse: the text buttons were 19–21 px tall."""
    login(page, learner, PASSWORD)

    def at_least_24(selector):
        for box in page.locator(selector).evaluate_all(
                "els => els.map(e => e.getBoundingClientRect().toJSON())"):
            assert box["height"] >= 24 and box["width"] >= 24, (selector, box)

    for selector in (".nav-account button.link", ".lang-switch button"):
        at_least_24(selector)
    open_quiz(page, learner, questions)
    for selector in (".quiz-head a.small", ".flashcard-foot a.small",
                     ".flashcard-foot button.link"):
        at_least_24(selector)
    page.keyboard.press("Space")
    page.wait_for_selector(".grades")
    page.keyboard.press("3")
    expect(page.locator(".quiz-count")).to_have_text("1 / 3 graded")
    page.keyboard.press("Space")
    page.wait_for_selector(".card-editorial a.small")
    for selector in ("[data-key=undo]", ".card-editorial a.small"):
        at_least_24(selector)
    open_quiz(page, learner, questions, mode="mock", count=2)
    at_least_24("button[name=finish]")


# --- names ----------------------------------------------------------------------------------


def test_a_button_s_name_is_its_words_not_its_key(page, login, learner, questions):
    """A key's hint (<kbd>) is hidden from screen readers, which hear aria-keyshortcuts."""
    login(page, learner, PASSWORD)
    open_quiz(page, learner, questions)
    expect(page.get_by_role("button", name="Show answer", exact=True)).to_be_visible()
    page.keyboard.press("Space")
    note = page.locator(".note summary")
    expect(note).to_have_accessible_name("Add a note")
    expect(note).to_have_attribute("aria-keyshortcuts", "N")
    page.keyboard.press("3")
    expect(page.get_by_role("button", name="Undo last grade", exact=True)).to_be_visible()
    open_quiz(page, learner, questions, mode="mock", count=2)
    expect(page.get_by_role("button", name="Next question", exact=True)).to_have_attribute(
        "aria-keyshortcuts", "Control+Enter")


def test_a_team_s_repeated_invitation_buttons_say_which_invitation(page, login, learner):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Invitation, Membership
    from accounts.services import create_invitation, create_team

    team = create_team(user=learner, name="读书会")
    create_invitation(actor=learner, team=team, role=Membership.Role.CURATOR)
    gone = create_invitation(actor=learner, team=team)
    Invitation.objects.filter(pk=gone.pk).update(expires_at=timezone.now() - timedelta(days=1))
    login(page, learner, PASSWORD)
    page.goto(f"/me/teams/{team.pk}/")
    expires = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    expect(page.get_by_role("button", name=re.compile(
        rf"^Revoke \(Curator invitation, expires {expires}\)$"))).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile(
        rf"^Copy \(Curator invitation, expires {expires}\)$"))).to_have_count(1)
    expect(page.get_by_role("textbox", name=re.compile(
        rf"^Link to share \(Curator invitation, expires {expires}\)$"))).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile(
        rf"^Remove from the list \(Member invitation, expired {expires}\)$"))).to_have_count(1)
    # Copied: only its word changes; which invitation it is stays for the screen reader.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("button[data-copy]")
    copy.click()
    expect(copy).to_have_accessible_name(re.compile(r"^Copied \(Curator invitation"))
    expect(copy).to_have_accessible_name(re.compile(r"^Copy \(Curator invitation"))
