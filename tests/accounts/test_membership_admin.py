"""The site's administrators change roles and remove members in the admin through the teams'
services: a team keeps an owner, and whoever leaves a team leaves its sets' quizzes."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Removal
from qa.models import Quiz
from qa.services.sets import add_questions, create_set
from qa.services.study import start_quiz
from tests.factories import QuestionFactory, UserFactory

Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _url(membership, action="change"):
    return f"/admin/accounts/membership/{membership.pk}/{action}/"


def test_removing_a_member_ends_their_quizzes_on_the_team_s_sets(admin_client, alice, bob,
                                                                 team):
    member = Membership.objects.create(user=bob, team=team, role=Role.MEMBER)
    study_set = create_set(user=alice, title="Plan", team=team, visibility="team")
    add_questions(study_set=study_set, questions=[QuestionFactory(), QuestionFactory()])
    quiz = start_quiz(user=bob, mode="set", study_set=study_set)

    response = admin_client.post(_url(member, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()
    quiz.refresh_from_db()
    assert quiz.finished_at is not None and quiz.study_set is None
    assert Removal.objects.filter(team=team, user=bob).exists()


def test_a_team_s_last_owner_is_neither_removed_nor_demoted(admin_client, alice, team):
    owner = Membership.objects.get(user=alice, team=team)
    for send in (admin_client.get, admin_client.post):
        refused = send(_url(owner, "delete"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert "A team must keep at least one owner" in refused.content.decode()
    assert Membership.objects.filter(pk=owner.pk).exists()
    page = admin_client.post(_url(owner), {"role": Role.MEMBER,
                                           "joined_at_0": "2026-01-01", "joined_at_1": "10:00"},
                             HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "A team must keep at least one owner" in page.content.decode()
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_a_role_lowered_in_the_admin_counts_as_on_the_site(admin_client, alice, bob, team):
    curator = Membership.objects.create(user=bob, team=team, role=Role.CURATOR)
    draft = create_set(user=alice, title="Draft", team=team, visibility="private")
    add_questions(study_set=draft, questions=[QuestionFactory()])
    quiz = start_quiz(user=bob, mode="set", study_set=draft)

    response = admin_client.post(_url(curator), {
        "role": Role.MEMBER, "joined_at_0": "2026-01-01", "joined_at_1": "10:00"})

    assert response.status_code == 302
    assert Membership.objects.get(pk=curator.pk).role == Role.MEMBER
    assert Quiz.objects.get(pk=quiz.pk).study_set is None  # the curators' draft no longer
    assert Removal.objects.filter(team=team, user=bob).exists()


def test_the_team_page_lists_its_members_to_read(admin_client, alice, team):
    page = admin_client.get(f"/admin/accounts/team/{team.pk}/change/").content.decode()
    assert alice.email in page or str(alice) in page
    assert 'name="memberships-0-role"' not in page
