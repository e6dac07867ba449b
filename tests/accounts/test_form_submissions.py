"""Create forms create once: the same form sent twice (a double click, a resent request, the
back button) makes one team, invitation or set, and the second answer leads to it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from accounts.models import FormSubmission, Invitation, Team
from accounts.services import create_team
from accounts.submissions import new_token
from qa.models import StudySet
from qa.services.sets import add_questions, create_set
from tests.factories import QuestionFactory, SectionFactory, UserFactory, bulk_questions

pytestmark = pytest.mark.django_db


def token_in(html: str) -> str:
    return re.search(r'name="submission" value="([0-9a-f]{32})"', html).group(1)


def test_the_create_forms_carry_a_fresh_token(alice_client, alice):
    team = create_team(user=alice, name="T")
    source = create_set(user=alice, title="S")
    QuestionFactory(prompt="What does multi-head attention add?")
    pages = [reverse("accounts:team-list"), reverse("accounts:team", args=[team.pk]),
             reverse("qa:set-create"), reverse("qa:set-copy", args=[source.pk]),
             reverse("qa:set-import"), reverse("qa:set-add-from-search") + "?q=attention"]
    tokens = [token_in(alice_client.get(page).content.decode()) for page in pages]
    assert len(set(tokens)) == len(pages)
    second = token_in(alice_client.get(pages[0]).content.decode())
    assert second != tokens[0]


def test_a_team_form_sent_twice_creates_one_team(alice_client):
    form = {"name": "Readers", "submission": new_token()}
    first = alice_client.post(reverse("accounts:team-list"), form)
    again = alice_client.post(reverse("accounts:team-list"), form, follow=True)
    team = Team.objects.get()
    assert first.status_code == 302 and first["Location"] == reverse("accounts:team",
                                                                     args=[team.pk])
    assert again.redirect_chain == [(first["Location"], 302)]
    assert "already sent" in again.content.decode()


def test_two_forms_make_two_teams_and_a_form_without_a_token_still_works(alice_client):
    alice_client.post(reverse("accounts:team-list"), {"name": "A", "submission": new_token()})
    alice_client.post(reverse("accounts:team-list"), {"name": "A", "submission": new_token()})
    alice_client.post(reverse("accounts:team-list"), {"name": "A"})
    assert Team.objects.count() == 3


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(alice_client):
    token = new_token()
    refused = alice_client.post(reverse("accounts:team-list"), {"name": "", "submission": token})
    assert refused.status_code == 400 and not Team.objects.exists()
    alice_client.post(reverse("accounts:team-list"), {"name": "Readers", "submission": token})
    assert Team.objects.get().name == "Readers"


def test_tokens_are_per_user(client, alice, bob):
    token = new_token()
    for user in (alice, bob):
        client.force_login(user)
        client.post(reverse("accounts:team-list"), {"name": "Readers", "submission": token})
    assert Team.objects.count() == 2
    assert FormSubmission.objects.count() == 2


def test_an_invitation_sent_twice_is_created_and_mailed_once(
    alice_client, alice, django_capture_on_commit_callbacks
):
    team = create_team(user=alice, name="T")
    form = {"role": "member", "days": 7, "max_uses": 1, "email": "x@example.com",
            "submission": new_token()}
    url = reverse("accounts:team-invitation-create", args=[team.pk])
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(url, form)
        alice_client.post(url, form)
    assert Invitation.objects.filter(team=team).count() == 1 and len(mail.outbox) == 1


def test_a_set_created_copied_or_filled_from_search_twice_exists_once(alice_client, alice):
    create_form = {"title": "A", "visibility": "private", "submission": new_token()}
    alice_client.post(reverse("qa:set-create"), create_form)
    alice_client.post(reverse("qa:set-create"), create_form)
    source = StudySet.objects.get(title="A")
    add_questions(study_set=source, questions=bulk_questions(SectionFactory(), 2))
    copy_form = {"title": "A copy", "owner": "", "submission": new_token()}
    alice_client.post(reverse("qa:set-copy", args=[source.pk]), copy_form)
    alice_client.post(reverse("qa:set-copy", args=[source.pk]), copy_form)
    search_form = {"q": "x", "target": "new:", "title": "From search",
                   "question": list(source.items.values_list("question_id", flat=True)),
                   "submission": new_token()}
    alice_client.post(reverse("qa:set-add-from-search"), search_form)
    alice_client.post(reverse("qa:set-add-from-search"), search_form)
    titles = sorted(StudySet.objects.values_list("title", flat=True))
    assert titles == ["A", "A copy", "From search"]


def test_old_tokens_are_forgotten_after_a_day(alice_client, alice):
    old = FormSubmission.objects.create(user=alice, token=new_token(), location="/teams/")
    FormSubmission.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(
        year=old.created_at.year - 1))
    alice_client.post(reverse("accounts:team-list"), {"name": "R", "submission": new_token()})
    assert not FormSubmission.objects.filter(pk=old.pk).exists()
    assert FormSubmission.objects.filter(user=alice).count() == 1


@pytest.mark.django_db(transaction=True)  # the mail goes once the invitation is committed
def test_an_invitation_whose_email_cannot_be_sent_is_kept_with_a_warning(
    alice_client, alice, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    team = create_team(user=alice, name="T")
    response = alice_client.post(
        reverse("accounts:team-invitation-create", args=[team.pk]),
        {"role": "member", "days": 7, "max_uses": 1, "email": "x@example.com",
         "submission": new_token()}, follow=True)
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    assert Invitation.objects.filter(team=team, email="x@example.com").count() == 1


class _MailServer(BaseEmailBackend):
    """A mail server that notes whether the site was inside a transaction when it sent."""

    sent_in_transaction: list[bool] = []

    def send_messages(self, email_messages):
        self.sent_in_transaction.append(transaction.get_connection().in_atomic_block)
        return len(email_messages)


@pytest.mark.django_db(transaction=True)
def test_an_invitation_is_mailed_after_it_is_committed(alice_client, alice, settings):
    """Not while the team is locked (every change to it would wait for the mail server),
    and never a link to an invitation that was rolled back."""
    settings.EMAIL_BACKEND = f"{__name__}._MailServer"
    _MailServer.sent_in_transaction = []
    team = create_team(user=alice, name="T")
    response = alice_client.post(
        reverse("accounts:team-invitation-create", args=[team.pk]),
        {"role": "member", "days": 7, "max_uses": 1, "email": "x@example.com",
         "submission": new_token()}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert _MailServer.sent_in_transaction == [False]
    assert "Invitation sent to x@example.com." in response.content.decode()


def test_another_users_token_does_not_leak_where_it_led(client, alice):
    token = new_token()
    client.force_login(alice)
    client.post(reverse("accounts:team-list"), {"name": "Secret", "submission": token})
    client.force_login(UserFactory())
    response = client.post(reverse("accounts:team-list"), {"name": "Mine", "submission": token})
    mine = Team.objects.get(name="Mine")
    assert response["Location"] == reverse("accounts:team", args=[mine.pk])
