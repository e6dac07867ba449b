"""The quiz page and its HTMX actions: reveal, grade, mock answers, finish.

Every action is a POST that answers an HTMX request with the card fragment and anything else
with a redirect back to the quiz page, which rebuilds the same state from the database (so a
refresh, the back button or a new login resume at the same card).
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qa.models import Quiz, QuizItem, Section
from qa.selectors import study as selectors
from qa.selectors.editorial import card_editorial_context
from qa.services import study as services
from qa.views.navigation import safe_next


def _get_quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    quiz = selectors.quiz_for_user(user=request.user, pk=pk)
    if quiz is None:
        raise Http404(_("No such quiz."))
    return quiz


def _get_item(request: HttpRequest, quiz: Quiz) -> QuizItem:
    """The quiz item named by POST["item"]; 404 unless it belongs to this quiz."""
    raw = request.POST.get("item", "")
    if not raw.isdigit():
        raise services.InvalidInput(_("Which question? The form is incomplete; reload the page."))
    item = quiz.items.filter(pk=int(raw)).first()
    if item is None:
        raise Http404(_("That question is not part of this quiz."))
    return item


def _page_context(request: HttpRequest, quiz: Quiz) -> dict:
    now = timezone.now()
    quiz = services.finish_if_done(quiz=quiz, now=now)
    context = selectors.quiz_card(quiz=quiz, user=request.user, now=now)
    item = context.get("item")
    if quiz.finished_at is not None or item is None:
        context["summary"] = selectors.quiz_summary(quiz=quiz, user=request.user, now=now)
        for row in context["summary"]["rows"]:
            row.token = uuid.uuid4().hex if row.grades else ""
    else:
        # Marks when the card was first put in front of the learner (for review durations).
        QuizItem.objects.filter(pk=item.pk, shown_at__isnull=True).update(shown_at=now)
        # A fresh token per rendered card: a double-click or a retried request repeats it,
        # so the server records the grade once.
        context["token"] = uuid.uuid4().hex
        if item.revealed_at:
            context["editorial"] = card_editorial_context(user=request.user, question=item.question)
        if context.get("deadline"):
            context["remaining_seconds"] = max(0, int((context["deadline"] - now).total_seconds()))
    context["mode_label"] = Quiz.Mode(quiz.mode).label
    context["quiz_url"] = reverse("qa:quiz", kwargs={"pk": quiz.pk})
    return context


def _render(request: HttpRequest, quiz: Quiz, *, error: str = "", status: int = 200):
    context = _page_context(request, quiz)
    context["error"] = error
    template = "qa/quiz.html#card" if request.htmx else "qa/quiz.html"
    return render(request, template, context, status=status)


def _after_action(request: HttpRequest, quiz: Quiz) -> HttpResponse:
    if request.htmx:
        return _render(request, quiz)
    return redirect("qa:quiz", pk=quiz.pk)


def _refused(request: HttpRequest, quiz: Quiz, exc: services.StudyError) -> HttpResponse:
    if exc.status_code == 404:
        raise Http404(exc.message)
    quiz.refresh_from_db()
    return _render(request, quiz, error=exc.message, status=exc.status_code)


class QuizStartForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(m, label) for m, label in Quiz.Mode.choices if m != Quiz.Mode.SET]
    )
    section = forms.ModelChoiceField(queryset=Section.objects.all(), required=False)
    count = forms.IntegerField(
        required=False, min_value=1, max_value=services.MAX_QUIZ_ITEMS,
        label=gettext_lazy("questions"),
    )
    minutes = forms.IntegerField(
        required=False, min_value=1, max_value=240, label=gettext_lazy("time limit (minutes)")
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest) -> HttpResponse:
    form = QuizStartForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(msgs)}" if name != "__all__"
            else " ".join(msgs)
            for name, msgs in form.errors.items()
        )
        return render(
            request,
            "qa/study_error.html",
            {"message": _("This quiz cannot be started: %(errors)s") % {"errors": errors},
             "back": safe_next(request, "home")},
            status=400,
        )
    data = form.cleaned_data
    minutes = data.get("minutes")
    try:
        quiz = services.start_quiz(
            user=request.user,
            mode=data["mode"],
            section=data.get("section"),
            count=data.get("count"),
            time_limit_seconds=minutes * 60 if minutes else None,
        )
    except services.NothingToStudy as exc:
        messages.info(request, exc.message)
        return redirect(safe_next(request, "home"))
    except services.StudyError as exc:
        return render(
            request, "qa/study_error.html",
            {"message": exc.message, "back": safe_next(request, "home")}, status=exc.status_code,
        )
    return redirect("qa:quiz", pk=quiz.pk)


@login_required
@require_GET
@never_cache  # a page restored from the back/forward cache would show a stale card
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _get_quiz_for_user(request, pk))


def _item_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    """Run `action(item)` on the quiz item named in the POST, then show the quiz again."""
    quiz = _get_quiz_for_user(request, pk)
    try:
        action(_get_item(request, quiz))
    except services.StudyError as exc:
        return _refused(request, quiz, exc)
    quiz.refresh_from_db()
    return _after_action(request, quiz)


@login_required
@require_POST
def quiz_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_action(request, pk, lambda item: services.reveal(
        user=request.user, quiz_item=item, typed_answer=request.POST.get("typed_answer", "")
    ))


@login_required
@require_POST
def quiz_grade(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_action(request, pk, lambda item: services.record_review(
        user=request.user,
        quiz_item=item,
        rating=request.POST.get("rating", ""),
        token=request.POST.get("token", ""),
    ))


@login_required
@require_POST
def quiz_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Mock interview: keep the typed answer and move on."""
    return _item_action(request, pk, lambda item: services.save_mock_answer(
        user=request.user, quiz_item=item, typed_answer=request.POST.get("typed_answer", "")
    ))


@login_required
@require_POST
def quiz_finish(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    quiz = services.finish_quiz(user=request.user, quiz=quiz)
    return _after_action(request, quiz)
