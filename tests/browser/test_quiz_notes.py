"""A note being written when its card is left, in a real Chromium, when saving it goes wrong
or is already on its way: the click is not repeated on its own, and no grade is lost."""

from __future__ import annotations

import time

import pytest

from qa.models import Note, Review
from tests.browser.test_quiz_flow import graded_count_is, start_section_quiz
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def learner(db):
    """A learner, and a section of two questions to study."""
    section = SectionFactory(title="缓存篇")
    for n in (1, 2):
        QuestionFactory(section=section, number=n, prompt=f"第{n}题：KV cache 存什么？",
                        answer=f"参考答案{n}：键和值。")
    return UserFactory(email="noter@example.com")


def _revealed_with_a_note(page, login, learner, text: str) -> None:
    login(page, learner, PASSWORD)
    start_section_quiz(page)
    page.keyboard.press("Space")
    page.wait_for_selector("text=参考答案1")
    page.keyboard.press("n")
    page.keyboard.type(text)


def test_a_note_that_could_not_be_saved_keeps_the_card_and_is_sent_once(page, login, learner):
    _revealed_with_a_note(page, login, learner, "口诀：先查缓存")
    saves = []

    def refuse(route):
        saves.append(route.request.url)
        route.fulfill(status=500, body="down")

    page.route("**/notes/*/", refuse)
    page.locator(".grades button[data-rating='3']").click()
    page.wait_for_selector("#request-errors:not([hidden])")
    time.sleep(1)  # what a loop would send meanwhile
    assert len(saves) == 1
    assert not Review.objects.filter(user=learner).exists()
    assert page.locator(".note textarea").input_value() == "口诀：先查缓存"

    page.unroute("**/notes/*/")  # the server is back: the same click saves, then grades
    page.locator(".grades button[data-rating='3']").click()
    graded_count_is(page, 1)
    assert Note.objects.get(user=learner).body == "口诀：先查缓存"
    assert Review.objects.filter(user=learner).count() == 1


def test_a_grade_clicked_while_the_note_is_being_saved_waits_for_the_save(page, login,
                                                                          learner):
    _revealed_with_a_note(page, login, learner, "慢")

    def slowly(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/notes/*/", slowly)
    page.locator(".note form button[type=submit]").click()  # Save note, on its way
    page.locator(".grades button[data-rating='4']").click()
    graded_count_is(page, 1)
    assert Note.objects.get(user=learner).body == "慢"
    assert list(Review.objects.filter(user=learner).values_list("rating", flat=True)) == [4]
