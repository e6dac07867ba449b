"""Writes for teams: creating and deleting teams, roles, leaving, invitations (closing an
account, which leaves teams too, is accounts.closing).

Every function here that changes who belongs to a team locks the team row first
(`select_for_update`), so two owners acting at once cannot leave a team without an owner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Invitation, InvitationUse, Membership, Removal, Team, User
from accounts.selectors import (
    INVITATIONS_SHOWN,
    working_invitations,
)
from qa.models import Quiz
from qa.selectors.sets import CURATOR_ROLES, MEMBER_VISIBLE
from qa.services.sets import end_quizzes_on, let_go_of

Role = Membership.Role

# Higher number = more rights. An invitation may raise a member's role, never lower it.
ROLE_RANK = {Role.MEMBER: 1, Role.CURATOR: 2, Role.OWNER: 3}

INVITATION_MAX_USES = 500
INVITATION_MAX_DAYS = 90


class TeamError(Exception):
    """A team action that the rules refuse; `message` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LastOwnerError(TeamError):
    pass


class InvitationError(TeamError):
    """An invitation that can no longer be accepted; `reason` is expired/used_up/revoked."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- Teams ------------------------------------------------------------------------------------


def one_line(name: str) -> str:
    """A name as one line: it goes into mail subjects and one-line confirmation boxes."""
    return " ".join(name.split())


@transaction.atomic
def create_team(*, user: User, name: str, description: str = "") -> Team:
    name = one_line(name)
    if not name:
        raise TeamError(_("A team needs a name."))
    team = Team.objects.create(name=name, description=description.strip(), created_by=user)
    Membership.objects.create(user=user, team=team, role=Role.OWNER)
    return team


@transaction.atomic
def update_team(*, actor: User, team: Team, name: str, description: str = "") -> Team:
    """Rename the team or change its description (owners only)."""
    name = one_line(name)
    if not name:
        raise TeamError(_("A team needs a name."))
    team = _lock_team(team)
    _require_owner(actor=actor, team=team)
    team.name = name
    team.description = description.strip()
    team.save(update_fields=["name", "description"])
    return team


def _lock_team(team: Team) -> Team:
    """The team's row, locked: every change of the team or its members takes this lock first.
    404 if another owner deleted the team after the requester's page read it."""
    locked = Team.objects.select_for_update().filter(pk=team.pk).first()
    if locked is None:
        raise Http404
    return locked


def _require_owner(*, actor: User, team: Team) -> None:
    """Only an owner, or one of the site's administrators (in the admin, which reaches every
    team through these services, so its rules and their consequences hold there too)."""
    if actor.is_active and actor.is_superuser:
        return
    if not Membership.objects.filter(user=actor, team=team, role=Role.OWNER).exists():
        raise PermissionDenied(_("Only an owner of the team can do that."))


def other_owners_exist(*, team: Team, excluding: Membership) -> bool:
    return (
        Membership.objects.filter(team=team, role=Role.OWNER).exclude(pk=excluding.pk).exists()
    )


def refuse_last_owner(membership: Membership) -> None:
    """Raise LastOwnerError when `membership` is its team's only owner: it may neither leave
    the team nor lose the role, or the team would have no one to run it."""
    if membership.role == Role.OWNER and not other_owners_exist(team=membership.team,
                                                               excluding=membership):
        raise LastOwnerError(
            _("A team must keep at least one owner. Make someone else an owner first.")
        )


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str) -> int:
    """Give `membership` another role. Returns how many invitation links were revoked: an
    owner who loses the role saw the team's links, which must not bring them back as owner
    (under another account) either."""
    if role not in Role.values:
        raise TeamError(_("Unknown role."))
    _lock_team(membership.team)
    _require_owner(actor=actor, team=membership.team)
    membership = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if membership is None:
        raise TeamError(_("This person is no longer in the team."))
    if membership.role == role:
        return 0
    refuse_last_owner(membership)
    was_curator = membership.role in CURATOR_ROLES
    revoked = 0
    if ROLE_RANK[role] < ROLE_RANK[membership.role]:
        _note_removal(team=membership.team, user_id=membership.user_id)
        revoked = _revoke_links_seen_by(membership, actor=actor)
    membership.role = role
    membership.save(update_fields=["role"])
    if was_curator and role not in CURATOR_ROLES:  # the curators' drafts no longer admit them
        let_go_of(Quiz.objects.filter(user_id=membership.user_id, study_set__team=membership.team)
                  .exclude(study_set__visibility__in=MEMBER_VISIBLE))
    return revoked


