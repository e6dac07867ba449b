"""Reads about teams, always scoped to the person asking."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Invitation, Membership, Team, User


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
    if not user.is_authenticated:
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


def open_invitations(*, team: Team) -> QuerySet[Invitation]:
    """Invitations an owner may still want to see or revoke: not revoked, and not expired
    for more than a month (older ones are history, not something to manage)."""
    cutoff = timezone.now() - timedelta(days=30)
    return (
        Invitation.objects.filter(team=team, revoked_at__isnull=True, expires_at__gt=cutoff)
        .select_related("created_by")
        .order_by("-created_at")[:INVITATIONS_SHOWN]
    )


def curated_teams(*, user: User) -> QuerySet[Team]:
    """Teams where `user` may create and edit sets (owner or curator)."""
    return Team.objects.filter(
        memberships__user=user,
        memberships__role__in=[Membership.Role.OWNER, Membership.Role.CURATOR],
    ).order_by("name", "pk")
