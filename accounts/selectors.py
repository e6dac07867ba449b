"""Reads about teams, always scoped to the person asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Invitation, Membership, Team, User
from qa.selectors.cards import MAX_ID


def teams_for_user(*, user: User) -> QuerySet[Team]:
    """The teams `user` belongs to, each with `my_role`, `member_count` and `set_count` (the
    sets `user` sees there: a plain member does not see the curators' drafts)."""
    from qa.models import StudySet
    from qa.selectors.sets import CURATOR_ROLES, MEMBER_VISIBLE

    role = Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1]
    members = (
        Membership.objects.filter(team=OuterRef("pk"))
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def sets(**filters) -> Subquery:
        return Subquery(
            StudySet.objects.filter(team=OuterRef("pk"), **filters)
            .order_by()
            .values("team")
            .annotate(n=Count("pk"))
            .values("n")
        )

    return (
        Team.objects.filter(memberships__user=user)
        .annotate(my_role=Subquery(role), member_count=Coalesce(Subquery(members), 0))
        .annotate(set_count=Coalesce(
            Case(When(my_role__in=CURATOR_ROLES, then=sets()),
                 default=sets(visibility__in=MEMBER_VISIBLE)),
            0,
        ))
        .order_by("name", "pk")
    )


def membership_for(*, user: User, team_id: int) -> Membership | None:
    """`user`'s membership of team `team_id` (with the team), or None for outsiders."""
    if not user.is_authenticated or team_id > MAX_ID:
        return None
    return (
        Membership.objects.select_related("team").filter(user=user, team_id=team_id).first()
    )


def team_members(*, team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("joined_at", "pk")
    )


INVITATIONS_SHOWN = 50


def _usable(now) -> Q:
    return Q(expires_at__gt=now, uses__lt=F("max_uses"))


def working_invitations(*, team_id: int, now) -> QuerySet[Invitation]:
    """The team's invitation links that still work: not revoked, not expired, uses left."""
    return Invitation.objects.filter(_usable(now), team_id=team_id, revoked_at__isnull=True)


def open_invitations(*, team: Team) -> QuerySet[Invitation]:
    """Invitations an owner may still want to see or revoke: not revoked, and not expired
    for more than a month (older ones are history, not something to manage). Those that can
    still be used come first, so one is never pushed off the list by used-up ones."""
    now = timezone.now()
    cutoff = now - timedelta(days=30)
    usable = _usable(now)
    return (
        Invitation.objects.filter(team=team, revoked_at__isnull=True, expires_at__gt=cutoff)
        .select_related("created_by")
        .annotate(spent=Case(When(usable, then=Value(0)), default=Value(1)))
        .order_by("spent", "-created_at")[:INVITATIONS_SHOWN]
    )


def curated_teams(*, user: User) -> QuerySet[Team]:
    """Teams where `user` may create and edit sets (owner or curator)."""
    return Team.objects.filter(
        memberships__user=user,
        memberships__role__in=[Membership.Role.OWNER, Membership.Role.CURATOR],
    ).order_by("name", "pk")


@dataclass(frozen=True)
class AccountClosing:
    """What deleting `user`'s account would do, or why it may not happen yet."""

    # Staff, or an account with editorial history (revisions, decided reports), which names it:
    # closed by an administrator, in the admin.
    by_administrator: bool
    # Revisions of the bank or decided reports name the account: it is deactivated, never
    # deleted, so they go on naming it.
    editorial: bool
    # Teams `user` is the last owner of, with other members: they would be left without one.
    blocking_teams: list[Team]
    # Teams `user` alone belongs to: they go with the account, with their sets.
    solo_teams: list[Team]
    counts: dict[str, int]

    @property
    def allowed(self) -> bool:
        return not self.by_administrator and not self.blocking_teams

    @property
    def holds_anything(self) -> bool:
        return bool(self.solo_teams) or any(self.counts.values())


def account_closing(*, user: User) -> AccountClosing:
    """What deleting `user`'s account would remove (counts of what they own), and whether it
    may happen: a team must keep an owner, as when its last owner tries to leave."""
    from qa.models import Bookmark, ErrorReport, Note, Question, Review, StudySet

    other_owners = Membership.objects.filter(
        team=OuterRef("team"), role=Membership.Role.OWNER
    ).exclude(user=user)
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("team")
        .annotate(members=_count(Membership, "team", OuterRef("team")),
                  other_owner=Exists(other_owners))
        .order_by("team__name", "team__pk")
    )
    blocking = [m.team for m in memberships if m.members > 1
                and m.role == Membership.Role.OWNER and not m.other_owner]
    names = {"reviews": (Review, "user"), "notes": (Note, "user"),
             "bookmarks": (Bookmark, "user"), "reports": (ErrorReport, "reporter"),
             "sets": (StudySet, "owner")}
    totals = (
        User.objects.filter(pk=user.pk)
        .values(**{f"n_{name}": _count(model, field) for name, (model, field) in names.items()})
        .get()
    )
    editorial = (
        Question.history.filter(history_user=user).exists()
        or ErrorReport.objects.filter(resolved_by=user).exists()
    )
    return AccountClosing(
        by_administrator=user.is_staff or user.is_superuser or editorial,
        editorial=editorial,
        blocking_teams=blocking,
        solo_teams=list(teams_of_one(user=user).order_by("name", "pk")),
        counts={name: totals[f"n_{name}"] or 0 for name in names},
    )


def teams_of_one(*, user: User) -> QuerySet[Team]:
    """The teams `user` alone belongs to: theirs, and gone with their account."""
    return (Team.objects.filter(pk__in=Membership.objects.filter(user=user).values("team"))
            .annotate(member_count=Count("memberships")).filter(member_count=1))


def _count(model, field: str, outer: OuterRef | None = None) -> Subquery:
    """The number of `model` rows whose `field` is the outer row (or `outer`)."""
    return Subquery(
        model.objects.filter(**{field: outer or OuterRef("pk")}).order_by().values(field)
        .annotate(n=Count("pk")).values("n")
    )