@transaction.atomic
def remove_member(*, actor: User, membership: Membership) -> int:
    """Remove someone from the team. Returns how many invitation links were revoked (see
    change_role)."""
    _lock_team(membership.team)
    _require_owner(actor=actor, team=membership.team)
    try:
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
    except Membership.DoesNotExist:
        return 0  # already gone: removing twice changes nothing
    refuse_last_owner(membership)
    membership.delete()
    _note_removal(team=membership.team, user_id=membership.user_id)
    _detach_quizzes(user_id=membership.user_id, team=membership.team)
    return _revoke_links_seen_by(membership, actor=actor)


def _revoke_links_seen_by(membership: Membership, *, actor: User) -> int:
    """Revoke the team's working invitation links when an owner (who sees them all) is
    removed or loses the role by someone else's hand: Removal keeps their own account from
    coming back through them, this their other accounts. Returns how many were revoked."""
    if membership.role != Role.OWNER or membership.user_id == actor.pk:
        return 0
    now = timezone.now()
    return working_invitations(team_id=membership.team_id, now=now).update(revoked_at=now)


def links_revoked_message(revoked: int, *, name: str) -> str:
    """What the owner who removed or demoted `name` is told of the links it revoked."""
    return ngettext(
        "%(n)d open invitation link was revoked, as %(name)s could see it as an owner. "
        "Create a new one to invite someone.",
        "%(n)d open invitation links were revoked, as %(name)s could see them as an "
        "owner. Create a new one to invite someone.", revoked,
    ) % {"n": revoked, "name": name}


def _note_removal(*, team: Team, user_id: int) -> None:
    """The invitations made until now do not bring this person back (see Removal)."""
    Removal.objects.update_or_create(team=team, user_id=user_id,
                                     defaults={"removed_at": timezone.now()})


@transaction.atomic
def leave_team(*, user: User, team: Team) -> None:
    _lock_team(team)
    membership = Membership.objects.select_for_update().filter(user=user, team=team).first()
    if membership is None:
        return
    if membership.role == Role.OWNER and not other_owners_exist(team=team, excluding=membership):
        raise LastOwnerError(
            _("You are the last owner. Make someone else an owner, or delete the team.")
        )
    membership.delete()
    _detach_quizzes(user_id=user.pk, team=team)


def _detach_quizzes(*, user_id: int, team: Team) -> None:
    """Someone who is no longer a member keeps the grades they gave, not the team's sets."""
    let_go_of(Quiz.objects.filter(user_id=user_id, study_set__team=team))


@transaction.atomic
def delete_team(*, actor: User, team: Team) -> None:
    """Delete the team with its memberships, invitations and sets (members keep their own
    study history: reviews and study states belong to the person, not the team)."""
    _lock_team(team)
    _require_owner(actor=actor, team=team)
    end_quizzes_on(team.study_sets.all())
    team.delete()


# --- Invitations ------------------------------------------------------------------------------


def invitation_problem(invitation: Invitation, *, user: User | None = None,
                       now: datetime | None = None) -> str | None:
    """Why the invitation cannot be accepted (by `user`, if given): used_before, removed
    (made before an owner removed them or lowered their role), revoked, expired or used_up;
    None if it can."""
    now = now or timezone.now()
    if user is not None and InvitationUse.objects.filter(invitation=invitation,
                                                         user=user).exists():
        return "used_before"
    if user is not None and Removal.objects.filter(
        team_id=invitation.team_id, user=user, removed_at__gte=invitation.created_at
    ).exists():
        return "removed"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.uses >= invitation.max_uses:
        return "used_up"
    return None


def invitation_problem_message(reason: str, *, member: bool = False) -> str:
    """What to tell someone turned away for `reason`; `member`: they are in the team now (a
    link they used before does not raise their role again)."""
    if reason == "used_before" and member:
        return _("You have used this invitation before, and it does not change your role "
                 "again. Ask an owner of the team if your role should change.")
    if reason == "removed" and member:
        return _("This invitation was made before your role in the team was lowered, so it "
                 "does not raise it again. Ask an owner of the team for a new link.")
    return {
        "used_before": _("You have used this invitation before. To join again, ask the team "
                         "for a new link."),
        "removed": _("This invitation was made before you were removed from the team, so "
                     "it does not bring you back. Ask an owner of the team for a new link."),
        "revoked": _("This invitation was withdrawn by the team."),
        "expired": _("This invitation has expired. Ask the team for a new link."),
        "used_up": _("This invitation has been used as many times as it allows. "
                     "Ask the team for a new link."),
    }[reason]


