"""The study-set pages: the list of sets, creating, editing and deleting one, a set's page and
sharing it by link (its list's editing: qa.views.sets.items)."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team
from accounts.submissions import once_per_form
from qa.models import StudySet
from qa.selectors import sets as selectors
from qa.selectors.sets import SetAccess
from qa.services import sets as services
from qa.views.sets.access import _get_set_for_user
from qa.views.sets.forms import NewSetForm, SetForm

Visibility = StudySet.Visibility


# --- List, create, edit, delete ---------------------------------------------------------------


@login_required
@require_GET
def set_list(request: HttpRequest) -> HttpResponse:
    sets = list(selectors.readable_sets(user=request.user))
    personal = [s for s in sets if s.owner_id == request.user.pk]
    by_team: dict[int, tuple[Team, list[StudySet]]] = {}
    for s in sets:
        if s.team_id:
            by_team.setdefault(s.team_id, (s.team, []))[1].append(s)
    return render(request, "qa/set_list.html", {
        "personal": personal,
        "team_groups": list(by_team.values()),
    })


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form
def set_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.GET.get("team", ""), "visibility": Visibility.PRIVATE}
    if initial["owner"]:
        initial["visibility"] = Visibility.TEAM
    form = NewSetForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        study_set = services.create_set(
            user=request.user, title=data["title"], description=data["description"],
            team=data["team"], visibility=data["visibility"],
        )
        messages.success(request, _("Set created. Now add questions to it."))
        return redirect("qa:set-add", pk=study_set.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "qa/set_form.html", {"form": form, "creating": True}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def set_edit(request: HttpRequest, pk: int) -> HttpResponse:
    study_set = _get_set_for_user(request, pk, edit=True).study_set
    form = SetForm(request.POST or None, initial={
        "title": study_set.title, "description": study_set.description,
        "visibility": study_set.visibility,
    })
    if study_set.team_id is None:
        form.fields["visibility"].choices = [
            c for c in Visibility.choices if c[0] != Visibility.TEAM
        ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_set(study_set=study_set, title=data["title"],
                                description=data["description"],
                                visibility=data["visibility"])
        except services.SetError as exc:
            form.add_error("visibility", exc.message)
        else:
            messages.success(request, _("Set saved."))
            return redirect("qa:set", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "qa/set_form.html", {"form": form, "study_set": study_set},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def set_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    study_set = access.study_set
    if request.method == "POST":
        services.delete_set(study_set=study_set)
        messages.success(request, _("The set “%(title)s” was deleted.") % {
            "title": study_set.title})
        if study_set.team_id:
            return redirect("accounts:team", pk=study_set.team_id)
        return redirect("qa:set-list")
    return render(request, "qa/set_delete.html", {"study_set": study_set})


# --- The set page -----------------------------------------------------------------------------


def set_context(access: SetAccess) -> dict:
    """What the set's list of questions is drawn from (the page, or the list alone)."""
    study_set = access.study_set
    items = list(selectors.set_items(study_set=study_set))
    if items:
        items[0].first, items[-1].last = True, True
    return {
        "study_set": study_set,
        "can_edit": access.can_edit,
        "items": items,
        "item_count": len(items),
        "version": list_version([item.pk for item in items]),
    }


def list_version(shown: list[int]) -> str:
    """A short fingerprint of the list a page shows (its items' pks, in order). The list's
    forms send the one their page was last drawn with; a change made elsewhere since (another
    editor, another tab, a question retired) shows as another fingerprint."""
    return hashlib.sha1(",".join(map(str, shown)).encode()).hexdigest()[:12]  # noqa: S324


def set_page_context(request: HttpRequest, access: SetAccess) -> dict:
    context = set_context(access)
    if access.can_edit:
        context["hidden_items"] = list(selectors.hidden_set_items(study_set=access.study_set))
        if access.study_set.share_token:
            context["share_url"] = request.build_absolute_uri(
                reverse("qa:set-shared", args=[access.study_set.share_token])
            )
    return context


@login_required
@require_GET
def set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk)
    return render(request, "qa/set_detail.html", set_page_context(request, access))


@login_required
@require_POST
def set_share(request: HttpRequest, pk: int) -> HttpResponse:
    study_set = _get_set_for_user(request, pk, edit=True).study_set
    action = request.POST.get("action")
    if action == "share":
        services.share_by_link(study_set=study_set)
        messages.success(request, _("Anyone with the link can now read this set."))
    elif action == "regenerate":
        services.share_by_link(study_set=study_set, regenerate=True)
        messages.success(request, _("New link created; the old one no longer works."))
    elif action == "revoke":
        services.revoke_link(study_set=study_set)
        messages.success(request, _("The link no longer works."))
    else:
        return HttpResponse(_("Unknown action."), status=400)
    return redirect(reverse("qa:set", args=[pk]) + "#share")
