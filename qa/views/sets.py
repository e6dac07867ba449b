"""Study sets: list, create, edit, fill (search, section, bookmarks, one question), reorder,
notes, sharing by link, copying, studying, export and import.

Every id URL goes through `_get_set_for_user`, which applies the visibility rules of
qa.selectors.sets and answers 404 to anyone who may not see the set. A link-shared set is
readable by anyone, but only through /s/<token>/.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team
from accounts.selectors import curated_teams
from qa import exporters
from qa.models import Bank, Bookmark, Question, Section, SetItem, StudySet
from qa.selectors import sets as selectors
from qa.selectors.bank import search_questions
from qa.selectors.sets import SetAccess
from qa.services import sets as services
from qa.views.navigation import safe_next

Visibility = StudySet.Visibility
SEARCH_LIMIT = 50
MAX_SELECTED = 200


def _get_set_for_user(request: HttpRequest, pk: int, *, edit: bool = False) -> SetAccess:
    """The set `pk` and what the requester may do with it: 404 unless they may see it
    through its id URL; 404 as well when `edit` is asked of a reader who is not a member,
    403 for a team member who may read but not edit."""
    access = selectors.set_for_user(user=request.user, set_id=pk)
    if access is None:
        raise Http404
    if edit and not access.can_edit:
        raise PermissionDenied
    return access


def _get_shared_set(token: str) -> StudySet:
    study_set = selectors.set_for_token(token=token)
    if study_set is None:
        raise Http404
    return study_set


def _owner_choices(user) -> list[tuple[str, str]]:
    teams = list(curated_teams(user=user))
    return [("", _("Me (a personal set)"))] + [
        (str(team.pk), _("Team: %(name)s") % {"name": team.name}) for team in teams
    ]


def _team_from_choice(user, value: str) -> Team | None:
    if not value:
        return None
    team = curated_teams(user=user).filter(pk=value).first()
    if team is None:
        raise forms.ValidationError(_("Choose one of the listed owners."))
    return team


class SetForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who can see it"), choices=Visibility.choices,
        help_text=gettext_lazy(
            "Private: only you (for a team's set: its owners and curators). Team: every "
            "member of the team. Anyone with the link: also people outside the team who "
            "have the set's secret link."
        ),
    )


class NewSetForm(SetForm):
    owner = forms.ChoiceField(label=gettext_lazy("Belongs to"), required=False)

    field_order = ["title", "owner", "description", "visibility"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].choices = _owner_choices(user)

    def clean(self):
        data = super().clean()
        try:
            data["team"] = _team_from_choice(self.user, data.get("owner") or "")
        except forms.ValidationError as exc:
            self.add_error("owner", exc)
            return data
        if data.get("visibility") == Visibility.TEAM and data["team"] is None:
            self.add_error("visibility", _("Only a team's set can be visible to a team."))
        return data


class _OwnerChoiceMixin:
    """An `owner` choice between the user's own sets and the teams they curate."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].choices = _owner_choices(user)

    def clean_owner(self):
        return _team_from_choice(self.user, self.cleaned_data.get("owner") or "")


class CopyForm(_OwnerChoiceMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title of the copy"),
                            max_length=services.TITLE_MAX)
    owner = forms.ChoiceField(label=gettext_lazy("Copy into"), required=False)


class ImportForm(_OwnerChoiceMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (.json or .csv)"),
        help_text=gettext_lazy("A set exported from this site, or a CSV with a \"key\" column "
                               "(and optionally \"note\"). At most 2 MB."),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"), required=False, max_length=services.TITLE_MAX,
        help_text=gettext_lazy("Leave empty to use the title in the file (or the file name)."),
    )
    owner = forms.ChoiceField(label=gettext_lazy("Belongs to"), required=False)


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
    return {
        "study_set": study_set,
        "can_edit": access.can_edit,
        "items": list(selectors.set_items(study_set=study_set)),
    }


