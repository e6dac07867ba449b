"""The quiz page and its HTMX actions: reveal, grade, mock answers, finish.

Every action is a POST that answers an HTMX request with the card fragment (the reveal: with
only what it adds to the card) and anything else with a redirect back to the quiz page, which
rebuilds the same state from the database (so a refresh, the back button or a new login resume
at the same card).
"""

from __future__ import annotations

import functools
import math
import uuid
from datetime import UTC, datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from config.routes import id_url
from qa.models import Quiz, QuizItem, Section
from qa.selectors import quizzes as selectors
from qa.selectors.cards import MAX_ID
from qa.services import answering, daily, interviews, undoing
from qa.services import study as services
from qa.views.navigation import safe_next


def _get_quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    quiz = selectors.quiz_for_user(user=request.user, pk=pk)
    if quiz is None:
        raise Http404(_("No such quiz."))
    return quiz


def _item_id(request: HttpRequest) -> int:
    """The quiz item named by POST["item"] (whose it is, the service checks)."""
    raw = request.POST.get("item", "")
    if not (raw.isascii() and raw.isdigit()):  # "²".isdigit(), but int("²") fails
        raise services.InvalidInput(_("Which question? The form is incomplete; reload the page."))
    value = int(raw)
    if value > MAX_ID:
        raise Http404(_("That question is not part of this quiz."))
    return value


def _get_item(request: HttpRequest, quiz: Quiz) -> QuizItem:
    """The quiz item named by POST["item"]; 404 unless it belongs to this quiz."""
    item = quiz.items.filter(pk=_item_id(request)).first()
    if item is None:
        raise Http404(_("That question is not part of this quiz."))
    return item


def _shown_at(request: HttpRequest) -> datetime | None:
    """When the card was rendered, as the reveal form carries it (milliseconds since 1970)."""
    raw = request.POST.get("shown", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        return None
    try:
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):  # past the year 9999
        return None


def _card(request: HttpRequest, quiz: Quiz, item: QuizItem, now: datetime) -> dict:
    """The context of the quiz card showing `item` (loaded by selectors.cards.card_item)."""
    context = selectors.card_context(quiz=quiz, item=item)
    if quiz.mode == Quiz.Mode.MOCK:
        if context["deadline"]:
            left_ms = max(0, math.ceil((context["deadline"] - now).total_seconds() * 1000))
            context.update(remaining_ms=left_ms, remaining_seconds=math.ceil(left_ms / 1000))
    elif item.revealed_at is not None:
        context.update(_revealed(request, quiz, item, now))
    else:
        # The reveal records this as the moment the card was shown, if none is recorded yet.
        context["shown_ms"] = int(now.timestamp() * 1000)
    return context


def _revealed(request: HttpRequest, quiz: Quiz, item: QuizItem, now: datetime) -> dict:
    context = selectors.revealed_context(user=request.user, item=item, now=now)
    # A fresh token per rendered card: a double-click or a retried request repeats it, so the
    # server records the grade once.
    context["token"] = uuid.uuid4().hex
    context["quiz"] = quiz
    context["quiz_url"] = id_url("qa:quiz", quiz.pk)
    context["shortcuts"] = shortcuts = request.user.keyboard_shortcuts
    context["grade_buttons"] = _grade_buttons(context.pop("grade_labels"), shortcuts)
    return context


def _grade_buttons(labels: dict[int, str], shortcuts: bool) -> str:
    """The revealed card's grade buttons (qa/quiz.html#grade_buttons) for these intervals
    (scheduling.preview_labels). They are the same HTML on every card whose grades bring it
    back after the same intervals, which take few values, so a process renders each set once
    per language and learner setting: the loop was close to half of the revealed card's
    template nodes. In DEBUG, where templates change under the running process, they are
    rendered each time."""
    key = (get_language(), bool(shortcuts), tuple(sorted(labels.items())))
    return _render_grade_buttons(*key) if settings.DEBUG else _cached_grade_buttons(*key)


def _render_grade_buttons(language: str, shortcuts: bool,
                          labels: tuple[tuple[int, str], ...]) -> str:
    # `language` is the active one, which the render uses; it is named for the cache's key.
    return render_to_string("qa/quiz.html#grade_buttons", {
        "grades": selectors.grade_choices(dict(labels)), "shortcuts": shortcuts,
    })


_cached_grade_buttons = functools.lru_cache(maxsize=512)(_render_grade_buttons)


