"""Bookmarks, notes and mistakes. Each POST answers HTMX with a fragment, anything else with a
redirect to `next` (or the obvious page)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from qa.models import Question, Section
from qa.selectors import study as selectors
from qa.services import marks
from qa.services import study as services
from qa.views.navigation import safe_next


def _get_question(question_id: int) -> Question:
    """Learners act only on published questions; anything else does not exist for them."""
    return get_object_or_404(Question.objects.published().select_related("section"), pk=question_id)


def _bad_request(request: HttpRequest, message: str, back: str) -> HttpResponse:
    return render(request, "qa/study_error.html", {"message": message, "back": back}, status=400)


class SectionFilterForm(forms.Form):
    section = forms.ModelChoiceField(queryset=Section.objects.all(), required=False)


def _section_filter(request: HttpRequest) -> Section | None:
    form = SectionFilterForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        raise services.InvalidInput(_("There is no such section."))
    return form.cleaned_data.get("section")


# --- Bookmarks ------------------------------------------------------------------------------


@login_required
@require_GET
def bookmark_list(request: HttpRequest) -> HttpResponse:
    try:
        section = _section_filter(request)
    except services.InvalidInput as exc:
        return _bad_request(request, exc.message, resolve_url("qa:bookmarks"))
    marks = selectors.bookmarks(user=request.user, section=section)
    return render(
        request,
        "qa/bookmarks.html",
        {
            "page": Paginator(marks, LIST_PAGE_SIZE).get_page(request.GET.get("page")),
            "sections": selectors.sections_with_bookmarks(user=request.user),
            "section": section,
            "query_string": urlencode({"section": section.pk}) if section else "",
        },
    )


# Bookmarks, notes and mistakes are listed a page at a time: a learner of years has thousands.
LIST_PAGE_SIZE = 50


@login_required
@require_GET
def note_list(request: HttpRequest) -> HttpResponse:
    """The learner's notes, to find one again: newest first, searchable, a page at a time."""
    query = " ".join(request.GET.get("q", "").split())[:100]
    notes = selectors.notes(user=request.user, query=query)
    return render(request, "qa/notes.html", {
        "page": Paginator(notes, LIST_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query,
        "query_string": urlencode({"q": query}) if query else "",
    })


@login_required
@require_POST
def bookmark_toggle(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _get_question(question_id)
    wanted = request.POST.get("on", "")
    if wanted not in ("0", "1"):
        message = _("Bookmark or remove the bookmark?")
        return _bad_request(request, message, question.get_absolute_url())
    bookmarked = marks.set_bookmark(user=request.user, question=question, on=wanted == "1")
    next_url = safe_next(request, question.get_absolute_url())
    if request.htmx:
        return render(
            request,
            "qa/_bookmark_toggle.html",
            {"question": question, "bookmarked": bookmarked, "back_to": next_url,
             # where the B key toggles it (unless the learner turned shortcuts off)
             "shortcut": request.user.keyboard_shortcuts and _is_quiz_page(next_url)},
        )
    return redirect(next_url)


# --- Notes ----------------------------------------------------------------------------------


def _is_quiz_page(url: str) -> bool:
    try:
        return resolve(urlsplit(url).path).view_name == "qa:quiz"
    except Resolver404:
        return False


def _note_response(request: HttpRequest, question: Question, *, error: str = "",
                   status: int = 200, body: str | None = None) -> HttpResponse:
    context = selectors.question_study_context(user=request.user, question=question)
    back_to = safe_next(request, question.get_absolute_url())
    context.update({
        "question": question,
        "note_error": error,
        "note_draft": body,
        "back_to": back_to,
        # where the N key opens the note (unless the learner turned shortcuts off)
        "shortcut": request.user.keyboard_shortcuts and _is_quiz_page(back_to),
        # The button that sent it is gone: focus goes to the note (its form, when refused).
        "refocus": True,
    })
    return render(request, "qa/_note.html", context, status=status)


@login_required
@require_POST
def note_save(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _get_question(question_id)
    body = request.POST.get("body")
    if body is None:
        message = _("The note form is incomplete; reload the page.")
        if request.htmx:
            return _note_response(request, question, error=message, status=400)
        return _bad_request(request, message, question.get_absolute_url())
    try:
        note = marks.save_note(user=request.user, question=question, body=body)
    except services.InvalidInput as exc:
        if request.htmx:
            return _note_response(request, question, error=exc.message, status=400, body=body)
        return _bad_request(request, exc.message, question.get_absolute_url())
    if request.htmx:
        return _note_response(request, question)
    messages.success(request, _("Note saved.") if note else _("Note deleted."))
    return redirect(safe_next(request, question.get_absolute_url()))


@login_required
@require_POST
def note_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _get_question(question_id)
    marks.delete_note(user=request.user, question=question)
    if request.htmx:
        return _note_response(request, question)
    messages.success(request, _("Note deleted."))
    return redirect(safe_next(request, question.get_absolute_url()))


# --- Mistakes -------------------------------------------------------------------------------


@login_required
@require_GET
def mistake_list(request: HttpRequest) -> HttpResponse:
    try:
        section = _section_filter(request)
    except services.InvalidInput as exc:
        return _bad_request(request, exc.message, resolve_url("qa:mistakes"))
    return render(request, "qa/mistakes.html",
                  _mistakes_context(request, section, request.get_full_path()))


def _mistakes_context(request: HttpRequest, section: Section | None, back_to: str) -> dict:
    found = selectors.mistakes(user=request.user, now=timezone.now(), section=section)
    number = request.POST.get("page") if request.method == "POST" else request.GET.get("page")
    return {
        "page": Paginator(found, LIST_PAGE_SIZE).get_page(number),
        "query_string": urlencode({"section": section.pk}) if section else "",
        "section": section,
        "back_to": back_to,
        "leech_lapses": selectors.LEECH_LAPSES,
        "window_days": selectors.MISTAKE_WINDOW.days,
    }


@login_required
@require_POST
def mistake_clear(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _get_question(question_id)
    try:
        marks.clear_mistake(user=request.user, question=question)
    except services.NotFound as exc:
        raise Http404(exc.message) from None
    if request.htmx:
        try:
            section = _section_filter(request)
        except services.InvalidInput:
            section = None
        context = _mistakes_context(request, section, safe_next(request, "qa:mistakes"))
        page = context["page"]
        if page.object_list and str(page.number) == request.POST.get("page", "1"):
            # The row disappears from its page (hx-swap="outerHTML" with an empty body).
            return HttpResponse("")
        # The last one of its page, or of all: the page drawn again, the one before it or the
        # one saying there are none left (without its Study button).
        response = render(request, "qa/mistakes.html#page", context)
        return reswap(retarget(response, "#mistakes-page"), "outerHTML")
    messages.success(request, _("Cleared from your mistakes."))
    return redirect(safe_next(request, "qa:mistakes"))
