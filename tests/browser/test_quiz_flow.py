"""Studying in a real Chromium: keyboard-only quiz, bookmarks from a card, resume after a
refresh, and a mock interview to its summary."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from qa.models import Bookmark, Note, Quiz, Review, StudyState
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def questions(db):
    section = SectionFactory(title="基础篇")
    return [
        QuestionFactory(section=section, number=i, prompt=f"第{i}题：什么是 KV cache？",
                        answer=f"参考答案{i}：缓存 **键值**。")
        for i in range(1, 5)
    ]


@pytest.fixture
def learner(db):
    return UserFactory(email="learner@example.com")


def graded_count_is(page, n: int) -> None:
    page.wait_for_function(
        "n => { const el = document.querySelector('.quiz-count');"
        " return el && el.textContent.trim().startsWith(n + ' '); }",
        arg=n,
    )


def start_section_quiz(page) -> None:
    page.click("form:has(input[name=mode][value=section]) button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))


def test_a_whole_quiz_by_keyboard_only(page, login, learner, questions):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.wait_for_selector("text=第1题")
    assert page.locator("text=参考答案1").count() == 0

    for graded, key in enumerate(["1", "2", "3", "4"], start=1):
        page.wait_for_selector(f"text=第{graded}题")
        page.keyboard.press("Enter" if graded % 2 else "Space")
        page.wait_for_selector(f"text=参考答案{graded}")
        labels = page.locator(".grade-interval").all_inner_texts()
        assert len(labels) == 4 and all(labels), labels
        if graded == 1:
            # N opens the note box; typing there does not trigger shortcuts.
            page.keyboard.press("n")
            page.keyboard.type("记住 KV 4 个字")
            page.keyboard.press("Control+Enter")
            page.wait_for_selector(".note-body >> text=记住 KV 4 个字")
        page.keyboard.press(key)
        graded_count_is(page, graded)

    # Graded Again, the first question comes back once more at the end.
    page.wait_for_selector("text=第1题")
    assert page.locator(".flashcard-head .pill").inner_text() == "once more"
    page.keyboard.press("Space")
    page.wait_for_selector("text=参考答案1")
    expect(page.locator(".keys")).to_be_visible()
    page.keyboard.press("3")
    page.wait_for_selector("text=Here is how it went")
    # No card left: its keys are not offered.
    expect(page.locator(".keys")).to_be_hidden()
    assert list(Review.objects.filter(user=learner).order_by("reviewed_at", "pk")
                .values_list("question__number", "rating")) == [
        (1, 1), (2, 2), (3, 3), (4, 4), (1, 3)]
    assert StudyState.objects.filter(user=learner).count() == 4
    assert Note.objects.get(user=learner).body == "记住 KV 4 个字"
    assert Quiz.objects.get(user=learner).finished_at is not None


def test_escape_leaves_the_answer_box_for_its_summary(page, login, learner, questions):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.click(".typed-box summary")
    # Opening the box puts the cursor in it (on its toggle event, which comes a moment later).
    expect(page.locator(".typed-box textarea")).to_be_focused()
    page.keyboard.type("先写一点")
    page.keyboard.press("Escape")
    expect(page.locator(".typed-box summary")).to_be_focused()  # not the page's body
    page.keyboard.press("Space")  # Space on the summary closes the box; it reveals nothing
    expect(page.locator(".typed-box")).not_to_have_attribute("open", "")
    assert page.locator("text=参考答案1").count() == 0


def test_a_note_being_written_is_kept_when_the_card_is_graded(page, login, learner, questions):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.keyboard.press("Space")
    page.wait_for_selector("text=参考答案1")
    page.keyboard.press("n")
    page.keyboard.type("口诀：先查缓存")
    page.keyboard.press("Escape")  # out of the box, not saved
    page.keyboard.press("3")
    graded_count_is(page, 1)
    page.wait_for_selector("text=第2题")
    assert Note.objects.get(user=learner, question=questions[0]).body == "口诀：先查缓存"
    assert list(Review.objects.filter(user=learner).values_list("rating", flat=True)) == [3]

    # A note refused (too long) stays with its card, and the card is not graded.
    page.keyboard.press("Space")
    page.wait_for_selector("text=参考答案2")
    page.keyboard.press("n")
    page.locator(".note textarea").evaluate(
        "(area) => { area.removeAttribute('maxlength'); area.value = 'x'.repeat(20001); }")
    page.locator(".grades button[data-rating='4']").click()
    page.wait_for_selector(".note .errorlist")
    assert Review.objects.filter(user=learner).count() == 1
    assert not Note.objects.filter(user=learner, question=questions[1]).exists()


def test_tab_and_enter_keep_focus_on_the_card_from_one_question_to_the_next(
    page, login, learner, questions
):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    show = page.locator("[data-key=reveal]")
    expect(show).to_be_focused()
    for graded in (1, 2):
        page.keyboard.press("Enter")
        page.wait_for_selector(f"text=参考答案{graded}")
        expect(page.locator(".revealed")).to_be_focused()  # the answer is read out first
        for _ in range(10):  # then Tab reaches the grades, past the note and the report link
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.dataset.rating") == "3":
                break
        page.keyboard.press("Enter")
        graded_count_is(page, graded)
        page.wait_for_selector(f"text=第{graded + 1}题")
        expect(page.locator("[data-key=reveal]")).to_be_focused()
    assert list(Review.objects.filter(user=learner).values_list("rating", flat=True)) == [3, 3]


def test_bookmark_from_a_quiz_card_then_find_it_on_the_bookmarks_page(
    page, login, learner, questions
):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.wait_for_selector("text=第1题")
    page.keyboard.press("b")
    page.wait_for_selector("[data-key=bookmark][aria-pressed=true]")
    assert Bookmark.objects.filter(user=learner, question=questions[0]).exists()

    page.click("nav >> text=Bookmarks")
    page.wait_for_url(re.compile(r"/bookmarks/$"))
    assert page.locator("text=第1题").count() == 1
    assert page.locator("text=第2题").count() == 0
    # Un-bookmark from the list, without a reload.
    page.click(".study-list [data-key=bookmark]")
    page.wait_for_selector(".study-list [data-key=bookmark][aria-pressed=false]")
    assert not Bookmark.objects.filter(user=learner).exists()


def test_refresh_mid_quiz_resumes_at_the_same_card(page, login, learner, questions):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    quiz_url = page.url
    page.wait_for_selector("[data-key=reveal]")
    page.keyboard.press("Space")
    page.wait_for_selector("[data-rating='3']")
    page.keyboard.press("3")
    graded_count_is(page, 1)
    page.wait_for_selector("text=第2题")
    page.keyboard.press("Space")
    page.wait_for_selector("text=参考答案2")

    page.reload()
    page.wait_for_selector("text=参考答案2")  # still card 2, still revealed
    graded_count_is(page, 1)

    # Leave, log out and come back: same place.
    page.goto("/")
    page.click("text=Log out")
    login(page, learner, PASSWORD)
    page.click("text=Continue")
    page.wait_for_url(quiz_url)
    page.wait_for_selector("text=参考答案2")
    page.keyboard.press("4")
    graded_count_is(page, 2)
    page.wait_for_selector("text=第3题")
    assert Review.objects.filter(user=learner).count() == 2


def test_a_mock_interview_to_its_summary(page, login, learner, questions):
    login(page, learner, PASSWORD)
    page.fill("#mock-count", "2")
    page.fill("#mock-minutes", "15")
    page.click("form.mock-start button[type=submit]")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    page.wait_for_selector(".countdown")
    assert page.locator("text=参考答案").count() == 0

    for n, answer in enumerate(["我的第一个回答", "我的第二个回答"], start=1):
        page.wait_for_selector(f"text=Question {n} of 2")
        # The answer box takes the focus by itself (autofocus, also after an htmx swap).
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.name === 'typed_answer'")
        page.keyboard.type(answer)
        page.keyboard.press("Control+Enter")

    page.wait_for_selector("text=grade yourself")
    assert page.locator(".summary-row").count() == 2
    assert page.locator("text=我的第一个回答").count() == 1
    rows = page.locator(".summary-row")
    # The focus is on the answer to grade (not left on the page, from where Tab would start
    # again at the top), here and after each grade.
    expect(rows.nth(0)).to_be_focused()
    # Grade each with the keyboard: 1–4 grade the first question still ungraded.
    page.keyboard.press("2")
    page.wait_for_selector(".summary-row .grade-pill")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("4")
    page.wait_for_selector("text=Here is how it went")
    assert sorted(Review.objects.filter(user=learner).values_list("rating", flat=True)) == [2, 4]
    assert sorted(Review.objects.filter(user=learner).values_list("typed_answer", flat=True)) == [
        "我的第一个回答", "我的第二个回答"]


def test_a_grade_key_grades_the_mock_answer_being_read(page, login, learner, questions):
    login(page, learner, PASSWORD)
    page.fill("#mock-count", "2")
    page.click("form.mock-start button[type=submit]")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    for n in (1, 2):
        page.wait_for_selector(f"text=Question {n} of 2")
        expect(page.locator("textarea[name=typed_answer]")).to_be_focused()
        page.keyboard.type(f"回答{n}")
        page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=grade yourself")
    rows = page.locator(".summary-row")

    # Reading the second answer (its reference answer folded and opened again), then 3.
    rows.nth(1).locator("details.reference summary").click()
    rows.nth(1).locator("details.reference summary").click()
    page.keyboard.press("3")
    expect(rows.nth(1).locator(".grade-pill")).to_have_count(1)
    assert list(Review.objects.filter(user=learner).values_list(
        "quiz_item__position", "rating")) == [(1, 3)]
    # In a graded answer a grade key grades nothing, not another answer.
    rows.nth(1).locator("details.reference summary").click()
    page.keyboard.press("1")
    page.wait_for_timeout(300)
    assert Review.objects.filter(user=learner).count() == 1
    expect(rows.nth(0).locator(".grade-pill")).to_have_count(0)


def test_when_a_mock_interviews_time_runs_out_the_answering_ends_on_that_card(
    page, login, learner, questions
):
    """The answer being typed is kept and the interview goes to grading: the questions not
    reached are not answered blank one after another."""
    from datetime import timedelta

    from django.utils import timezone

    from qa.services import study

    login(page, learner, PASSWORD)
    started = timezone.now() - timedelta(seconds=57)  # 3 s of the minute left
    quiz = study.start_quiz(user=learner, mode="mock", count=4, time_limit_seconds=60,
                            now=started)
    page.goto(f"/quiz/{quiz.pk}/")
    page.wait_for_selector(".countdown")
    page.keyboard.type("写到一半")
    page.wait_for_selector("text=grade yourself", timeout=15_000)
    answered = list(quiz.items.filter(revealed_at__isnull=False)
                    .values_list("position", "typed_answer"))
    assert answered == [(0, "写到一半")]
    assert page.locator(".summary-row").count() == 4
    # Still typing when the grading came in: the keys are not taken for grades.
    page.keyboard.type(" 12 layers")
    page.wait_for_timeout(300)
    assert not Review.objects.filter(user=learner).exists()
    page.wait_for_timeout(1500)
    page.keyboard.press("3")
    page.wait_for_selector(".summary-row .grade-pill")
    assert list(Review.objects.filter(user=learner).values_list("rating", flat=True)) == [3]


def test_an_action_that_gets_no_answer_says_so_and_works_when_tried_again(
    page, login, learner, questions
):
    # One route for the whole test, told what to do per action: adding and removing routes
    # mid-test switches the browser's interception on and off, and a request sent while it
    # switches can slip past the route.
    failing = {}

    def answer(route):
        how = failing.get(route.request.url.rstrip("/").rsplit("/", 1)[-1])
        if how == "unavailable":
            route.fulfill(status=503, body="unavailable")
        elif how == "unreachable":
            route.abort()
        else:
            route.continue_()

    page.route("**/quiz/*/*/", answer)
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    errors = page.locator("#request-errors")
    expect(errors).to_be_hidden()
    # The server is briefly unavailable, as during a database outage (503).
    failing["reveal"] = "unavailable"
    page.click("[data-key=reveal]")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("the server could not answer")
    assert page.locator("text=参考答案1").count() == 0
    del failing["reveal"]
    page.click("[data-key=reveal]")
    page.wait_for_selector("text=参考答案1")
    expect(errors).to_be_hidden()
    # The network drops.
    failing["grade"] = "unreachable"
    page.keyboard.press("3")
    expect(errors).to_contain_text("the site could not be reached")
    assert not Review.objects.filter(user=learner).exists()
    del failing["grade"]
    page.keyboard.press("3")
    graded_count_is(page, 1)
    expect(errors).to_be_hidden()
    assert Review.objects.filter(user=learner).count() == 1


def test_a_mistaken_grade_is_taken_back_with_u_and_given_again(page, login, learner,
                                                                questions):
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.keyboard.press("Space")
    expect(page.locator("#quiz-card")).to_contain_text("参考答案1")
    page.keyboard.press("1")  # meant Good
    expect(page.locator("#quiz-card")).to_contain_text("第2题")
    expect(page.locator("#quiz-card")).to_contain_text("1 / 5 graded")

    page.keyboard.press("u")

    expect(page.locator("#quiz-card")).to_contain_text("参考答案1")
    expect(page.locator("#quiz-card")).to_contain_text("0 / 4 graded")
    expect(page.locator("[data-key=undo]")).to_have_count(0)
    page.keyboard.press("3")
    expect(page.locator("#quiz-card")).to_contain_text("第2题")
    assert list(Review.objects.filter(user=learner).values_list("question__number", "rating")) \
        == [(1, 3)]


def test_opening_the_answer_box_puts_the_cursor_in_it(page, login, learner, questions):
    """Else the next key, a Space, would close the box again."""
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.wait_for_load_state("load")  # quiz.js is deferred
    page.click(".typed-box summary")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.name === 'typed_answer'",
        timeout=3000)
    page.keyboard.type("先 想 一 想")
    assert page.input_value(".typed-box textarea") == "先 想 一 想"
    assert page.locator(".typed-box").evaluate("box => box.open")


def test_undo_waits_for_a_grade_still_on_its_way(page, login, learner, questions):
    """U (or a click on Undo) while a grade is on its way would take back the grade before
    it, whose undo the card still shows: nothing is sent until the grade's answer is in."""
    held, holding = [], []
    page.route("**/grade/", lambda route: held.append(route) if holding else route.continue_())
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.keyboard.press("Space")
    expect(page.locator("#quiz-card")).to_contain_text("参考答案1")
    page.keyboard.press("3")
    expect(page.locator("#quiz-card")).to_contain_text("第2题")
    page.keyboard.press("Space")
    expect(page.locator("#quiz-card")).to_contain_text("参考答案2")

    undos = []
    page.on("request", lambda request: undos.append(request.url) if "/undo/" in request.url
            else None)
    holding.append(True)
    page.keyboard.press("1")
    page.wait_for_function("() => document.querySelector('#quiz-card .htmx-request')")
    page.keyboard.press("u")
    page.click("[data-key=undo]")
    page.wait_for_timeout(300)
    # The route's handler runs when Playwright next reads the browser's events: on a busy
    # machine that can come after the 300 ms above.
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert undos == []
    holding.clear()
    held[0].continue_()
    expect(page.locator("#quiz-card")).to_contain_text("第3题")
    assert list(Review.objects.filter(user=learner).order_by("reviewed_at")
                .values_list("question__number", "rating")) == [(1, 3), (2, 1)]
    # Now U takes back the grade just given, the Again.
    page.keyboard.press("u")
    expect(page.locator("#quiz-card")).to_contain_text("参考答案2")
    assert list(Review.objects.filter(user=learner).values_list("question__number", "rating")) \
        == [(1, 3)]


def test_a_mock_answer_is_handed_in_only_on_purpose_and_ending_keeps_it(page, login, learner,
                                                                        questions):
    login(page, learner, PASSWORD)
    page.fill("#mock-count", "3")
    page.click("form.mock-start button[type=submit]")
    page.wait_for_selector("text=Question 1 of 3")
    # quiz.js (deferred) handles Escape: pressed while the page is still loading, nothing would.
    page.wait_for_load_state("load")
    page.keyboard.type("先写一半")
    page.keyboard.press("Escape")
    page.keyboard.press("Space")  # to scroll, not to hand in the answer
    page.wait_for_timeout(300)
    expect(page.locator("#quiz-card")).to_contain_text("Question 1 of 3")
    page.click("text=End the interview now")
    page.wait_for_selector("text=grade yourself")
    expect(page.locator("#quiz-card")).to_contain_text("先写一半")
    quiz = Quiz.objects.get(user=learner)
    assert quiz.items.order_by("position").first().typed_answer == "先写一半"
