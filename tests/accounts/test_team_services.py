"""Teams and roles, without the HTTP layer (invitations: test_invitations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Team
from qa.models import Quiz, Review
from qa.services.sets import add_questions, create_set, delete_set
from qa.services.study import start_quiz
from tests.factories import (
    MembershipFactory,
    SectionFactory,
    bulk_questions,
)

Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture
def team(alice):
    return services.create_team(user=alice, name="Transformers reading group")


def roles(team):
    return dict(Membership.objects.filter(team=team).values_list("user__email", "role"))


# --- Creating, roles, last owner -------------------------------------------------------------


def test_creator_becomes_the_owner(alice, team):
    assert roles(team) == {alice.email: Role.OWNER}
    assert team.created_by == alice


def test_a_team_needs_a_name(alice):
    with pytest.raises(services.TeamError):
        services.create_team(user=alice, name="   ")
    assert not Team.objects.exists()


def test_member_cannot_change_roles_but_owner_can(alice, bob, team):
    bob_m = MembershipFactory(team=team, user=bob)
    carol = MembershipFactory(team=team)
    with pytest.raises(PermissionDenied):
        services.change_role(actor=bob, membership=carol, role=Role.CURATOR)
    carol.refresh_from_db()
    assert carol.role == Role.MEMBER

    services.change_role(actor=alice, membership=carol, role=Role.CURATOR)
    carol.refresh_from_db()
    assert carol.role == Role.CURATOR
    assert bob_m.role == Role.MEMBER


def test_the_last_owner_cannot_be_demoted(alice, team):
    mine = Membership.objects.get(team=team, user=alice)
    with pytest.raises(services.LastOwnerError):
        services.change_role(actor=alice, membership=mine, role=Role.MEMBER)
    assert roles(team) == {alice.email: Role.OWNER}


def test_an_owner_can_step_down_once_there_is_another_owner(alice, bob, team):
    MembershipFactory(team=team, user=bob, role=Role.OWNER)
    mine = Membership.objects.get(team=team, user=alice)
    services.change_role(actor=alice, membership=mine, role=Role.CURATOR)
    assert roles(team) == {alice.email: Role.CURATOR, bob.email: Role.OWNER}


def test_the_last_owner_cannot_be_removed_or_leave(alice, team):
    mine = Membership.objects.get(team=team, user=alice)
    with pytest.raises(services.LastOwnerError):
        services.remove_member(actor=alice, membership=mine)
    with pytest.raises(services.LastOwnerError) as exc:
        services.leave_team(user=alice, team=team)
    assert "last owner" in exc.value.message
    assert roles(team) == {alice.email: Role.OWNER}


def test_owner_removes_a_member_and_removing_twice_is_harmless(alice, bob, team):
    bob_m = MembershipFactory(team=team, user=bob)
    services.remove_member(actor=alice, membership=bob_m)
    services.remove_member(actor=alice, membership=bob_m)
    assert roles(team) == {alice.email: Role.OWNER}


@pytest.mark.parametrize("act", [
    lambda alice, bob_m, team: services.update_team(actor=alice, team=team, name="New name"),
    lambda alice, bob_m, team: services.change_role(actor=alice, membership=bob_m,
                                                    role=Role.CURATOR),
    lambda alice, bob_m, team: services.remove_member(actor=alice, membership=bob_m),
    lambda alice, bob_m, team: services.leave_team(user=alice, team=team),
    lambda alice, bob_m, team: services.delete_team(actor=alice, team=team),
    lambda alice, bob_m, team: services.create_invitation(actor=alice, team=team),
], ids=["update", "role", "remove", "leave", "delete", "invite"])
def test_acting_on_a_team_another_owner_deleted_meanwhile_finds_no_team(alice, bob, team, act):
    """The page was read before the team was deleted; the action then finds it gone (404)
    rather than failing on a missing row."""
    bob_m = MembershipFactory(team=team, user=bob)
    Team.objects.filter(pk=team.pk).delete()
    with pytest.raises(Http404):
        act(alice, bob_m, team)
    assert not Invitation.objects.exists() and not Team.objects.exists()


def test_a_role_given_to_someone_removed_meanwhile_says_so(alice, bob, team):
    bob_m = MembershipFactory(team=team, user=bob)
    Membership.objects.filter(pk=bob_m.pk).delete()
    with pytest.raises(services.TeamError, match="no longer in the team"):
        services.change_role(actor=alice, membership=bob_m, role=Role.CURATOR)
    assert roles(team) == {alice.email: Role.OWNER}


def test_member_leaves(alice, bob, team):
    MembershipFactory(team=team, user=bob)
    services.leave_team(user=bob, team=team)
    services.leave_team(user=bob, team=team)  # leaving twice: nothing more happens
    assert roles(team) == {alice.email: Role.OWNER}


def _set_quiz(user, team_or_none, owner):
    from qa.services.sets import add_questions, create_set
    from qa.services.study import start_quiz
    from tests.factories import QuestionFactory

    study_set = create_set(user=owner, title="Attention week", team=team_or_none)
    add_questions(study_set=study_set, questions=[QuestionFactory(), QuestionFactory()])
    return start_quiz(user=user, mode="set", study_set=study_set)


@pytest.mark.parametrize("how", ["removed", "left"])
def test_an_ex_member_keeps_no_quiz_on_the_teams_sets(alice, bob, team, how):
    bob_m = MembershipFactory(team=team, user=bob)
    on_team_set = _set_quiz(bob, team, alice)
    finished = _set_quiz(bob, team, alice)
    finished.finished_at = timezone.now() - timedelta(days=1)
    finished.save(update_fields=["finished_at"])
    own = _set_quiz(bob, None, bob)
    alices = _set_quiz(alice, team, alice)

    if how == "removed":
        services.remove_member(actor=alice, membership=bob_m)
    else:
        services.leave_team(user=bob, team=team)

    for quiz in (on_team_set, finished, own, alices):
        quiz.refresh_from_db()
    assert on_team_set.study_set is None and on_team_set.finished_at is not None
    assert on_team_set.ended == Quiz.Ended.SET_CLOSED
    assert finished.study_set is None and finished.ended == ""  # it had ended before
    assert finished.finished_at < timezone.now() - timedelta(hours=23)  # not moved
    assert own.study_set is not None and own.finished_at is None
    assert alices.study_set is not None and alices.finished_at is None


def test_only_an_owner_deletes_a_team(alice, bob, team):
    MembershipFactory(team=team, user=bob, role=Role.CURATOR)
    with pytest.raises(PermissionDenied):
        services.delete_team(actor=bob, team=team)
    assert Team.objects.filter(pk=team.pk).exists()
    services.delete_team(actor=alice, team=team)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not Membership.objects.filter(team_id=team.pk).exists()


def test_deleting_a_team_or_one_of_its_sets_ends_the_quizzes_on_them(alice, bob, team):
    MembershipFactory(team=team, user=bob)
    questions = bulk_questions(SectionFactory(), 2)
    kept, deleted = (create_set(user=alice, title=title, team=team) for title in "AB")
    for study_set in (kept, deleted):
        add_questions(study_set=study_set, questions=questions)
    on_deleted = start_quiz(user=bob, mode="set", study_set=deleted)
    delete_set(study_set=deleted)
    on_deleted.refresh_from_db()
    assert on_deleted.finished_at is not None and on_deleted.study_set is None
    assert on_deleted.ended == Quiz.Ended.SET_DELETED
    on_kept = start_quiz(user=bob, mode="set", study_set=kept)
    services.delete_team(actor=alice, team=team)
    on_kept.refresh_from_db()
    assert on_kept.finished_at is not None and Review.objects.count() == 0


def test_a_team_name_is_kept_on_one_line(alice, team):
    made = services.create_team(user=alice, name="Ops\nteam\r\n ")
    assert made.name == "Ops team"
    services.update_team(actor=alice, team=team, name="A\r\nB", description="one\ntwo")
    team.refresh_from_db()
    assert (team.name, team.description) == ("A B", "one\ntwo")


def test_a_member_removed_mid_card_is_told_why_the_quiz_ended(client, alice, bob, team):
    """Removed while a card was shown, bob's grade was refused with "This quiz is already
    finished." and a summary that did not say why."""
    MembershipFactory(team=team, user=bob)
    study_set = create_set(user=alice, title="Basics", team=team)
    add_questions(study_set=study_set, questions=bulk_questions(SectionFactory(), 3))
    quiz = start_quiz(user=bob, mode="set", study_set=study_set)
    client.force_login(bob)
    item = quiz.items.order_by("position").first()
    client.post(f"/quiz/{quiz.pk}/reveal/", {"item": item.pk}, HTTP_HX_REQUEST="true")
    services.remove_member(actor=alice, membership=Membership.objects.get(user=bob, team=team))
    response = client.post(f"/quiz/{quiz.pk}/grade/", {"item": item.pk, "rating": "3",
                                                      "token": "a" * 32, "answer_version": "1"},
                           HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 409
    assert "its study set is no longer open to you" in page
    assert "already finished" not in page
    summary = client.get(f"/quiz/{quiz.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "its study set is no longer open to you" in summary
