"""Invitations on the site: an owner makes and mails links; the invite page before and after
login; links that can no longer be used say why."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from accounts.services import create_invitation

Role = Membership.Role
pytestmark = pytest.mark.django_db


def test_owner_creates_an_invitation_and_can_email_it(alice_client, team,
                                                     django_capture_on_commit_callbacks):
    url = reverse("accounts:team-invitation-create", args=[team.pk])
    bad = alice_client.post(url, {"role": "member", "days": 0, "max_uses": 1})
    assert bad.status_code == 400
    assert not Invitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {"role": "curator", "days": 3, "max_uses": 4,
                                           "email": "friend@example.com"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.max_uses) == (Role.CURATOR, 4)
    assert timedelta(days=2, hours=23) < invitation.expires_at - timezone.now() <= timedelta(3)
    assert len(mail.outbox) == 1
    assert reverse("accounts:invite-accept", args=[invitation.token]) in mail.outbox[0].body


def test_a_link_past_the_teams_limit_is_refused_on_the_team_page(alice_client, alice, team):
    from accounts.selectors import INVITATIONS_SHOWN

    for _ in range(INVITATIONS_SHOWN):
        create_invitation(actor=alice, team=team)
    url = reverse("accounts:team-invitation-create", args=[team.pk])
    response = alice_client.post(url, {"role": "member", "days": 7, "max_uses": 1},
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "revoke some before making another" in response.content.decode()
    assert Invitation.objects.filter(team=team).count() == INVITATIONS_SHOWN


def test_invitation_mails_are_limited_per_hour_and_the_link_still_made(
    alice_client, team, django_capture_on_commit_callbacks
):
    from accounts.views_teams import INVITATION_MAILS_PER_HOUR

    url = reverse("accounts:team-invitation-create", args=[team.pk])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(INVITATION_MAILS_PER_HOUR + 1):
            response = alice_client.post(url, {"role": "member", "days": 3, "max_uses": 1,
                                               "email": f"person{n}@example.com"},
                                         follow=True)
    assert len(mail.outbox) == INVITATION_MAILS_PER_HOUR
    assert Invitation.objects.count() == INVITATION_MAILS_PER_HOUR + 1
    assert "so it was not mailed" in response.content.decode()


def test_invite_page_needs_login_and_comes_back_after_it(client, alice, team):
    invitation = create_invitation(actor=alice, team=team)
    url = reverse("accounts:invite-accept", args=[invitation.token])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"] and invitation.token in response["Location"]
    # The team's name is not shown before login; that there is an invitation is.
    page = client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert team.name not in page
    assert "You were sent an invitation to a team." in page
    # The header's sign-up button, the one most people click, keeps the invitation too.
    header = page.split("</header>")[0]
    assert f'href="{reverse("account_signup")}?next={quote(url)}"' in header
    signup = client.get(reverse("account_signup"), {"next": url},
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You were sent an invitation to a team." in signup


def test_invite_page_shows_team_and_role_and_accepting_joins(client, alice, bob, team):
    invitation = create_invitation(actor=alice, team=team, role=Role.CURATOR)
    client.force_login(bob)
    url = reverse("accounts:invite-accept", args=[invitation.token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert team.name in page
    assert "You are invited to join this team. Your role will be: Curator." in page
    assert not Membership.objects.filter(user=bob).exists()  # GET changes nothing
    response = client.post(url)
    assert response["Location"] == reverse("accounts:team", args=[team.pk])
    assert Membership.objects.get(user=bob, team=team).role == Role.CURATOR
    client.post(url)  # a double submit
    assert Membership.objects.filter(user=bob).count() == 1
    invitation.refresh_from_db()
    assert invitation.uses == 1


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired"),
        ({"uses": 1, "max_uses": 1}, "used as many times"),
        ({"revoked_at": timezone.now()}, "withdrawn"),
    ],
)
def test_unusable_invitations_say_why_with_410(client, alice, bob, team, changes, text):
    invitation = create_invitation(actor=alice, team=team)
    Invitation.objects.filter(pk=invitation.pk).update(**changes)
    client.force_login(bob)
    url = reverse("accounts:invite-accept", args=[invitation.token])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410
        assert text in response.content.decode()
    assert not Membership.objects.filter(user=bob).exists()


# --- Query counts ----------------------------------------------------------------------------


def test_the_invitation_page_tells_someone_removed_that_their_link_is_spent(client, alice, bob,
                                                                         team):
    invitation = create_invitation(actor=alice, team=team, max_uses=5)
    url = reverse("accounts:invite-accept", args=[invitation.token])
    client.force_login(bob)
    assert client.post(url).status_code == 302
    Membership.objects.filter(user=bob).delete()
    for response in (client.get(url, HTTP_ACCEPT_LANGUAGE="en"),
                     client.post(url, HTTP_ACCEPT_LANGUAGE="en")):
        assert response.status_code == 410
        assert "You have used this invitation before." in response.content.decode()
    assert not Membership.objects.filter(user=bob).exists()


def test_a_member_reopening_a_link_they_used_is_not_told_to_join_again(client, alice, bob,
                                                                        team):
    from accounts.services import accept_invitation, change_role

    invitation = create_invitation(actor=alice, team=team, role=Role.CURATOR, max_uses=5)
    accept_invitation(user=bob, token=invitation.token)
    change_role(actor=alice, membership=Membership.objects.get(team=team, user=bob),
                role=Role.MEMBER)
    client.force_login(bob)
    response = client.get(reverse("accounts:invite-accept", args=[invitation.token]),
                          HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 410
    assert "does not change your role again" in page and "join again" not in page


def test_a_spent_link_is_described_once_and_taken_off_the_list_without_a_warning(alice_client,
                                                                                 alice, team):
    invitation = create_invitation(actor=alice, team=team, max_uses=1)
    Invitation.objects.filter(pk=invitation.pk).update(uses=1)
    page = alice_client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    listed = page[page.index('id="invitations"'):]
    assert "Used up" in listed and "joined by 1 person" in listed
    assert "used 1 of 1" not in listed and "Revoke this link?" not in listed
    assert "Remove from the list" in listed
    response = alice_client.post(
        reverse("accounts:team-invitation-revoke", args=[team.pk, invitation.pk]), follow=True)
    assert "The link is off the list." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
