"""Closing an account: whether it may be closed now, by its owner or by an administrator, and
deleting it with everything that is the person's own."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import Membership, Team, User
from accounts.selectors import AccountClosing, account_closing
from qa.models import Review, StudySet
from qa.services.sets import end_quizzes_on

Role = Membership.Role


class AccountDeletionRefused(Exception):
    """The account cannot be deleted yet; `message` says why, for its owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def deletion_refusals(*, user: User, closing: AccountClosing,
                      by_administrator: bool = False) -> list[str]:
    """Why `user`'s account may not be deleted now, by its owner or by an administrator (in
    the admin); empty if it may."""
    teams = ", ".join(t.name for t in closing.blocking_teams)
    if by_administrator:
        refusals = []
        if closing.editorial:
            refusals.append(_(
                "%(user)s has edited the bank or decided reports, and the revisions name "
                "them: deactivate the account instead (untick “Active”).") % {"user": user})
        if closing.blocking_teams:
            refusals.append(_(
                "%(user)s is the last owner of %(teams)s: make someone else an owner, or delete "
                "the team, first.") % {"user": user, "teams": teams})
        return refusals
    if closing.by_administrator:
        return [_("Accounts of staff, and of anyone who has edited the bank or decided reports, "
                  "are closed by an administrator, in the admin.")]
    if closing.blocking_teams:
        return [_("You are the last owner of %(teams)s. Make someone else an owner, or delete "
                  "the team, first.") % {"teams": teams}]
    return []


def teams_left_without_owner(*, users: list[User]) -> list[Team]:
    """The teams that deleting `users` together would leave without an owner while others
    stay in them (each alone may not be the last owner)."""
    ids = [user.pk for user in users]
    return list(
        Team.objects.filter(pk__in=Membership.objects.filter(user_id__in=ids).values("team_id"))
        .annotate(
            owners_left=Count("memberships", filter=Q(memberships__role=Role.OWNER)
                              & ~Q(memberships__user_id__in=ids)),
            others=Count("memberships", filter=~Q(memberships__user_id__in=ids)),
        )
        .filter(owners_left=0, others__gt=0).order_by("name", "pk")
    )


@transaction.atomic
def delete_account(*, user: User, by_administrator: bool = False) -> None:
    """Delete `user`'s account with everything that is theirs: study history, notes,
    bookmarks, reports, their own sets and the teams they alone belong to. Refused while the
    account is the last owner of a team with other members; for staff, unless an
    administrator deletes it (in the admin); and for accounts with editorial history, which
    are deactivated instead, so the bank's revisions keep naming who made them.

    The account row is read again under lock (it may have been made an editor meanwhile), and
    the teams are locked as leaving them locks them, so a role change cannot slip in between
    the check and the deletion."""
    user = User.objects.select_for_update().get(pk=user.pk)
    list(Team.objects.select_for_update().filter(memberships__user=user).order_by("pk"))
    closing = account_closing(user=user)
    refusals = deletion_refusals(user=user, closing=closing, by_administrator=by_administrator)
    if refusals:
        raise AccountDeletionRefused(refusals[0])
    solo = Team.objects.filter(pk__in=[team.pk for team in closing.solo_teams])
    # Others studying these sets (shared by link) keep their grades; their quizzes end.
    end_quizzes_on(StudySet.objects.filter(Q(owner=user) | Q(team__in=solo)))
    solo.delete()
    # The reviews first, in one statement: deleting the quiz items they point at would
    # otherwise first set each review's link to NULL.
    Review.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).delete()
