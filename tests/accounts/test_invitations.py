"""Invitation links: who may make them, what using one does, their limits and mails."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from accounts import invitation_mail, services
from accounts.models import Invitation, Membership, Team
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

Role = Membership.Role
pytestmark = pytest.mark.django_db


def roles(team):
    return dict(Membership.objects.filter(team=team).values_list("user__email", "role"))



@pytest.mark.parametrize("then", ["removed", "demoted"])
def test_an_owner_removed_or_demoted_is_not_brought_back_by_a_link_they_saw(
    client, alice, bob, team, then
):
    """An owner sees every working link; one made before an owner removed them or lowered
    their role is no way back in. A link made afterwards is."""
    MembershipFactory(team=team, user=bob, role=Role.OWNER)
    seen = services.create_invitation(actor=alice, team=team, role=Role.OWNER, max_uses=5)
    bob_m = Membership.objects.get(team=team, user=bob)
    if then == "removed":
        services.remove_member(actor=alice, membership=bob_m)
    else:
        services.change_role(actor=alice, membership=bob_m, role=Role.MEMBER)
    client.force_login(bob)
    page = client.post(reverse("accounts:invite-accept", args=[seen.token]),
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 410
    said = ("does not bring you back" if then == "removed" else "does not raise it again")
    assert said in page.content.decode()
    assert client.get(reverse("accounts:invite-accept", args=[seen.token])).status_code == 410
    expected = {"removed": {alice.email: Role.OWNER},
                "demoted": {alice.email: Role.OWNER, bob.email: Role.MEMBER}}[then]
    assert roles(team) == expected
    assert Invitation.objects.get(pk=seen.pk).uses == 0
    # Nor through another account of theirs: the links they saw as an owner were revoked.
    other_account = UserFactory()
    with pytest.raises(services.InvitationError) as refused:
        services.accept_invitation(user=other_account, token=seen.token)
    assert refused.value.reason == "revoked"
    assert other_account.email not in roles(team)

    later = services.create_invitation(actor=alice, team=team, role=Role.CURATOR)
    services.accept_invitation(user=bob, token=later.token)
    assert roles(team)[bob.email] == Role.CURATOR


@pytest.mark.parametrize("then", ["removed", "demoted"])
def test_the_owner_page_says_which_links_were_revoked_with_an_owner(alice_client, alice, bob,
                                                                    team, then):
    MembershipFactory(team=team, user=bob, role=Role.OWNER)
    working = [services.create_invitation(actor=alice, team=team, role=role, max_uses=3)
               for role in (Role.OWNER, Role.MEMBER)]
    spent = services.create_invitation(actor=alice, team=team, role=Role.MEMBER)
    services.accept_invitation(user=UserFactory(), token=spent.token)
    bob_m = Membership.objects.get(team=team, user=bob)
    url = reverse(f"accounts:team-member-{'remove' if then == 'removed' else 'role'}",
                  args=[team.pk, bob_m.pk])
    response = alice_client.post(url, {"role": Role.CURATOR}, follow=True,
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert "2 open invitation links were revoked, as " in response.content.decode()
    assert all(Invitation.objects.get(pk=link.pk).revoked_at for link in working)
    assert Invitation.objects.get(pk=spent.pk).revoked_at is None  # used up: nothing to do


def test_links_stay_when_a_curator_loses_the_role_or_an_owner_steps_down(alice, bob, team):
    """A curator never saw the links; an owner who steps down by their own hand keeps the
    team's links working, as one who leaves does."""
    link = services.create_invitation(actor=alice, team=team, max_uses=5)
    MembershipFactory(team=team, user=bob, role=Role.CURATOR)
    assert services.change_role(actor=alice, membership=Membership.objects.get(
        team=team, user=bob), role=Role.MEMBER) == 0
    services.change_role(actor=alice, membership=Membership.objects.get(team=team, user=bob),
                         role=Role.OWNER)
    assert services.change_role(actor=bob, membership=Membership.objects.get(
        team=team, user=bob), role=Role.MEMBER) == 0
    assert services.remove_member(actor=alice, membership=Membership.objects.get(
        team=team, user=bob)) == 0
    link.refresh_from_db()
    assert link.revoked_at is None


def test_someone_who_left_of_their_own_accord_may_come_back_with_a_link(alice, bob, team):
    link = services.create_invitation(actor=alice, team=team, max_uses=5)
    MembershipFactory(team=team, user=bob, role=Role.MEMBER)
    services.leave_team(user=bob, team=team)
    services.accept_invitation(user=bob, token=link.token)
    assert roles(team)[bob.email] == Role.MEMBER


def test_a_role_raised_is_not_a_removal(alice, bob, team):
    link = services.create_invitation(actor=alice, team=team, role=Role.CURATOR, max_uses=5)
    MembershipFactory(team=team, user=bob, role=Role.MEMBER)
    services.change_role(actor=alice, membership=Membership.objects.get(team=team, user=bob),
                         role=Role.CURATOR)
    services.change_role(actor=alice, membership=Membership.objects.get(team=team, user=bob),
                         role=Role.OWNER)
    assert services.invitation_problem(link, user=bob) is None


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
    # Still in the team: not told to join it again.
    assert ("join again" in error.value.message) == (then != "demoted")
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
    invitation_mail.send_invitation_email(invitation=inv, accept_url=f"https://x.test/me/invite/{inv.token}/")
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


def test_an_invitation_mail_for_a_team_named_on_two_lines_is_sent(alice, team):
    Team.objects.filter(pk=team.pk).update(name="Ops\nteam")  # named so before names were one line
    team.refresh_from_db()
    invitation = services.create_invitation(actor=alice, team=team, email="x@example.com")
    mail.outbox.clear()
    invitation_mail.send_invitation_email(invitation=invitation, accept_url="https://example.com/i/")
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
        invitation_mail.send_invitation_email(invitation=inv, accept_url="https://x.test/i/")
    local = tz.localtime(inv.expires_at, tz.get_fixed_timezone(8 * 60))
    utc = inv.expires_at.astimezone(tz.get_fixed_timezone(0))
    # And in UTC, for someone invited from another zone.
    assert (f"{local:%Y-%m-%d %H:%M} (Asia/Shanghai; {utc:%Y-%m-%d %H:%M} UTC)"
            in mail.outbox[0].body)
