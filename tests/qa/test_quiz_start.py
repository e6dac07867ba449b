"""Starting a quiz from a form: where it leads, what a refusal says, and resuming the open
one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Quiz
from tests.factories import StudyStateFactory

pytestmark = pytest.mark.django_db


def test_starting_a_section_quiz_redirects_to_it(alice_client, alice, section, questions):
    response = alice_client.post(reverse("qa:quiz-start"),
                                 {"mode": "section", "section": section.pk})
    quiz = Quiz.objects.get(user=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("qa:quiz", args=[quiz.pk])
    assert quiz.items.count() == 3


def test_starting_with_nothing_to_study_explains_why(alice_client, alice, questions):
    response = alice_client.post(reverse("qa:quiz-start"), {"mode": "due", "next": "/bookmarks/"},
                                 follow=True)
    assert response.redirect_chain[-1][0] == "/bookmarks/"
    # Not "Well done!" to someone who has studied nothing; then, when the next comes due.
    assert "Nothing is due here yet: a question comes due once you have studied it." in (
        response.content.decode())
    assert not Quiz.objects.exists()
    StudyStateFactory(user=alice, question=questions[0], due=timezone.now() + timedelta(days=3))
    response = alice_client.post(reverse("qa:quiz-start"), {"mode": "due"}, follow=True)
    assert "Nothing is due right now. The next question comes due in 3 days." in (
        response.content.decode())


@pytest.mark.parametrize(
    "data",
    [{"mode": "nonsense"}, {"mode": "section"}, {"mode": "section", "section": "abc"},
     {"mode": "mock", "count": "0"}, {"mode": "mock", "count": "5", "minutes": "-1"},
     {"mode": "set"}],
)
def test_starting_with_bad_input_is_a_400(alice_client, questions, data):
    response = alice_client.post(reverse("qa:quiz-start"), data)
    assert response.status_code == 400
    assert b"cannot be started" in response.content or b"Choose a section" in response.content
    assert not Quiz.objects.exists()


@pytest.mark.parametrize(("referer", "back_to"), [
    ("http://testserver/bank/llm/?page=2", "/bank/llm/?page=2"),
    ("https://elsewhere.example/", "/"),
    ("http://testserver//elsewhere.example/x", "/"),
    (None, "/"),
])
def test_the_language_switch_on_a_refused_start_goes_back_to_the_form_s_page(
        alice_client, questions, referer, back_to):
    """The refusal is served at /quiz/start/, which takes no GET: switching language there
    must not lead to a 405."""
    extra = {"HTTP_REFERER": referer} if referer else {}
    response = alice_client.post(reverse("qa:quiz-start"), {"mode": "mock", "count": "0"},
                                 **extra)
    assert response.status_code == 400
    assert f'name="next" type="hidden" value="{back_to}"' in response.content.decode()


def test_a_start_refused_names_the_field_in_the_learners_language(alice_client, questions):
    response = alice_client.post(reverse("qa:quiz-start"), {"mode": "due", "section": "999999"},
                                 HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    html = response.content.decode()
    assert "章节" in html and "section:" not in html
    # Each problem on its own line, its field named as on a form, with a Chinese colon.
    assert "<li>章节：" in html and ": " not in html.split('role="alert"', 1)[1].split("</ul>")[0]
    english = alice_client.post(reverse("qa:quiz-start"), {"mode": "mock", "count": "0"},
                                HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<li>Number of questions: Ensure this value is greater than or equal to 1.</li>" \
        in english


def test_start_is_post_only(alice_client):
    assert alice_client.get(reverse("qa:quiz-start")).status_code == 405


def test_starting_a_due_review_resumes_the_open_one(alice_client, alice, questions):
    StudyStateFactory(user=alice, question=questions[0], due=timezone.now() - timedelta(hours=1))
    alice_client.post(reverse("qa:quiz-start"), {"mode": "due"})
    alice_client.post(reverse("qa:quiz-start"), {"mode": "due"})
    assert Quiz.objects.filter(user=alice).count() == 1


# --- mock interview -------------------------------------------------------------------------
