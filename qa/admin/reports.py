"""Admin for error reports: the editors' queue, accepting and rejecting with a reply."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, F
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from qa.admin.locking import LockedWhileSaving
from qa.markdown import render_markdown
from qa.models import ErrorReport, Question
from qa.selectors import editorial as selectors
from qa.selectors.cards import id_from
from qa.services import editorial as services


class ReportResolutionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ErrorReport.Status.ACCEPTED, _("Accept: the question was corrected")),
            (ErrorReport.Status.REJECTED, _("Reject: explain why in the reply")),
        ],
        widget=forms.RadioSelect,
    )
    correcting_revision = forms.TypedChoiceField(
        label=_("Correcting revision"), coerce=int, required=False, empty_value=None,
        help_text=_("The revision that fixed what was reported. Edit the question first; its "
                    "latest substantive correction is chosen by default."),
    )

    # The resolution the editor saw when the form was rendered (see _resolution_state): another
    # editor's decision in between is shown, not silently replaced.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ErrorReport
        fields = ["reply"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        report = self.instance
        candidates = selectors.correction_candidates(report=report)
        self.fields["correcting_revision"].choices = [("", "—")] + [
            (
                r.history_id,
                f"r{r.revision} · v{r.answer_version} · {r.get_change_kind_display()} · "
                f"{timezone.localtime(r.history_date):%Y-%m-%d %H:%M} · "
                f"{r.history_user or '—'} · "
                f"{r.history_change_reason or ''}",
            )
            for r in candidates
        ]
        if report.status != ErrorReport.Status.OPEN:
            self.initial.setdefault("decision", report.status)
        default = (
            report.correcting_revision_id
            if report.correcting_revision_id
            else getattr(selectors.default_correction(candidates), "history_id", None)
        )
        self.initial.setdefault("correcting_revision", default)
        self.initial.setdefault("seen", _resolution_state(report))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        report = self.instance
        current = _resolution_state(report)
        seen = cleaned.get("seen")
        decision = cleaned.get("decision")
        # The very decision already stored (a double submit, or two editors agreeing) is no
        # conflict: saving it changes nothing.
        same = (report.status, report.reply, report.correcting_revision_id) == (
            decision, (cleaned.get("reply") or "").strip(),
            cleaned.get("correcting_revision") if decision == ErrorReport.Status.ACCEPTED
            else None,
        )
        if seen and seen != current and not same:  # (a form rendered by the admin always says)
            # The editor has now seen the other decision: submitting again replaces it.
            self.data = self.data.copy()
            self.data[self.add_prefix("seen")] = current
            raise forms.ValidationError(
                gettext("%(who)s resolved this report (%(status)s) on %(when)s, after you opened "
                        "it. Your decision was NOT saved. Theirs is shown below; submit yours "
                        "again to replace it.")
                % {"who": report.resolved_by or gettext("Someone"),
                   "status": report.get_status_display(),
                   "when": f"{timezone.localtime(report.resolved_at):%Y-%m-%d %H:%M}"
                   if report.resolved_at else "—"}
            )
        if decision == ErrorReport.Status.ACCEPTED and not cleaned.get("correcting_revision"):
            self.add_error(
                "correcting_revision",
                gettext("Choose the revision that corrected the question (edit the question "
                        "first if you have not)."),
            )
        if decision == ErrorReport.Status.REJECTED and not (cleaned.get("reply") or "").strip():
            self.add_error("reply", gettext("Tell the reporter why the report is rejected."))
        return cleaned


def _resolution_state(report: ErrorReport) -> str:
    when = report.resolved_at.isoformat() if report.resolved_at else ""
    return f"{report.status}@{when}"


class BulkReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply to the reporters"), widget=forms.Textarea, required=False
    )


class ReportedQuestionFilter(admin.SimpleListFilter):
    """The reports on one question, chosen from the question list's "open reports" link. It
    offers only the question chosen: listing every reported question (thousands, on a large
    bank) made the queue slow and heavy."""

    title = _("question")
    parameter_name = "question__id__exact"

    def lookups(self, request: HttpRequest, model_admin):
        # Nothing chosen: no choices, and the filter is not shown. Something chosen is always
        # a choice (a filter without one is not applied): a question that is not there matches
        # no report.
        if self.value() is None:
            return []
        question_id = id_from(self.value())
        question = Question.objects.filter(pk=question_id).only("key").first() \
            if question_id else None
        return [(self.value(), question.key if question else self.value())]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(question_id=id_from(self.value()))  # None: matches nothing


@admin.register(ErrorReport)
class ErrorReportAdmin(LockedWhileSaving, admin.ModelAdmin):
    form = ReportResolutionForm
    list_display = [
        "created_at", "question_key", "kind", "short_message", "reporter_display",
        "version_seen", "status", "open_on_this_question",
    ]
    list_display_links = ["created_at", "short_message"]
    # The question filter is what the question list's "open reports" links use.
    list_filter = ["status", "kind", ReportedQuestionFilter]
    list_select_related = ["question", "reporter"]
    search_fields = ["message", "question__key", "question__prompt"]
    readonly_fields = [
        "question_link", "question_answer", "reporter_name", "kind", "message", "version_seen",
        "created_at", "status", "resolved_by", "resolved_at",
    ]
    fieldsets = [
        (_("Report"), {"fields": ["question_link", "kind", "message", "reporter_name",
                                  "version_seen", "created_at"]}),
        (_("Current reference answer"), {"fields": ["question_answer"],
                                         "classes": ["collapse"]}),
        (_("Resolution"), {"fields": ["status", "decision", "correcting_revision", "reply",
                                      "resolved_by", "resolved_at", "seen"]}),
    ]
    actions = ["accept_selected", "reject_selected"]
    change_list_template = "admin/qa/errorreport/change_list.html"

    class Media:
        css = {"all": ["admin/css/editorial.css"]}

    def get_queryset(self, request: HttpRequest):
        # Annotated before ordering: the queue is ordered by the annotations.
        queryset = selectors.report_queue(self.model._default_manager.get_queryset())
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest):
        return [
            "is_resolved",
            F("queue_question_first").asc(nulls_last=True),
            F("resolved_at").desc(nulls_last=True),
            "question_id",
            "created_at",
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # learners file reports; editors resolve them

    def changelist_view(self, request: HttpRequest, extra_context=None):
        open_reports = ErrorReport.objects.filter(status=ErrorReport.Status.OPEN)
        counts = open_reports.aggregate(
            reports=Count("pk"), questions=Count("question", distinct=True)
        )
        return super().changelist_view(
            request, {"open_counts": counts, **(extra_context or {})}
        )

    @admin.display(description=_("question"), ordering="question__key")
    def question_link(self, report: ErrorReport):
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">{}</span>',
            reverse("admin:qa_question_change", args=[report.question_id]),
            report.question.key,
            Truncator(report.question.prompt).chars(40),
        )

    @admin.display(description=_("question"), ordering="question__key")
    def question_key(self, report: ErrorReport):
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            reverse("admin:qa_question_change", args=[report.question_id]),
            report.question.prompt,
            report.question.key,
        )

    @admin.display(description=_("reference answer"))
    def question_answer(self, report: ErrorReport):
        return format_html('<div class="answer-preview-output">{}</div>',
                           render_markdown(report.question.answer))

    @admin.display(description=_("message"))
    def short_message(self, report: ErrorReport) -> str:
        return Truncator(report.message).chars(80)

    # Editors see a reporter by the name learners show others, never by their address: the
    # reply reaches the reporter on the site (qa.editorial keeps accounts out of editors' hands).
    @admin.display(description=_("reporter"), ordering="reporter__display_name")
    def reporter_name(self, report: ErrorReport) -> str:
        return report.reporter.public_name

    @admin.display(description=_("reporter"), ordering="reporter__display_name")
    def reporter_display(self, report: ErrorReport) -> str:
        return report.reporter.public_name

    @admin.display(description=_("version seen / current"))
    def version_seen(self, report: ErrorReport) -> str:
        return f"v{report.answer_version} / v{report.question.answer_version}"

    @admin.display(description=_("open on this question"), ordering="open_on_question")
    def open_on_this_question(self, report: ErrorReport):
        return report.open_on_question or 0

    def save_model(self, request: HttpRequest, obj: ErrorReport, form, change: bool) -> None:
        data = form.cleaned_data
        services.resolve_report(
            report=obj, editor=request.user, decision=data["decision"], reply=data["reply"],
            correcting_revision_id=data.get("correcting_revision"),
        )

    @admin.action(description=_("Accept selected reports (link each question's latest "
                                "correction)…"), permissions=["change"])
    def accept_selected(self, request: HttpRequest, queryset):
        return self._resolve_selected(request, queryset, ErrorReport.Status.ACCEPTED)

    @admin.action(description=_("Reject selected reports with a reply…"),
                  permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset):
        return self._resolve_selected(request, queryset, ErrorReport.Status.REJECTED)

    def _resolve_selected(self, request: HttpRequest, queryset, decision: str):
        reports = list(queryset.select_related("question").order_by("question_id", "created_at"))
        form = BulkReplyForm(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            reply = form.cleaned_data["reply"].strip()
            if decision == ErrorReport.Status.REJECTED and not reply:
                form.add_error("reply", gettext("Tell the reporters why the reports are rejected."))
            else:
                self._apply_bulk(request, reports, decision, reply)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Accept reports") if decision == ErrorReport.Status.ACCEPTED
            else gettext("Reject reports"),
            "opts": self.model._meta,
            "reports": reports,
            "form": form,
            "decision": decision,
            "action": "accept_selected" if decision == ErrorReport.Status.ACCEPTED
            else "reject_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/qa/errorreport/resolve_selected.html", context)

    def _apply_bulk(self, request: HttpRequest, reports, decision: str, reply: str) -> None:
        # Only open reports: a resolved one keeps its decision, reply and correction unless an
        # editor changes it on its own page.
        resolved = [r for r in reports if r.status != ErrorReport.Status.OPEN]
        reports = [r for r in reports if r.status == ErrorReport.Status.OPEN]
        done, skipped = 0, []
        for report in reports:
            revision_id = None
            if decision == ErrorReport.Status.ACCEPTED:
                default = selectors.default_correction(
                    selectors.correction_candidates(report=report), wording_only=True
                )
                if default is None:
                    skipped.append(report)
                    continue
                revision_id = default.history_id
            if services.resolve_report(
                report=report, editor=request.user, decision=decision, reply=reply,
                correcting_revision_id=revision_id, only_if_open=True,
            ) is None:
                resolved.append(report)  # by another editor, since the list was read
                continue
            done += 1
        if resolved:
            self.message_user(
                request,
                ngettext("%(count)d report was already resolved and was left as it is.",
                         "%(count)d reports were already resolved and were left as they are.",
                         len(resolved)) % {"count": len(resolved)},
                messages.WARNING,
            )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d report resolved.", "%(count)d reports resolved.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                gettext("Not accepted, because no revision of their question since the "
                        "report changed its wording: %(keys)s. Correct the question first, or "
                        "accept each report on its own page.")
                % {"keys": ", ".join(sorted({r.question.key for r in skipped}))},
                messages.WARNING,
            )