@login_required
@require_GET
def set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk)
    context = _set_context(access)
    if access.can_edit and access.study_set.share_token:
        context["share_url"] = request.build_absolute_uri(
            reverse("qa:set-shared", args=[access.study_set.share_token])
        )
    return render(request, "qa/set_detail.html", context)


def _items_response(request: HttpRequest, access: SetAccess, anchor: str = "") -> HttpResponse:
    if request.htmx:
        return render(request, "qa/set_detail.html#items", _set_context(access))
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
    return _items_response(request, access, f"#item-{item.pk}")


@login_required
@require_POST
def set_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = SetItem.objects.select_related("study_set").filter(
        pk=item_pk, study_set=access.study_set).first()
    if item is not None:  # a second click on "remove" finds nothing left to do
        services.remove_item(item=item)
    return _items_response(request, access, "#items")


@login_required
@require_POST
def set_item_note(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    item = _get_item(access, item_pk)
    try:
        services.set_item_note(item=item, note=request.POST.get("note", ""))
    except services.SetError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=400)
        messages.error(request, exc.message)
    return _items_response(request, access, f"#item-{item.pk}")


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


# --- Filling a set ----------------------------------------------------------------------------


@login_required
@require_GET
def set_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = _get_set_for_user(request, pk, edit=True)
    sections = Section.objects.select_related("bank").order_by("bank__title", "position", "pk")
    return render(request, "qa/set_add.html", {
        "study_set": access.study_set,
        "sections": list(sections),
        "bookmark_count": Bookmark.objects.filter(
            user=request.user, question__status=Question.Status.PUBLISHED).count(),
    })


def _added_message(request: HttpRequest, added: int, offered: int) -> None:
    if added:
        messages.success(request, _("Added %(n)d questions.") % {"n": added})
    if offered > added:
        messages.info(request, _("%(n)d were already in the set.") % {"n": offered - added})
    if not offered:
        messages.info(request, _("There was nothing to add."))


def _add(request: HttpRequest, study_set: StudySet, questions: list[Question]) -> HttpResponse:
    try:
        added = services.add_questions(study_set=study_set, questions=questions)
    except services.SetError as exc:
        messages.error(request, exc.message)
        return redirect("qa:set-add", pk=study_set.pk)
    _added_message(request, added, len(questions))
    return redirect("qa:set", pk=study_set.pk)


@login_required
@require_POST
def set_add_section(request: HttpRequest, pk: int) -> HttpResponse:
    study_set = _get_set_for_user(request, pk, edit=True).study_set
    try:
        section = Section.objects.get(pk=int(request.POST.get("section", "")))
    except (ValueError, Section.DoesNotExist):
        messages.error(request, _("Choose a section."))
        return redirect("qa:set-add", pk=pk)
    questions = list(Question.objects.published().filter(section=section)
                     .order_by("number", "pk"))
    return _add(request, study_set, questions)


@login_required
@require_POST
def set_add_bookmarks(request: HttpRequest, pk: int) -> HttpResponse:
    study_set = _get_set_for_user(request, pk, edit=True).study_set
    questions = [
        b.question
        for b in Bookmark.objects.filter(user=request.user,
                                         question__status=Question.Status.PUBLISHED)
        .select_related("question").order_by("created_at", "pk")
    ]
    return _add(request, study_set, questions)


def _search(query: str):
    return search_questions(query=query, limit=SEARCH_LIMIT).results


def _target_choices(request: HttpRequest) -> list[tuple[str, str]]:
    choices = [
        (f"set:{s.pk}", f"{s.title} ({s.team.name})" if s.team_id else s.title)
        for s in selectors.editable_sets(user=request.user)
    ]
    choices += [
        ("new:" + value, _("New set for: %(owner)s") % {"owner": label})
        for value, label in _owner_choices(request.user)
    ]
    return choices