def _page_context(request: HttpRequest, quiz: Quiz, *, item: QuizItem | None = None) -> dict:
    """The quiz page's context. `item` (loaded by selectors.cards.card_item) is the card to show
    when the caller already has it; otherwise the quiz's current card is looked up."""
    now = timezone.now()
    user = request.user
    if item is None and quiz.finished_at is None:
        item = selectors.current_card_item(quiz=quiz)
        if item is not None and quiz.mode == Quiz.Mode.MOCK and selectors.mock_answering_over(
            quiz=quiz, now=now, total=selectors.progress_from(item.progress_counts)["all_items"]
        ):
            item = None  # time is up: on to grading
        if item is not None and item.shown_at is None:
            # Marks when the card was first put in front of the learner (review durations).
            QuizItem.objects.filter(pk=item.pk, shown_at__isnull=True).update(shown_at=now)
            item.shown_at = now
    if item is None:
        quiz = services.finish_if_done(quiz=quiz, now=now)
        context = {
            "quiz": quiz,
            "item": None,
            "progress": selectors.quiz_progress(quiz=quiz),
            "summary": selectors.quiz_summary(quiz=quiz, user=user, now=now),
        }
        for row in context["summary"]["rows"]:
            row.token = uuid.uuid4().hex if row.grades else ""
    else:
        context = _card(request, quiz, item, now)
    context["mode_label"] = Quiz.Mode(quiz.mode).label
    context["quiz_url"] = id_url("qa:quiz", quiz.pk)
    # Single-key shortcuts (a setting, WCAG 2.1.4): read once, not from the lazy user per button.
    context["shortcuts"] = user.keyboard_shortcuts
    return context


def _render(request: HttpRequest, quiz: Quiz, *, item: QuizItem | None = None,
            error: str = "", status: int = 200, undo: str = "") -> HttpResponse:
    """The quiz page (for HTMX: its card), offering to take back the quiz's last grade.
    `undo`: the token of the grade just given, when the caller has it (no query)."""
    context = _page_context(request, quiz, item=item)
    context["error"] = error
    context["undo_token"] = undo or selectors.last_grade_token(quiz=quiz)
    template = "qa/quiz.html#card" if request.htmx else "qa/quiz.html"
    return render(request, template, context, status=status)


def _whole_card(response: HttpResponse) -> HttpResponse:
    """An HTMX answer that replaces the whole card, whichever part of it asked (the reveal
    form asks to be replaced by the answer alone)."""
    return reswap(retarget(response, "#quiz-card"), "outerHTML")


def _after_action(request: HttpRequest, quiz: Quiz) -> HttpResponse:
    if request.htmx:
        return _render(request, quiz)
    return redirect("qa:quiz", pk=quiz.pk)


def _refused(request: HttpRequest, pk: int, exc: services.StudyError) -> HttpResponse:
    if exc.status_code == 404 and pk > MAX_ID:
        raise Http404(exc.message)
    quiz = _get_quiz_for_user(request, pk)  # 404 for anyone else's
    if exc.status_code == 404:
        if quiz.mode not in daily.DAILY_MODES:
            raise Http404(exc.message)
        # A card of a due, new or mistakes quiz leaves it when its question is studied
        # elsewhere (take_out_graded_elsewhere): a page still showing it gets the quiz as it is.
        exc = services.Conflict(_("That question is no longer in this quiz (it was studied "
                                  "elsewhere since the quiz began). Here is where it is now."))
    # A quiz that ended on its own (its set no longer shared, say) shows its summary, which
    # says how it ended: not twice.
    message = "" if isinstance(exc, services.QuizFinished) and quiz.ended else exc.message
    response = _render(request, quiz, error=message, status=exc.status_code)
    return _whole_card(response) if request.htmx else response


class QuizStartForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(m, label) for m, label in Quiz.Mode.choices if m != Quiz.Mode.SET],
        label=gettext_lazy("Kind of quiz"),
    )
    section = forms.ModelChoiceField(
        queryset=Section.objects.all(), required=False, label=gettext_lazy("Section")
    )
    count = forms.IntegerField(
        required=False, min_value=1, max_value=services.MAX_QUIZ_ITEMS,
        label=gettext_lazy("Number of questions"),
    )
    minutes = forms.IntegerField(
        required=False, min_value=1, max_value=240, label=gettext_lazy("Time limit (minutes)")
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest) -> HttpResponse:
    form = QuizStartForm(request.POST)
    if not form.is_valid():
        problems = [
            _("%(field)s: %(problem)s") % {"field": form.fields[name].label,
                                           "problem": " ".join(msgs)}
            if name in form.fields else " ".join(msgs)
            for name, msgs in form.errors.items()
        ]
        return render(
            request,
            "qa/study_error.html",
            {"message": _("This quiz cannot be started."), "problems": problems,
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
@vary_on_headers("HX-Request")  # the card alone, or the page
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    # A due, new or mistakes quiz begun on an earlier day ("Continue" on the dashboard, an old
    # tab) would show what was due, new or a mistake then: today's is shown instead.
    earlier_day = daily.out_of_date(user=request.user, quiz=quiz) is not None
    if not earlier_day:
        taken_out = daily.take_out_graded_elsewhere(user=request.user, quiz=quiz)
        if not taken_out:
            return _render(request, quiz)
        if quiz.items.exists():
            if not request.htmx:
                messages.info(request, ngettext(
                    "A question of this quiz was studied elsewhere since it began, so it has "
                    "left the quiz.",
                    "%(n)d questions of this quiz were studied elsewhere since it began, so "
                    "they have left the quiz.", taken_out) % {"n": taken_out})
            return _render(request, quiz)
        # Every card of it was studied elsewhere: what is left of its kind, if anything.
    try:
        current = services.replace_quiz(user=request.user, quiz=quiz)
    except services.NothingToStudy as exc:
        messages.info(request, exc.message)
        return _go(request, reverse("home"))
    if current.pk == quiz.pk:  # taken up again with what has come due: never a redirect loop
        return _render(request, quiz)
    messages.info(request, _("That quiz began on an earlier day; here is today's.")
                  if earlier_day else
                  _("The questions of that quiz were all studied elsewhere since it began; "
                    "here is what is left to study."))
    return _go(request, reverse("qa:quiz", kwargs={"pk": current.pk}))


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Send the browser to `url`: an HTMX request as a whole page."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _item_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    """Run `action(item)` on the quiz item named in the POST, then show the quiz again."""
    quiz = _get_quiz_for_user(request, pk)
    try:
        action(_get_item(request, quiz))
    except services.StudyError as exc:
        return _refused(request, pk, exc)
    quiz.refresh_from_db()
    return _after_action(request, quiz)


def _still_current(item: QuizItem) -> bool:
    """Whether `item` is its quiz's current card after all (is_current_card says no without a
    query also when a retired question sits at the quiz's position)."""
    current = selectors.current_card_item(quiz=item.quiz)
    return current is not None and current.pk == item.pk


@login_required
@require_POST
def quiz_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = answering.reveal_item(
            user=request.user,
            quiz_id=pk,
            item_id=_item_id(request),
            typed_answer=request.POST.get("typed_answer", ""),
            shown_at=_shown_at(request),
        )
    except services.StudyError as exc:
        return _refused(request, pk, exc)
    if not request.htmx:
        return redirect("qa:quiz", pk=pk)
    if not selectors.is_current_card(quiz=item.quiz, item=item) and not _still_current(item):
        # A stale page (the card was graded in another tab): the quiz as it is now, saying
        # why, as a refused grade does; a silent swap would look like a skipped question.
        message = _("The quiz has moved on since this page was shown (perhaps in another "
                    "tab). Here is where it is now.")
        return _whole_card(_render(request, item.quiz, error=message, status=409))
    # Only what the reveal adds (the answer, the note, the grade buttons) replaces the reveal
    # form; the question above it stays as it is.
    context = _revealed(request, item.quiz, item, timezone.now())
    return render(request, "qa/quiz.html#revealed", context)


@login_required
@require_POST
def quiz_grade(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        graded = answering.grade(
            user=request.user,
            quiz_id=pk,
            item_id=_item_id(request),
            rating=request.POST.get("rating", ""),
            token=request.POST.get("token", ""),
            shown_version=request.POST.get("answer_version"),
        )
    except services.StudyError as exc:
        return _refused(request, pk, exc)
    if not request.htmx:
        return redirect("qa:quiz", pk=pk)
    # The grade already looked up the next card (and can be taken back); a replay or the end
    # of the quiz looks both up.
    return _render(request, graded.quiz or _get_quiz_for_user(request, pk),
                   item=graded.next_item, undo=graded.review.token if graded.next_item else "")


@login_required
@require_POST
def quiz_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back the last grade: its card comes back, revealed, to be graded again."""
    try:
        undoing.undo_grade(user=request.user, quiz_id=pk, token=request.POST.get("grade", ""))
    except services.StudyError as exc:
        return _refused(request, pk, exc)
    return _after_action(request, _get_quiz_for_user(request, pk))


@login_required
@require_POST
def quiz_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Mock interview: keep the typed answer and move on, or (its "End the interview now"
    button) keep it and go to grading."""
    def answer(item: QuizItem) -> None:
        interviews.save_mock_answer(user=request.user, quiz_item=item,
                                   typed_answer=request.POST.get("typed_answer", ""),
                                   end="finish" in request.POST)

    return _item_action(request, pk, answer)


@login_required
@require_POST
def quiz_finish(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    quiz = services.finish_quiz(user=request.user, quiz=quiz)
    return _after_action(request, quiz)
