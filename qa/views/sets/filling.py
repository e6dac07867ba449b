"""Filling a study set: with a section, with the user's bookmarks, with ticked search results
(into an existing set or a new one), and one question at a time from the question's page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.submissions import once_per_form
from qa.models import Bookmark, Question, Section, StudySet
from qa.selectors import sets as selectors
from qa.selectors.search import search_questions
from qa.services import sets as services
from qa.views.navigation import safe_next
from qa.views.sets.access import _get_set_for_user
from qa.views.sets.forms import _owner_choices, _team_from_choice

SEARCH_LIMIT = 50
MAX_SELECTED = 200


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


def _added_message(request: HttpRequest, added: int, offered: int, unpublished: int = 0) -> None:
    if added:
        messages.success(request, ngettext("Added %(n)d question.", "Added %(n)d questions.",
                                           added) % {"n": added})
    already = offered - added - unpublished
    if already:
        messages.info(request, ngettext("%(n)d was already in the set.",
                                        "%(n)d were already in the set.", already) % {"n": already})
    if unpublished:
        messages.info(request, ngettext("%(n)d is no longer published.",
                                        "%(n)d are no longer published.", unpublished)
                      % {"n": unpublished})
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
    # Exact matches only: the results come ticked, to be added with one click.
    return search_questions(query=query, limit=SEARCH_LIMIT, near=False).results


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
@once_per_form
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
                MaxLengthValidator(services.TITLE_MAX)(title)
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
            try:
                team = _team_from_choice(request.user, target[4:])
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
                team = None
        else:
            errors.append(_("Choose where to add the questions."))
        if not errors:
            try:
                with transaction.atomic():  # a new set only with questions in it
                    new = study_set is None
                    if new:
                        study_set = services.create_set(user=request.user, title=title,
                                                        team=team)
                    added, unpublished = services.add_question_ids(study_set=study_set,
                                                                   question_ids=ids)
                    if new and not added:
                        raise services.SetError(_(
                            "None of the ticked questions can be added: they are no longer "
                            "published."))
            except services.SetError as exc:
                errors.append(exc.message)
            else:
                _added_message(request, added, len(set(ids)), unpublished)
                return redirect("qa:set", pk=study_set.pk)
    results = _search(query) if query else []
    selected = set(request.POST.getlist("question")) if request.method == "POST" else set()
    return render(request, "qa/set_add_search.html", {
        "query": query,
        "results": results,
        "choices": choices,
        "target": target,
        "selected": selected,
        "posted": request.method == "POST",
        "errors": errors,
        "title": request.POST.get("title", ""),
    }, status=400 if errors else 200)


def _question_sets_response(request: HttpRequest, question: Question, *, error: str = "",
                            status: int = 200) -> HttpResponse:
    return render(request, "qa/_question_sets.html", {
        "question": question,
        "question_sets": selectors.sets_for_question(user=request.user, question=question),
        "error": error,
    }, status=status)


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
                return _question_sets_response(request, question, error=exc.message, status=400)
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
