"""Error reports from learners, what became of them, and what changed in a revision."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from config.forms import TextareaField
from qa.models import ErrorReport, Question
from qa.selectors import editorial as selectors
from qa.services import editorial as services
from qa.views.navigation import safe_next


def _get_report_for_user(request: HttpRequest, pk: int) -> ErrorReport:
    """One of the user's own reports; anyone else's is a 404 (its existence is not revealed)."""
    report = selectors.reports_for_user(user=request.user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def _get_published_question(key: str) -> Question:
    """Learners report on, and see the changes of, published questions only; else 404."""
    question = Question.objects.published().filter(key=key).first()
    if question is None:
        raise Http404
    return question


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What is wrong?"), choices=ErrorReport.Kind.choices)
    message = TextareaField(
        label=gettext_lazy("Details"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What is wrong, and what should it say instead? A source helps "
                               "the editors."),
    )
    # The answer version the page showed, so editors know what the reporter was looking at.
    answer_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")  # the form as a fragment or as a page
def report_create(request: HttpRequest, key: str) -> HttpResponse:
    question = _get_published_question(key)
    next_url = safe_next(request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.report_error(
                    reporter=request.user,
                    question=question,
                    kind=form.cleaned_data["kind"],
                    message=form.cleaned_data["message"],
                    answer_version=form.cleaned_data["answer_version"],
                )
            except services.ReportRateLimited:
                form.add_error(None, _(
                    "You have sent %(limit)d reports in the last hour. Thank you! Please wait a "
                    "while before sending more."
                ) % {"limit": services.REPORT_RATE_LIMIT})
                status = 429
            else:
                if request.htmx:
                    return render(request, "qa/report_form.html#sent", {"question": question})
                messages.success(request, _("Thank you. The editors will look at your report; "
                                            "you will find their answer under My reports."))
                return redirect(next_url or question.get_absolute_url())
        else:
            status = 400
    else:
        form = ReportForm(initial={"answer_version": question.answer_version})
    context = {"question": question, "form": form, "next": next_url,
               # Said before another is written: theirs may already say it.
               "open_report": ErrorReport.objects.filter(
                   reporter=request.user, question=question, status=ErrorReport.Status.OPEN,
               ).order_by("-created_at").first()}
    if request.htmx:
        # In place of the link that asked for it: focus moves into the form (htmx focuses it).
        form.fields["kind"].widget.attrs["autofocus"] = True
        # htmx does not swap 4xx responses; the form with its errors replaces the old one.
        return render(request, "qa/report_form.html#form", context)
    return render(request, "qa/report_form.html", context, status=status)


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.reports_for_user(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    reports = list(page.object_list)
    for report in reports:
        report.is_new = (
            report.status != ErrorReport.Status.OPEN and report.reporter_seen_at is None
        )
    new = [report.pk for report in reports if report.is_new]
    if new:
        # Looking at the outcomes is what clears the badge in the navigation.
        services.mark_report_outcomes_seen(user=request.user, reports=new)
    return render(request, "qa/my_reports.html", {"page": page, "reports": reports})


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_user(request, pk)
    unseen = report.status != ErrorReport.Status.OPEN and report.reporter_seen_at is None
    if unseen:
        services.mark_report_outcomes_seen(user=request.user, reports=[report.pk])
    return render(request, "qa/report_detail.html", {"report": report, "unseen": unseen})


@require_GET
def question_change(request: HttpRequest, key: str, history_id: int) -> HttpResponse:
    """What one revision changed in a published question (linked from the correction log and
    from accepted reports)."""
    question = _get_published_question(key)
    try:
        record, previous, reason = selectors.public_revision(question=question,
                                                             history_id=history_id)
    except Question.history.model.DoesNotExist:
        raise Http404 from None
    diffs = [d for d in selectors.revision_diff(previous, record) if d.changed]
    return render(
        request,
        "qa/question_change.html",
        # An editor's reason is public for corrections; a typo fix's is the editors' own.
        {"question": question, "record": record, "previous": previous, "diffs": diffs,
         "reason": reason,
         "taken_back": selectors.taken_back(question=question, record=record,
                                            previous=previous) if diffs else None},
    )
