"""A mock interview whose hand-in at the time limit gets no answer, in a real Chromium: the
answer typed in time is sent again and kept, and nothing typed after the limit is taken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qa.services import study
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hand_in_at_the_time_limit_that_got_no_answer_is_sent_again(page, login):
    section = SectionFactory(title="面试篇")
    for n in (1, 2, 3):
        QuestionFactory(section=section, number=n, prompt=f"第{n}题：为什么要缩放？")
    learner = UserFactory(email="interviewee@example.com")
    login(page, learner, PASSWORD)
    quiz = study.start_quiz(user=learner, mode="mock", count=3, time_limit_seconds=60,
                            now=timezone.now() - timedelta(seconds=57))  # 3 s left
    handed_in = []

    def first_lost(route):
        handed_in.append(route.request.post_data)
        if len(handed_in) == 1:
            route.abort()  # offline for a moment
        else:
            route.continue_()

    page.route("**/quiz/*/answer/", first_lost)
    page.goto(f"/quiz/{quiz.pk}/")
    page.wait_for_selector(".countdown")
    page.keyboard.type("因为点积会变大")
    page.wait_for_function("() => document.querySelector('.mock-form textarea').readOnly")
    page.wait_for_selector("text=grade yourself", timeout=20_000)
    assert len(handed_in) == 2
    assert list(quiz.items.filter(revealed_at__isnull=False)
                .values_list("position", "typed_answer")) == [(0, "因为点积会变大")]
