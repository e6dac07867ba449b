"""A revealed card's grade buttons, rendered once per process for each language, shortcut
setting and set of intervals (qa.views.quiz._grade_buttons)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qa.services import study as services
from qa.views import quiz as views
from tests.qa.studying import current_item

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def quiz(alice, section, questions, no_fuzz):
    return services.start_quiz(user=alice, mode="section", section=section)


def reveal_in(client, quiz, language: str) -> str:
    """The grade buttons of the quiz's card, revealed (again) in `language`."""
    response = client.post(reverse("qa:quiz-reveal", kwargs={"pk": quiz.pk}),
                           {"item": current_item(quiz).pk}, HTTP_ACCEPT_LANGUAGE=language,
                           **HTMX)
    match = re.search(r'<div class="grade-row"[^>]*>(.*?)</div>', response.content.decode(),
                      re.S)
    assert match, "no grade buttons"
    return match.group(1)


def test_grade_buttons_are_made_once_per_language_setting_and_intervals(alice_client, alice,
                                                                       quiz, settings):
    """A process renders a set of grade buttons once, for one language, shortcut setting and
    set of intervals, and every card with the same takes it from there; no other language or
    setting gets it."""
    settings.DEBUG = False
    views._cached_grade_buttons.cache_clear()
    english = reveal_in(alice_client, quiz, "en")
    assert reveal_in(alice_client, quiz, "en") == english
    assert views._cached_grade_buttons.cache_info().hits == 1
    assert 'data-status="Graded: Good."' in english and "<kbd" in english
    chinese = reveal_in(alice_client, quiz, "zh-hans")
    assert "良好" in chinese and "Good" not in chinese
    alice.keyboard_shortcuts = False
    alice.save(update_fields=["keyboard_shortcuts"])
    plain = reveal_in(alice_client, quiz, "en")
    assert "<kbd" not in plain and "aria-keyshortcuts" not in plain and "Good" in plain
    assert views._cached_grade_buttons.cache_info().misses == 3
    # What the cache hands out is what rendering the buttons there and then gives.
    settings.DEBUG = True
    assert reveal_in(alice_client, quiz, "en") == plain