@login_required
@require_http_methods(["GET", "POST"])
def set_add_from_search(request: HttpRequest) -> HttpResponse:
    """Search the bank and add the ticked results to a set (an existing one or a new one)."""
    source = request.POST if request.method == "POST" else request.GET
    query = source.get("q", "").strip()[:200]
    target = source.get("target") or (f"set:{source['set']}" if source.get("set") else "")
    choices = _target_choices(request)
    errors: list[str] = []
    if request.method == "POST":
        try:
            ids = [int(v) for v in request.POST.getlist("question")][:MAX_SELECTED]
        except ValueError:
            ids = []
        title = request.POST.get("title", "").strip()
        study_set = None
        team = None
        if not ids:
            errors.append(_("Tick at least one question."))
        if target.startswith("set:"):
            try:
                access = selectors.set_for_user(user=request.user, set_id=int(target[4:]))
            except ValueError:
                access = None
            if access is None or not access.can_edit:
                errors.append(_("Choose one of your sets."))
            else:
                study_set = access.study_set
        elif target.startswith("new:"):
            if not title:
                errors.append(_("Give the new set a title."))
            try:
                team = _team_from_choice(request.user, target[4:])
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
                team = None
        else:
            errors.append(_("Choose where to add the questions."))
        if not errors:
            if study_set is None:
                study_set = services.create_set(user=request.user, title=title, team=team)
            added = services.add_question_ids(study_set=study_set, question_ids=ids)
            _added_message(request, added, len(ids))
            return redirect("qa:set", pk=study_set.pk)
    results = _search(query) if query else []
    selected = set(request.POST.getlist("question")) if request.method == "POST" else set()
    return render(request, "qa/set_add_search.html", {
        "query": query,
        "results": results,
        "choices": choices,
        "target": target,
        "selected": selected,
        "errors": errors,
        "title": request.POST.get("title", ""),
    }, status=400 if errors else 200)


def _question_sets_response(request: HttpRequest, question: Question) -> HttpResponse:
    return render(request, "qa/_question_sets.html", {
        "question": question,
        "question_sets": selectors.sets_for_question(user=request.user, question=question),
    })


@login_required
@require_POST
def set_question(request: HttpRequest) -> HttpResponse:
    """Add one question to (or remove it from) one of the user's sets: the question page's
    "add to one of my sets" form. HTMX swaps the form; without JS, back to the question."""
    question = get_object_or_404(Question.objects.published(),
                                 pk=_int_or_404(request.POST.get("question")))
    access = selectors.set_for_user(user=request.user,
                                    set_id=_int_or_404(request.POST.get("set")))
    if access is None:
        raise Http404
    if not access.can_edit:
        raise PermissionDenied
    action = request.POST.get("action", "add")
    if action == "remove":
        changed = services.remove_question(study_set=access.study_set, question=question)
        message = _("Removed from “%(title)s”.")
    else:
        try:
            changed = services.add_questions(study_set=access.study_set, questions=[question])
        except services.SetError as exc:
            if request.htmx:
                return HttpResponse(exc.message, status=400)
            messages.error(request, exc.message)
            return redirect(question.get_absolute_url())
        message = _("Added to “%(title)s”.")
    if request.htmx:
        return _question_sets_response(request, question)
    if changed:
        messages.success(request, message % {"title": access.study_set.title})
    return redirect(safe_next(request, question.get_absolute_url()))


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# --- Copy, study ------------------------------------------------------------------------------