@transaction.atomic
def create_invitation(
    *,
    actor: User,
    team: Team,
    role: str = Role.MEMBER,
    expires_at: datetime | None = None,
    max_uses: int = 1,
    email: str = "",
) -> Invitation:
    _lock_team(team)
    _require_owner(actor=actor, team=team)
    now = timezone.now()
    if role not in Role.values:
        raise TeamError(_("Unknown role."))
    if expires_at is None:
        expires_at = now + timedelta(days=7)
    if expires_at <= now:
        raise TeamError(_("The expiry must be in the future."))
    if expires_at > now + timedelta(days=INVITATION_MAX_DAYS):
        raise TeamError(
            _("An invitation can last at most %(days)d days.") % {"days": INVITATION_MAX_DAYS}
        )
    if not 1 <= max_uses <= INVITATION_MAX_USES:
        raise TeamError(
            _("The number of uses must be between 1 and %(max)d.") % {"max": INVITATION_MAX_USES}
        )
    # Every link that still works is on the team page, where it can be copied or revoked.
    working = working_invitations(team_id=team.pk, now=now)
    if working.count() >= INVITATIONS_SHOWN:
        raise TeamError(_(
            "The team has %(n)d invitation links that still work: revoke some before making "
            "another.") % {"n": INVITATIONS_SHOWN})
    return Invitation.objects.create(
        team=team,
        role=role,
        expires_at=expires_at,
        max_uses=max_uses,
        email=email.strip(),
        created_by=actor,
    )


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    _require_owner(actor=actor, team=invitation.team)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose secret is `token`, or None.

    The lookup goes through the unique index on the token; the stored and presented values are
    then compared with `secrets.compare_digest`, so the final decision does not depend on how
    many leading characters matched. (The index lookup itself is not constant-time, but the
    token carries 256 random bits, which no timing side channel can feasibly search.)
    """
    if not token or len(token) > 64:
        return None
    invitation = Invitation.objects.select_related("team").filter(token=token).first()
    if invitation is None or not secrets.compare_digest(invitation.token, token):
        return None
    return invitation


@dataclass(frozen=True)
class Acceptance:
    membership: Membership
    joined: bool  # a new membership was created
    upgraded: bool  # an existing membership got a higher role


@transaction.atomic
def accept_invitation(*, user: User, token: str, now: datetime | None = None) -> Acceptance:
    """Join the invitation's team (or raise the user's role there).

    The invitation row is locked for the whole transaction, so concurrent acceptances queue up
    and `uses` never exceeds `max_uses`. Accepting again changes nothing and uses nothing:
    someone who already holds the invited role (or a higher one) is simply told so, even if
    the link has since expired or been used up.
    """
    found = find_invitation(token)
    if found is None:
        raise Invitation.DoesNotExist
    # The team first, as every change of membership: two invitations to one team accepted at
    # once by the same person then join them once.
    team = Team.objects.select_for_update().filter(pk=found.team_id).first()
    invitation = (Invitation.objects.select_for_update().filter(pk=found.pk).first()
                  if team is not None else None)
    if invitation is None:
        raise Invitation.DoesNotExist  # deleted with its team meanwhile
    membership = Membership.objects.select_for_update().filter(user=user, team=team).first()
    if membership is not None and ROLE_RANK[membership.role] >= ROLE_RANK[invitation.role]:
        return Acceptance(membership=membership, joined=False, upgraded=False)
    reason = invitation_problem(invitation, user=user, now=now)
    if reason:
        raise InvitationError(invitation_problem_message(reason, member=membership is not None),
                              reason=reason)
    invitation.uses += 1
    invitation.save(update_fields=["uses"])
    InvitationUse.objects.create(invitation=invitation, user=user)
    if membership is None:
        membership = Membership.objects.create(user=user, team=team, role=invitation.role)
        return Acceptance(membership=membership, joined=True, upgraded=False)
    membership.role = invitation.role
    membership.save(update_fields=["role"])
    return Acceptance(membership=membership, joined=False, upgraded=True)
