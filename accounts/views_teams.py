"""Team pages: list and create, the team page, members and roles, invitations, the dashboard.

Outsiders get 404 on every team URL (a team's existence is not revealed); members who try an
owner's action get 403 (they already know the team exists).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import invitation_mail, services
from accounts.models import Invitation, Membership, Team
from accounts.selectors import membership_for, open_invitations, team_members, teams_for_user
from accounts.submissions import once_per_form
from config.allowance import take_slot
from config.forms import TextareaField
from qa.selectors.cards import MAX_ID
from qa.selectors.sets import share_percent, team_dashboard, team_sets

Role = Membership.Role

# The fewest people whose study a figure shown to a plain member may come from.
BLENDED = 3
MEMBERS_PER_PAGE = 100

# Mails to addresses an owner types: enough to invite a class, not to send mail to strangers
# in bulk through the site.
INVITATION_MAILS_PER_HOUR = 30


def _get_team_for_user(request: HttpRequest, pk: int, *, owner: bool = False) -> Membership:
    """The requester's membership of team `pk` (with the team); 404 for non-members, 403 for
    members asking for an owner's action."""
    membership = membership_for(user=request.user, team_id=pk)
    if membership is None:
        raise Http404
    if owner and membership.role != Role.OWNER:
        raise PermissionDenied
    return membership


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    description = TextareaField(
        label=gettext_lazy("Description"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices,
                             initial=Role.MEMBER)
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1,
        max_value=services.INVITATION_MAX_DAYS, initial=7,
    )
    max_uses = forms.IntegerField(
        label=gettext_lazy("Number of uses"), min_value=1,
        max_value=services.INVITATION_MAX_USES, initial=1,
    )
    email = forms.EmailField(
        label=gettext_lazy("Email it to (optional)"), required=False,
        help_text=gettext_lazy("We send the link to this address. Anyone holding the link can "
                               "use it, so share it only with the people you invite."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


# --- List and create --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            team = services.create_team(
                user=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
            messages.success(request, _("Team created. Invite people with a link below."))
            return redirect("accounts:team", pk=team.pk)
        status = 400
    else:
        status = 200
    teams = list(teams_for_user(user=request.user))
    return render(request, "accounts/team_list.html", {"teams": teams, "form": form},
                  status=status)


# --- The team page ----------------------------------------------------------------------------


def _invite_url(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(reverse("accounts:invite-accept", args=[invitation.token]))


def _team_page(request: HttpRequest, membership: Membership, *, invite_form=None,
               status: int = 200) -> HttpResponse:
    team = membership.team
    is_owner = membership.role == Role.OWNER
    context = {
        "team": team,
        "membership": membership,
        "is_owner": is_owner,
        # The only owner cannot leave (services.leave_team): the page says so up front.
        "sole_owner": is_owner and not services.other_owners_exist(team=team,
                                                                   excluding=membership),
        "can_curate": membership.can_curate,
        # A page of members, each with the owner's forms: a team of thousands stays a page.
        "members": Paginator(team_members(team=team), MEMBERS_PER_PAGE).get_page(
            request.GET.get("members")),
        "sets": list(team_sets(team=team, membership=membership)),
        "roles": Role.choices,
    }
    if is_owner:
        now = timezone.now()
        invitations = list(open_invitations(team=team))
        for invitation in invitations:
            invitation.problem = services.invitation_problem(invitation, now=now)
            invitation.url = _invite_url(request, invitation)
            invitation.link_id = f"invite-link-{invitation.pk}"
        context["invitations"] = invitations
        context["invite_form"] = invite_form or InvitationForm()
    return render(request, "accounts/team_detail.html", context, status=status)


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, _get_team_for_user(request, pk))


def _member_of(request: HttpRequest, team: Team, membership_pk: int) -> Membership | None:
    """The team's membership `membership_pk`; None, with a message, if it is gone (removed
    meanwhile, or a removal sent twice). An id of another team's membership is answered as
    one that is gone: what other teams hold is not told."""
    membership = (Membership.objects.select_related("team", "user")
                  .filter(pk=min(membership_pk, MAX_ID), team=team).first())
    if membership is None:
        messages.info(request, _("This person is no longer in the team."))
    return membership


def _back_to_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The team page at the page of members the owner's form was on (not the first of many)."""
    url = reverse("accounts:team", args=[pk])
    page = request.POST.get("members", "")
    if page.isascii() and page.isdigit() and 1 < int(page) < 10**6:
        url = f"{url}?members={int(page)}#members"
    return redirect(url)


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk, owner=True)
    target = _member_of(request, mine.team, membership_pk)
    if target is None:
        return _back_to_members(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return _back_to_members(request, pk)
    try:
        revoked = services.change_role(actor=request.user, membership=target,
                                       role=form.cleaned_data["role"])
    except services.TeamError as exc:
        messages.error(request, exc.message)
        return _back_to_members(request, pk)
    role = Role(form.cleaned_data["role"]).label
    if target.user_id == request.user.pk:
        messages.success(request, _("Your role in %(team)s is now: %(role)s.") % {
            "role": role, "team": mine.team.name})
    else:
        messages.success(request, _("%(name)s’s role is now: %(role)s.") % {
            "name": target.user.public_name, "role": role})
    _say_links_revoked(request, revoked, target)
    return _back_to_members(request, pk)


def _say_links_revoked(request: HttpRequest, revoked: int, target: Membership) -> None:
    if revoked:
        messages.warning(request, services.links_revoked_message(
            revoked, name=target.user.public_name))


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk, owner=True)
    target = _member_of(request, mine.team, membership_pk)
    if target is None:
        return _back_to_members(request, pk)
    try:
        revoked = services.remove_member(actor=request.user, membership=target)
    except services.TeamError as exc:
        messages.error(request, exc.message)
        return _back_to_members(request, pk)
    if target.user_id == request.user.pk:
        messages.success(request, _("You left %(team)s.") % {"team": mine.team.name})
        return redirect("accounts:team-list")
    messages.success(request, _("%(name)s was removed from the team.") % {
        "name": target.user.public_name})
    _say_links_revoked(request, revoked, target)
    return _back_to_members(request, pk)


@login_required
@require_POST
def team_leave(request: HttpRequest, pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk)
    try:
        services.leave_team(user=request.user, team=mine.team)
    except services.TeamError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:team", pk=pk)
    messages.success(request, _("You left %(team)s.") % {"team": mine.team.name})
    return redirect("accounts:team-list")


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = _get_team_for_user(request, pk, owner=True).team
    initial = {"name": team.name, "description": team.description}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_team(actor=request.user, team=team, **form.cleaned_data)
        except services.TeamError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Team details saved."))
            return redirect("accounts:team", pk=team.pk)
    return render(request, "accounts/team_edit.html", {"team": team, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk, owner=True)
    team = mine.team
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() == team.name:
            name = team.name
            services.delete_team(actor=request.user, team=team)
            messages.success(request, _("The team %(team)s was deleted.") % {"team": name})
            return redirect("accounts:team-list")
        messages.error(request, _("Type the team's name exactly to delete it."))
    return render(request, "accounts/team_delete.html", {
        "team": team,
        "set_count": team.study_sets.count(),
    }, status=400 if request.method == "POST" else 200)


# --- Invitations ------------------------------------------------------------------------------


@login_required
@require_POST
@once_per_form
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk, owner=True)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _team_page(request, mine, invite_form=form, status=400)
    data = form.cleaned_data
    try:
        invitation = services.create_invitation(
            actor=request.user,
            team=mine.team,
            role=data["role"],
            expires_at=timezone.now() + timedelta(days=data["days"]),
            max_uses=data["max_uses"],
            email=data["email"],
        )
    except services.TeamError as exc:
        form.add_error(None, str(exc))
        return _team_page(request, mine, invite_form=form, status=400)
    if invitation.email and not take_slot(action="invitation-mail", who=request.user.pk,
                                          limit=INVITATION_MAILS_PER_HOUR):
        messages.warning(request, _(
            "The invitation was created, but you have sent %(n)d invitation emails in the last "
            "hour, so it was not mailed. Copy the link from the list below and send it "
            "yourself.") % {"n": INVITATION_MAILS_PER_HOUR})
    elif invitation.email:
        # Mailed once the invitation is committed: the team stays locked no longer than the
        # insert takes, and no mail carries a link to an invitation that was rolled back.
        accept_url = _invite_url(request, invitation)
        transaction.on_commit(
            lambda: invitation_mail.send_and_tell(request, invitation, accept_url))
    else:
        messages.success(request, _("Invitation link created. Copy it from the list below."))
    return redirect(f"{reverse('accounts:team', args=[pk])}#invitations")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk, owner=True)
    invitation = get_object_or_404(Invitation, pk=invitation_pk, team=mine.team)
    dead = services.invitation_problem(invitation)  # it worked no more before
    services.revoke_invitation(actor=request.user, invitation=invitation)
    messages.success(request, _("The link is off the list.") if dead
                     else _("The invitation link no longer works."))
    return redirect(f"{reverse('accounts:team', args=[pk])}#invitations")


