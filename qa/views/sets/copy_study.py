"""Copying and studying a study set, by id (members) or by its shared link (anyone), and the
public, read-only page of a link-shared set."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.submissions import once_per_form
from qa.models import StudySet
from qa.selectors import sets as selectors
from qa.services import sets as services
from qa.views.sets.access import _get_set_for_user, _get_shared_set
from qa.views.sets.forms import CopyForm


def _copy(request: HttpRequest, source: StudySet, cancel_url: str) -> HttpResponse:
    form = CopyForm(request.POST or None, user=request.user,
                    initial={"title": services.copy_title(source)})
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
@once_per_form
def set_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = _get_set_for_user(request, pk).study_set
    return _copy(request, source, reverse("qa:set", args=[pk]))


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form
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
    # The token is the credential: keep it out of shared caches, and out of Referer headers
    # sent to other sites. Not "no-referrer": the browser would then send the page's own
    # forms (study, language) with an Origin of "null", which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response

