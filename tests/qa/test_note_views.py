"""Personal notes on questions: inline editing with HTMX, plain forms without."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qa.models import Note, Question
from tests.factories import BookmarkFactory, NoteFactory, QuestionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question(db):
    return QuestionFactory()


def save_url(question):
    return reverse("qa:note-save", kwargs={"question_id": question.pk})


def delete_url(question):
    return reverse("qa:note-delete", kwargs={"question_id": question.pk})


def test_anonymous_visitor_cannot_write_notes(client, question):
    response = client.post(save_url(question), {"body": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Note.objects.exists()


def test_saving_a_note_without_js_redirects_back(alice_client, alice, question):
    response = alice_client.post(save_url(question), {"body": "记住：**缩放**", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Note.objects.get(user=alice, question=question).body == "记住：**缩放**"


def test_saving_a_note_with_htmx_returns_it_rendered(alice_client, question):
    response = alice_client.post(save_url(question), {"body": "记住：**缩放**"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "<strong>缩放</strong>" in html and f'id="note-{question.pk}"' in html


def test_notes_are_rendered_safely(alice_client, question):
    response = alice_client.post(
        save_url(question), {"body": "<script>alert(1)</script> [x](javascript:alert(1))"}, **HTMX
    )
    html = response.content.decode()
    assert "<script>alert" not in html and 'href="javascript' not in html


def test_saving_again_updates_the_one_note(alice_client, alice, question):
    alice_client.post(save_url(question), {"body": "第一版"})
    alice_client.post(save_url(question), {"body": "第二版"})
    assert Note.objects.get(user=alice).body == "第二版"


def test_deleting_a_note(alice_client, alice, question):
    NoteFactory(user=alice, question=question)
    response = alice_client.post(delete_url(question), **HTMX)
    assert response.status_code == 200 and "Add a note" in response.content.decode()
    assert not Note.objects.exists()


def test_a_note_that_is_too_long_is_a_400_and_keeps_the_draft(alice_client, alice, question):
    NoteFactory(user=alice, question=question, body="原来的")
    response = alice_client.post(save_url(question), {"body": "长" * 20001}, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "too long" in html and "长长长" in html
    assert Note.objects.get(user=alice).body == "原来的"
    response = alice_client.post(save_url(question), {"body": "长" * 20001})
    assert response.status_code == 400 and b"too long" in response.content


def test_a_missing_body_is_a_400(alice_client, question):
    assert alice_client.post(save_url(question), {}).status_code == 400
    assert not Note.objects.exists()


def test_notes_on_unpublished_questions_are_not_found(alice_client, question):
    Question.objects.filter(pk=question.pk).update(status=Question.Status.RETIRED)
    assert alice_client.post(save_url(question), {"body": "x"}).status_code == 404
    assert alice_client.post(delete_url(question)).status_code == 404
    assert not Note.objects.exists()


def test_nobody_else_can_read_change_or_delete_your_note(client, alice, bob, question):
    NoteFactory(user=alice, question=question, body="alice 的秘密")
    client.force_login(bob)
    response = client.post(delete_url(question), **HTMX)
    assert "alice 的秘密" not in response.content.decode()
    client.post(save_url(question), {"body": "bob 的"})
    assert Note.objects.get(user=alice).body == "alice 的秘密"
    assert Note.objects.get(user=bob).body == "bob 的"
    client.force_login(alice)
    client.post(delete_url(question))
    assert not Note.objects.filter(user=alice).exists()
    assert Note.objects.filter(user=bob).exists()


def test_note_endpoints_are_post_only(alice_client, question):
    assert alice_client.get(save_url(question)).status_code == 405
    assert alice_client.get(delete_url(question)).status_code == 405


def test_the_question_page_shows_your_bookmark_and_note(client, alice, bob, question):
    NoteFactory(user=alice, question=question, body="我的**重点**")
    BookmarkFactory(user=alice, question=question)
    client.force_login(bob)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "<strong>重点</strong>" not in html and 'aria-pressed="false"' in html
    client.force_login(alice)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "<strong>重点</strong>" in html and 'aria-pressed="true"' in html
    assert f'name="next" value="{question.get_absolute_url()}"' in html


def test_visitors_are_invited_to_log_in_on_the_question_page(client, question):
    html = client.get(question.get_absolute_url()).content.decode()
    assert "to bookmark questions and keep notes" in html


def test_the_n_key_is_offered_only_where_it_opens_the_note(alice_client, question):
    # The question page has no keyboard shortcuts; a quiz card does.
    # (The key's hint is hidden from screen readers, which hear aria-keyshortcuts instead.)
    assert "<kbd" not in alice_client.get(question.get_absolute_url()).content.decode()
    saved_here = alice_client.post(save_url(question), {
        "body": "x", "next": question.get_absolute_url()}, **HTMX).content.decode()
    assert "<kbd" not in saved_here and "aria-keyshortcuts" not in saved_here
    saved_in_quiz = alice_client.post(save_url(question), {
        "body": "y", "next": "/quiz/12/"}, **HTMX).content.decode()
    assert '<kbd aria-hidden="true">N</kbd>' in saved_in_quiz
    assert 'aria-keyshortcuts="N"' in saved_in_quiz