@login_required
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Unknown tokens are 404; known but expired, used-up or revoked ones are 410 Gone with a
    page saying which, so the person knows to ask for a new link."""
    invitation = services.find_invitation(token)
    if invitation is None:
        raise Http404
    if request.method == "POST":
        try:
            result = services.accept_invitation(user=request.user, token=token)
        except Invitation.DoesNotExist:
            raise Http404 from None
        except services.InvitationError as exc:
            return render(request, "accounts/team_invite.html",
                          {"invitation": invitation, "problem": exc.message}, status=410)
        if result.joined:
            messages.success(request, _("Welcome to %(team)s!") % {"team": invitation.team.name})
        elif result.upgraded:
            messages.success(request, _("Your role in %(team)s is now: %(role)s.") % {
                "team": invitation.team.name, "role": result.membership.get_role_display()})
        else:
            messages.info(request, _("You are already in %(team)s.") % {
                "team": invitation.team.name})
        return redirect("accounts:team", pk=invitation.team_id)

    membership = membership_for(user=request.user, team_id=invitation.team_id)
    already = membership is not None and (
        services.ROLE_RANK[membership.role] >= services.ROLE_RANK[invitation.role]
    )
    if already:
        return render(request, "accounts/team_invite.html",
                      {"invitation": invitation, "membership": membership, "already": True})
    reason = services.invitation_problem(invitation, user=request.user)
    if reason:
        return render(request, "accounts/team_invite.html",
                      {"invitation": invitation,
                       "problem": services.invitation_problem_message(
                           reason, member=membership is not None)}, status=410)
    return render(request, "accounts/team_invite.html",
                  {"invitation": invitation, "membership": membership})


# --- Dashboard --------------------------------------------------------------------------------


def _report_url(question) -> str | None:
    try:
        return reverse("qa:report-create", kwargs={"key": question.key})
    except NoReverseMatch:
        return None


def _admin_queue_url() -> str:
    try:
        return reverse("admin:qa_errorreport_changelist")
    except NoReverseMatch:
        return "/admin/qa/errorreport/"


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    mine = _get_team_for_user(request, pk)
    # Each member's own record is for owners and curators. A plain member sees the team's
    # figures only where they blend at least BLENDED people besides that member: where one
    # person has started a set, "1 / 3 started" and its progress are that person's record,
    # whatever the team's size, as is a weak spot one person graded; and the member's own
    # part, taken out, would leave the others' bare.
    blended = 0 if mine.can_curate else BLENDED
    board = team_dashboard(team=mine.team, membership=mine, min_people=blended)
    member_count = len(board.members)
    staff = request.user.is_staff and request.user.has_perm("qa.view_errorreport")
    admin_queue = _admin_queue_url() if staff else None
    spots = {id(s): s for s in [*board.by_again, *board.by_retrievability]}
    for spot in spots.values():
        spot.question_url = spot.question.get_absolute_url()
        spot.queue_url = (f"{admin_queue}?question__id__exact={spot.question.pk}"
                          if admin_queue else None)
        spot.report_url = None if staff else _report_url(spot.question)
    rows = []
    for progress in board.sets:
        done = sum(progress.by_member.values())
        possible = progress.total * member_count
        rows.append({
            "progress": progress,
            "team_figures": progress.started_besides(request.user.pk) >= blended,
            "team_percent": share_percent(done, possible),
            "mine": progress.reviewed_by(request.user.pk),
        })
    member_rows, member_page = [], None
    if mine.can_curate:
        # Each member's own progress is for the team's owners and curators only, a page of
        # members at a time.
        member_page = Paginator(board.members, MEMBERS_PER_PAGE).get_page(
            request.GET.get("members"))
        member_rows = [
            {"membership": m,
             "cells": [(p.reviewed_by(m.user_id), p.total) for p in board.sets]}
            for m in member_page
        ]
    return render(request, "accounts/team_dashboard.html", {
        "team": mine.team,
        "membership": mine,
        "can_see_members": mine.can_curate,
        "board": board,
        "rows": rows,
        "member_rows": member_rows,
        "member_page": member_page,
        "member_count": member_count,
        "held_back": not mine.can_curate,
        "too_small": not mine.can_curate and member_count - 1 < BLENDED,
        "sets_held_back": any(not row["team_figures"] for row in rows),
        "any_team_figures": any(row["team_figures"] for row in rows),
        "blended": BLENDED,
    })