def _copy(request: HttpRequest, source: StudySet, cancel_url: str) -> HttpResponse:
    form = CopyForm(request.POST or None, user=request.user,
                    initial={"title": _("%(title)s (copy)") % {"title": source.title}})
    if request.method == "POST" and form.is_valid():
        copy = services.copy_set(source=source, user=request.user,
                                 team=form.cleaned_data["owner"],
                                 title=form.cleaned_data["title"])
        messages.success(request, _("Copied. This copy is yours to change."))
        return redirect("qa:set", pk=copy.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "qa/set_copy.html",
                  {"form": form, "source": source, "cancel_url": cancel_url}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def set_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = _get_set_for_user(request, pk).study_set
    return _copy(request, source, reverse("qa:set", args=[pk]))


@login_required
@require_http_methods(["GET", "POST"])
def shared_set_copy(request: HttpRequest, token: str) -> HttpResponse:
    source = _get_shared_set(token)
    return _copy(request, source, reverse("qa:set-shared", args=[token]))


def _study(request: HttpRequest, study_set: StudySet, back: str) -> HttpResponse:
    from qa.services.study import StudyError, start_quiz

    try:
        quiz = start_quiz(user=request.user, mode="set", study_set=study_set)
    except StudyError as exc:
        messages.info(request, exc.message)
        return redirect(back)
    return redirect("qa:quiz", pk=quiz.pk)


@login_required
@require_POST
def set_study(request: HttpRequest, pk: int) -> HttpResponse:
    study_set = _get_set_for_user(request, pk).study_set
    return _study(request, study_set, reverse("qa:set", args=[pk]))


@login_required
@require_POST
def shared_set_study(request: HttpRequest, token: str) -> HttpResponse:
    study_set = _get_shared_set(token)
    return _study(request, study_set, reverse("qa:set-shared", args=[token]))


@require_GET
def shared_set(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of a link-shared set; answers stay folded until revealed."""
    study_set = _get_shared_set(token)
    access = selectors.access_for(user=request.user, study_set=study_set)
    response = render(request, "qa/set_shared.html", {
        "study_set": study_set,
        "items": list(selectors.set_items(study_set=study_set)),
        "token": token,
        "member_url": reverse("qa:set", args=[study_set.pk]) if access else None,
    })
    # The token is the credential: keep it out of Referer headers and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Export and import ------------------------------------------------------------------------

EXPORT_TYPES = {
    "json": ("application/json; charset=utf-8", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "apkg": ("application/octet-stream", "apkg"),
}


def _download(data: bytes, fmt: str, name: str) -> HttpResponse:
    content_type, ext = EXPORT_TYPES[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}.{ext}"
    )
    return response


@login_required
@require_GET
def set_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    study_set = _get_set_for_user(request, pk).study_set
    if fmt not in EXPORT_TYPES:
        raise Http404
    if fmt == "json":
        data = exporters.set_to_json(study_set)
    elif fmt == "csv":
        data = exporters.rows_to_csv(exporters.set_rows(study_set))
    else:
        data = exporters.set_to_apkg(study_set)
    return _download(data, fmt, _filename(study_set.title, f"set-{study_set.pk}"))


@login_required
@require_GET
def bank_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    bank = get_object_or_404(Bank, slug=slug)
    if fmt not in EXPORT_TYPES:
        raise Http404
    if fmt == "json":
        data = exporters.bank_to_json(bank)
    elif fmt == "csv":
        data = exporters.rows_to_csv(exporters.bank_rows(bank))
    else:
        data = exporters.bank_to_apkg(bank)
    return _download(data, fmt, bank.slug)


def _filename(title: str, fallback: str) -> str:
    cleaned = "".join(ch for ch in title if ch.isalnum() or ch in " -_").strip()
    return cleaned[:80] or fallback


@login_required
@require_http_methods(["GET", "POST"])
def set_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > exporters.MAX_UPLOAD_BYTES:
            problems = [_("The file is larger than %(max)d KB.") % {
                "max": exporters.MAX_UPLOAD_BYTES // 1024}]
        else:
            result = exporters.parse_set_file(name=upload.name, data=upload.read())
            problems = result.errors
            title = form.cleaned_data["title"] or result.title or Path(upload.name).stem
            if not problems:
                try:
                    study_set = services.create_set_with_items(
                        user=request.user, title=title, description=result.description,
                        team=form.cleaned_data["owner"], items=result.items,
                    )
                except services.SetError as exc:
                    problems = [exc.message]
                else:
                    messages.success(request, _("Imported %(n)d questions.") % {
                        "n": len(result.items)})
                    return redirect("qa:set", pk=study_set.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "qa/set_import.html", {"form": form, "problems": problems},
                  status=status)
