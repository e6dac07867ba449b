"""Editing a set's list of questions on its page: moving, removing and annotating an item.

Without JavaScript each form posts and comes back to the page. With HTMX a change answers with
only the items it changed (the list of a large set runs to megabytes): each item's forms
target their own <li>; what else the change touches on the page comes out-of-band (the count
and the Study button above the list, the items whose ↑/↓ now lead nowhere, the list's
fingerprint). Focus stays where the editor works. A change the page cannot follow in place
answers with the whole list: the list emptied, the item gone, or the page out of date (the
fingerprint its forms send is not the list's: another editor or tab changed it). A move on an
out-of-date page is not made, since the item it would pass may not be the one the page shows.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from qa.models import SetItem
from qa.selectors import sets as selectors
from qa.selectors.sets import SetAccess
from qa.services import sets as services
from qa.views.sets.access import _get_set_for_user
from qa.views.sets.pages import list_version, set_context, set_page_context

NoteError = tuple[int, str, str]  # (item pk, message, what was typed)


def _shown_ids(access: SetAccess) -> list[int]:
    return list(selectors.set_items(study_set=access.study_set).values_list("pk", flat=True))


def _out_of_date(request: HttpRequest, access: SetAccess, shown: list[int] | None = None) -> bool:
    """Whether the page that sent the form shows another list than the set's (`shown`: its
    pks, when the caller has them; read only when the page sent its fingerprint)."""
    sent = request.POST.get("version")
    if not sent:
        return False
    return sent != list_version(_shown_ids(access) if shown is None else shown)


def _with_note_error(items, note_error: NoteError | None) -> None:
    for item in items:
        if note_error and item.pk == note_error[0]:
            item.note_error, item.note_draft = note_error[1:]


def _list_response(request: HttpRequest, access: SetAccess, *, status: int = 200,
                   note_error: NoteError | None = None, **extra) -> HttpResponse:
    context = {**set_context(access), **extra}
    _with_note_error(context["items"], note_error)
    response = render(request, "qa/set_detail.html#items", context, status=status)
    return reswap(retarget(response, "#set-items"), "outerHTML")


def _items_fragment(request: HttpRequest, access: SetAccess, shown: list[int], *,
                    main: list[int], oob: list[int] = (), gone: list[int] = (),
                    count: bool = False, status: int = 200,
                    note_error: NoteError | None = None, **extra) -> HttpResponse:
    """The items `main` (item pks, replacing the <li> that asked), items `oob` redrawn
    out-of-band and `gone` removed, drawn with their place among `shown` (the pks of the
    items the list holds now, in order) and, with `count`, the count and Study button."""
    wanted = {*main, *oob}
    by_pk = {item.pk: item for item in
             selectors.set_items(study_set=access.study_set).filter(pk__in=wanted)}
    for item in by_pk.values():
        item.first, item.last = item.pk == shown[0], item.pk == shown[-1]
        item.oob = item.pk not in main
    _with_note_error(by_pk.values(), note_error)
    context = {
        "study_set": access.study_set,
        "can_edit": access.can_edit,
        "main": [by_pk[pk] for pk in main if pk in by_pk],
        "oob": [by_pk[pk] for pk in dict.fromkeys(oob) if pk in by_pk and pk not in main],
        "gone": gone,
        "item_count": len(shown),
        "count": count,
        "version": list_version(shown),
        **extra,
    }
    return render(request, "qa/set_detail.html#changed_items", context, status=status)


def _after_change(access: SetAccess, anchor: str) -> HttpResponse:
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
    if request.htmx and _out_of_date(request, access):
        return _list_response(request, access, status=409, list_error=_(
            "The list changed since this page showed it (another editor, or another tab). "
            "Here it is as it is now: nothing was moved."))
    services.move_item(item=item, direction=direction)
    if not request.htmx:
        return _after_change(access, f"#item-{item.pk}")
    shown = _shown_ids(access)
    if item.pk not in shown:
        return _list_response(request, access)
    # The item and the one it passed trade places: both are drawn again, in their new order,
    # in place of the item (the other's old <li> goes). Focus stays on the button just used,
    # so it can be pressed again to move the item further; on the other arrow when the item
    # reached the end that button leads to.
    place = shown.index(item.pk)
    passed = place + 1 if direction == "up" else place - 1
    pair = shown[min(place, passed):max(place, passed) + 1] if 0 <= passed < len(shown) else [
        item.pk]
    at_end = place == (0 if direction == "up" else len(shown) - 1)
    button = {"up": "down", "down": "up"}[direction] if at_end else direction
    return _items_fragment(request, access, shown, main=pair,
                           gone=[pk for pk in pair if pk != item.pk], focus=(item.pk, button))


@login_required
@require_POST
def set_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = SetItem.objects.select_related("study_set").filter(
        pk=item_pk, study_set=access.study_set).first()
    before = _shown_ids(access) if request.htmx else []
    if item is not None:  # a second click on "remove" finds nothing left to do
        services.remove_item(item=item)
    if not request.htmx:
        return _after_change(access, "#items")
    shown = _shown_ids(access)
    if not shown or _out_of_date(request, access, before):
        return _list_response(request, access)
    # The item's <li> goes; the first and the last item are redrawn, in case they are new in
    # that place and their ↑ or ↓ now leads nowhere, and the one that takes its place, whose
    # Remove takes the focus.
    place = before.index(item_pk) if item_pk in before else len(before)
    after = [pk for pk in before[place + 1:] if pk in shown] or [
        pk for pk in before[:place] if pk in shown][-1:]
    focus = after[0] if after else shown[0]
    return _items_fragment(request, access, shown, main=[], oob=[shown[0], shown[-1], focus],
                           count=True, focus=(focus, "remove"))


@login_required
@require_POST
def set_item_note(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = _get_item(access, item_pk)
    if "note" not in request.POST:
        return HttpResponseBadRequest(_("The form is incomplete; reload the page."))
    note = request.POST["note"]
    stale = request.htmx and _out_of_date(request, access)
    error = ""
    try:
        services.set_item_note(item=item, note=note)
    except services.SetError as exc:
        error = exc.message
    note_error = (item.pk, error, note) if error else None
    status = 400 if error else 200
    if not request.htmx:
        if not error:
            return _after_change(access, f"#item-{item.pk}")
        # The set as it is, with this item's note form open on what was typed and the reason.
        context = set_page_context(request, access)
        _with_note_error(context["items"], note_error)
        return render(request, "qa/set_detail.html", context, status=status)
    shown = _shown_ids(access)
    if stale or item.pk not in shown:  # the list as it is now
        return _list_response(request, access, status=status, note_error=note_error,
                              focus=(item.pk, "note"))
    return _items_fragment(request, access, shown, main=[item.pk], status=status,
                           note_error=note_error, focus=(item.pk, "note"))
