"""Teams, roles and invitations, without the HTTP layer."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.http import Http404
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Team
from qa.models import Quiz, Review
from qa.services.sets import add_questions, create_set, delete_set
from qa.services.study import start_quiz
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    SectionFactory,
    UserFactory,
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


# --- Invitations -----------------------------------------------------------------------------


@pytest.mark.parametrize("then", ["removed", "demoted", "left"])
def test_a_link_with_uses_left_takes_nobody_back_who_used_it(alice, bob, team, then):
    """Removing or demoting someone holds, though the link they came with has uses left."""
    carol = UserFactory()
    invitation = services.create_invitation(actor=alice, team=team, role=Role.CURATOR,
                                            max_uses=10)
    services.accept_invitation(user=bob, token=invitation.token)
    bob_m = Membership.objects.get(team=team, user=bob)
    if then == "removed":
        services.remove_member(actor=alice, membership=bob_m)
    elif then == "demoted":
        services.change_role(actor=alice, membership=bob_m, role=Role.MEMBER)
    else:
        services.leave_team(user=bob, team=team)
    with pytest.raises(services.InvitationError, match="used this invitation before") as error:
        services.accept_invitation(user=bob, token=invitation.token)
    assert error.value.reason == "used_before"
    after = {"removed": {alice.email: Role.OWNER}, "left": {alice.email: Role.OWNER},
             "demoted": {alice.email: Role.OWNER, bob.email: Role.MEMBER}}[then]
    assert roles(team) == after
    services.accept_invitation(user=carol, token=invitation.token)  # others still can
    invitation.refresh_from_db()
    assert invitation.uses == 2 and roles(team)[carol.email] == Role.CURATOR


def test_invitation_tokens_are_long_and_unguessable(alice, team):
    a = services.create_invitation(actor=alice, team=team)
    b = services.create_invitation(actor=alice, team=team)
    assert a.token != b.token
    assert len(a.token) >= 40


def test_only_owners_create_invitations(bob, team):
    MembershipFactory(team=team, user=bob, role=Role.CURATOR)
    with pytest.raises(PermissionDenied):
        services.create_invitation(actor=bob, team=team)
    assert not Invitation.objects.exists()


def test_invitation_limits_are_checked(alice, team):
    with pytest.raises(services.TeamError):
        services.create_invitation(actor=alice, team=team, max_uses=0)
    with pytest.raises(services.TeamError):
        services.create_invitation(
            actor=alice, team=team, expires_at=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(services.TeamError):
        services.create_invitation(
            actor=alice, team=team, expires_at=timezone.now() + timedelta(days=400)
        )
    assert not Invitation.objects.exists()


def test_accepting_joins_with_the_invited_role_and_uses_the_link(alice, bob, team):
    inv = services.create_invitation(actor=alice, team=team, role=Role.CURATOR, max_uses=2)
    result = services.accept_invitation(user=bob, token=inv.token)
    assert result.joined and not result.upgraded
    assert roles(team)[bob.email] == Role.CURATOR
    inv.refresh_from_db()
    assert inv.uses == 1


def test_accepting_twice_does_nothing_twice(alice, bob, team):
    inv = services.create_invitation(actor=alice, team=team, max_uses=5)
    services.accept_invitation(user=bob, token=inv.token)
    again = services.accept_invitation(user=bob, token=inv.token)
    assert not again.joined and not again.upgraded
    assert Membership.objects.filter(team=team, user=bob).count() == 1
    inv.refresh_from_db()
    assert inv.uses == 1


def test_double_submit_after_the_last_use_is_still_fine(alice, bob, team):
    inv = services.create_invitation(actor=alice, team=team, max_uses=1)
    services.accept_invitation(user=bob, token=inv.token)
    # The link is now used up, but the person who used it is told they are in.
    again = services.accept_invitation(user=bob, token=inv.token)
    assert again.membership.user == bob
    inv.refresh_from_db()
    assert inv.uses == 1


def test_an_existing_member_is_not_added_twice_nor_uses_the_link(alice, bob, team):
    MembershipFactory(team=team, user=bob, role=Role.CURATOR)
    inv = services.create_invitation(actor=alice, team=team, role=Role.MEMBER)
    result = services.accept_invitation(user=bob, token=inv.token)
    assert not result.joined and not result.upgraded
    # Never a downgrade.
    assert roles(team)[bob.email] == Role.CURATOR
    inv.refresh_from_db()
    assert inv.uses == 0


def test_an_invitation_with_a_higher_role_upgrades_a_member(alice, bob, team):
    MembershipFactory(team=team, user=bob, role=Role.MEMBER)
    inv = services.create_invitation(actor=alice, team=team, role=Role.CURATOR)
    result = services.accept_invitation(user=bob, token=inv.token)
    assert result.upgraded and not result.joined
    assert roles(team)[bob.email] == Role.CURATOR
    assert Membership.objects.filter(team=team, user=bob).count() == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"uses": 3, "max_uses": 3}, "used_up"),
        ({"revoked_at": timezone.now()}, "revoked"),
    ],
)
def test_expired_used_up_and_revoked_invitations_are_refused(team, bob, changes, reason):
    inv = InvitationFactory(team=team, **changes)
    with pytest.raises(services.InvitationError) as exc:
        services.accept_invitation(user=bob, token=inv.token)
    assert exc.value.reason == reason
    assert exc.value.message
    assert not Membership.objects.filter(team=team, user=bob).exists()
    # A valid link does let bob in: the refusal came from the state of the link.
    InvitationFactory(team=team, token="x" * 43)
    services.accept_invitation(user=bob, token="x" * 43)
    assert Membership.objects.filter(team=team, user=bob).exists()


def test_revoking_stops_the_link(alice, bob, team):
    inv = services.create_invitation(actor=alice, team=team)
    services.revoke_invitation(actor=alice, invitation=inv)
    with pytest.raises(services.InvitationError):
        services.accept_invitation(user=bob, token=inv.token)


def test_an_unknown_token_finds_nothing(bob, team):
    InvitationFactory(team=team)
    assert services.find_invitation("nope") is None
    assert services.find_invitation("") is None
    assert services.find_invitation("a" * 500) is None
    with pytest.raises(Invitation.DoesNotExist):
        services.accept_invitation(user=bob, token="nope")


def test_an_invitation_email_carries_the_link(alice, team):
    inv = services.create_invitation(actor=alice, team=team, email="new@example.com")
    services.send_invitation_email(invitation=inv, accept_url=f"https://x.test/me/invite/{inv.token}/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert inv.token in mail.outbox[0].body
    assert team.name in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_never_exceed_max_uses(alice):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    team = services.create_team(user=alice, name="Race")
    inv = services.create_invitation(actor=alice, team=team, max_uses=2)
    people = [UserFactory() for _ in range(6)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def accept(user):
        try:
            barrier.wait()
            services.accept_invitation(user=user, token=inv.token)
            outcomes.append("joined")
        except services.InvitationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inv.refresh_from_db()
    assert inv.uses == 2
    assert sorted(outcomes) == ["joined", "joined", "refused", "refused", "refused", "refused"]
    assert Membership.objects.filter(team=team).count() == 3


@pytest.mark.django_db(transaction=True)
def test_one_person_accepting_two_invitations_to_a_team_at_once_joins_once(alice):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    bob = UserFactory()

    def accept(token, barrier, errors):
        try:
            barrier.wait()
            services.accept_invitation(user=bob, token=token)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    for round_ in range(5):
        team = services.create_team(user=alice, name=f"Race {round_}")
        tokens = [services.create_invitation(actor=alice, team=team).token for _ in range(2)]
        barrier, errors = threading.Barrier(2), []
        threads = [threading.Thread(target=accept, args=(t, barrier, errors)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert Membership.objects.filter(team=team, user=bob).count() == 1


def test_a_team_name_is_kept_on_one_line(alice, team):
    made = services.create_team(user=alice, name="Ops\nteam\r\n ")
    assert made.name == "Ops team"
    services.update_team(actor=alice, team=team, name="A\r\nB", description="one\ntwo")
    team.refresh_from_db()
    assert (team.name, team.description) == ("A B", "one\ntwo")


def test_an_invitation_mail_for_a_team_named_on_two_lines_is_sent(alice, team):
    Team.objects.filter(pk=team.pk).update(name="Ops\nteam")  # named so before names were one line
    team.refresh_from_db()
    invitation = services.create_invitation(actor=alice, team=team, email="x@example.com")
    mail.outbox.clear()
    services.send_invitation_email(invitation=invitation, accept_url="https://example.com/i/")
    assert mail.outbox[0].subject.endswith("Ops team")


def test_used_up_invitations_do_not_push_a_usable_one_off_the_list(alice, team):
    from accounts.selectors import INVITATIONS_SHOWN, open_invitations

    usable = services.create_invitation(actor=alice, team=team, max_uses=5)
    for _ in range(INVITATIONS_SHOWN):
        used = services.create_invitation(actor=alice, team=team, email="x@example.com")
        Invitation.objects.filter(pk=used.pk).update(uses=1)
    shown = list(open_invitations(team=team))
    assert len(shown) == INVITATIONS_SHOWN and shown[0] == usable


def test_no_working_invitation_link_is_left_off_the_team_page(alice, team):
    """The team page lists 50 links: a 51st working one could be neither copied nor revoked
    until it expired."""
    from accounts.selectors import INVITATIONS_SHOWN, open_invitations

    for _ in range(INVITATIONS_SHOWN):
        services.create_invitation(actor=alice, team=team, max_uses=2)
    with pytest.raises(services.TeamError, match="revoke some before making another"):
        services.create_invitation(actor=alice, team=team)
    assert Invitation.objects.filter(team=team).count() == INVITATIONS_SHOWN
    services.revoke_invitation(actor=alice, invitation=open_invitations(team=team)[0])
    services.create_invitation(actor=alice, team=team)  # room again
    assert len(open_invitations(team=team)) == INVITATIONS_SHOWN


def test_an_invitation_mail_names_the_time_zone_of_its_expiry(alice, team, settings):
    from django.utils import timezone as tz

    inv = services.create_invitation(actor=alice, team=team, email="new@example.com")
    with tz.override("Asia/Shanghai"):
        services.send_invitation_email(invitation=inv, accept_url="https://x.test/i/")
    assert "(Asia/Shanghai)" in mail.outbox[0].body


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
