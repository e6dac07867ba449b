"""The study-set pages: the list of sets, creating, editing and deleting one, and a set's page
with what its editors do there (reorder, remove and annotate items, share by link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from accounts.models import Team
from accounts.submissions import once_per_form
from qa.models import SetItem, StudySet
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


def _set_context(access: SetAccess) -> dict:
    study_set = access.study_set
    items = list(selectors.set_items(study_set=study_set))
    if items:
        items[0].first, items[-1].last = True, True
    return {
        "study_set": study_set,
        "can_edit": access.can_edit,
        "items": items,
        "item_count": len(items),
    }


def _set_page_context(request: HttpRequest, access: SetAccess) -> dict:
    context = _set_context(access)
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
    return render(request, "qa/set_detail.html", _set_page_context(request, access))


# An editor's change to the list answers HTMX with only the items it changed (the list of a
# large set runs to megabytes): each item's forms target their own <li>; what else the change
# touches on the page comes out-of-band (the count and the Study button above the list, the
# items whose ↑/↓ a change made the first or the last). A change the page cannot follow in
# place (the list emptied, an item it shows is gone) answers with the whole list.


def _list_response(request: HttpRequest, access: SetAccess, *, status: int = 200,
                   **extra) -> HttpResponse:
    context = {**_set_context(access), **extra}
    response = render(request, "qa/set_detail.html#items", context, status=status)
    return reswap(retarget(response, "#set-items"), "outerHTML")


def _items_fragment(request: HttpRequest, access: SetAccess, shown: list[int], *,
                    main: list[int], oob: list[int] = (), gone: list[int] = (),
                    count: bool = False, status: int = 200,
                    note_error: tuple[int, str, str] | None = None, **extra) -> HttpResponse:
    """The items `main` (item pks, replacing the <li> that asked), items `oob` redrawn
    out-of-band and `gone` removed, drawn with their place among `shown` (the pks of the
    items the page lists, in order) and, with `count`, the count and Study button.
    `note_error`: (item pk, message, what was typed) for a refused note."""
    wanted = {*main, *oob}
    by_pk = {item.pk: item for item in
             selectors.set_items(study_set=access.study_set).filter(pk__in=wanted)}
    for item in by_pk.values():
        item.first, item.last = item.pk == shown[0], item.pk == shown[-1]
        item.oob = item.pk not in main
    if note_error and note_error[0] in by_pk:
        by_pk[note_error[0]].note_error, by_pk[note_error[0]].note_draft = note_error[1:]
    context = {
        "study_set": access.study_set,
        "can_edit": access.can_edit,
        "main": [by_pk[pk] for pk in main if pk in by_pk],
        "oob": [by_pk[pk] for pk in dict.fromkeys(oob) if pk in by_pk and pk not in main],
        "gone": gone,
        "item_count": len(shown),
        "count": count,
        **extra,
    }
    return render(request, "qa/set_detail.html#changed_items", context, status=status)


def _shown_ids(access: SetAccess) -> list[int]:
    return list(selectors.set_items(study_set=access.study_set).values_list("pk", flat=True))


def _after_change(request: HttpRequest, access: SetAccess, anchor: str) -> HttpResponse:
    """Without HTMX, back to the set's page where the change was made."""
    return redirect(reverse("qa:set", args=[access.study_set.pk]) + anchor)


def _get_item(access: SetAccess, item_pk: int) -> SetItem:
    return get_object_or_404(
        SetItem.objects.select_related("study_set"), pk=item_pk, study_set=access.study_set
    )


@login_required
@require_POST
def set_item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = _get_item(access, item_pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse(_("Unknown direction."), status=400)
    services.move_item(item=item, direction=direction)
    if not request.htmx:
        return _after_change(request, access, f"#item-{item.pk}")
    shown = _shown_ids(access)
    if item.pk not in shown:
        return _list_response(request, access)
    # The item and the one it passed trade places: both are drawn again, in their new order,
    # in place of the item (the other's old <li> goes). Focus stays on the button just used,
    # so it can be pressed again to move the item further.
    place = shown.index(item.pk)
    passed = place + 1 if direction == "up" else place - 1
    pair = shown[min(place, passed):max(place, passed) + 1] if 0 <= passed < len(shown) else [
        item.pk]
    return _items_fragment(request, access, shown, main=pair,
                           gone=[pk for pk in pair if pk != item.pk],
                           focus=(item.pk, direction))


@login_required
@require_POST
def set_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = SetItem.objects.select_related("study_set").filter(
        pk=item_pk, study_set=access.study_set).first()
    if item is not None:  # a second click on "remove" finds nothing left to do
        services.remove_item(item=item)
    if not request.htmx:
        return _after_change(request, access, "#items")
    shown = _shown_ids(access)
    if not shown:
        return _list_response(request, access)
    # The item's <li> goes; the first and the last item are redrawn, in case they are new
    # in that place and their ↑ or ↓ now leads nowhere.
    return _items_fragment(request, access, shown, main=[], oob=[shown[0], shown[-1]],
                           count=True)


@login_required
@require_POST
def set_item_note(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = _get_item(access, item_pk)
    if "note" not in request.POST:
        return HttpResponseBadRequest(_("The form is incomplete; reload the page."))
    note = request.POST["note"]
    error = ""
    try:
        services.set_item_note(item=item, note=note)
    except services.SetError as exc:
        error = exc.message
    if not error and not request.htmx:
        return _after_change(request, access, f"#item-{item.pk}")
    if not request.htmx:
        # The set as it is, with this item's note form open on what was typed and the reason.
        context = _set_page_context(request, access)
        for shown in context["items"]:
            if shown.pk == item.pk:
                shown.note_error, shown.note_draft = error, note
        return render(request, "qa/set_detail.html", context, status=400)
    shown = _shown_ids(access)
    if item.pk not in shown:  # gone from the list meanwhile: the list as it is now
        return _list_response(request, access)
    return _items_fragment(request, access, shown, main=[item.pk], status=400 if error else 200,
                           note_error=(item.pk, error, note) if error else None)


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
