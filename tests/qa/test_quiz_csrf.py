"""CSRF on the quiz: a whole page's forms carry the token; an HTMX fragment's forms do not,
since htmx sends it with every request (hx-headers on <body>). Requests without it are still
refused."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import QuestionFactory, SectionFactory
from tests.qa.studying import current_item, section_quiz

pytestmark = pytest.mark.django_db

FIELD = 'name="csrfmiddlewaretoken"'


@pytest.fixture(autouse=True)
def _no_fuzz(settings):
    settings.FSRS_ENABLE_FUZZING = False


@pytest.fixture
def quiz(alice):
    section = SectionFactory()
    for number in (1, 2, 3):
        QuestionFactory(section=section, number=number)
    return section_quiz(alice, section)


@pytest.fixture
def browser(alice):
    """A client that checks CSRF as a browser's requests are checked."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def header_token(page: str) -> str:
    """The token htmx sends: <body hx-headers='{"X-CSRFToken": ...}'>."""
    match = re.search(r"<body hx-headers='([^']+)'", page)
    assert match, "the page gives htmx no headers"
    return json.loads(match.group(1))["X-CSRFToken"]


def htmx_post(client: Client, name: str, quiz, data: dict, token: str | None):
    headers = {"HX-Request": "true"}
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(reverse(name, args=[quiz.pk]), data, headers=headers)


def forms(html: str) -> list[str]:
    return re.findall(r"<form\b[^>]*>", html)


def test_whole_page_forms_carry_the_token(browser, quiz):
    page = browser.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    card = page[page.index('id="quiz-card"'):page.index('id="quiz-status"')]
    assert forms(card) and card.count(FIELD) == len(forms(card))


def test_fragments_leave_it_to_htmx(browser, quiz):
    token = header_token(browser.get(reverse("qa:quiz", args=[quiz.pk])).content.decode())
    item = current_item(quiz)

    revealed = htmx_post(browser, "qa:quiz-reveal", quiz, {"item": item.pk}, token)
    html = revealed.content.decode()
    assert revealed.status_code == 200 and 'data-rating="3"' in html
    assert FIELD not in html
    # Every form in a fragment is one htmx sends, with the header.
    assert forms(html) and all("hx-post=" in form for form in forms(html))
    # No token was handed out, so the CSRF cookie is not renewed.
    assert "csrftoken" not in revealed.cookies

    grade_token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    graded = htmx_post(browser, "qa:quiz-grade", quiz,
                       {"item": item.pk, "token": grade_token, "rating": "3"}, token)
    card = graded.content.decode()
    assert graded.status_code == 200 and 'id="quiz-card"' in card
    assert FIELD not in card
    assert forms(card) and all("hx-post=" in form for form in forms(card))

    # Stopping from a swapped-in card goes through htmx too, to the summary.
    finished = htmx_post(browser, "qa:quiz-finish", quiz, {}, token)
    assert finished.status_code == 200 and "card summary" in finished.content.decode()
    quiz.refresh_from_db()
    assert quiz.finished_at is not None


def test_htmx_requests_without_the_token_are_refused(browser, quiz):
    browser.get(reverse("qa:quiz", args=[quiz.pk]))  # the CSRF cookie, but no header
    item = current_item(quiz)
    refused = htmx_post(browser, "qa:quiz-reveal", quiz, {"item": item.pk}, None)
    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.revealed_at is None
