"""Admin for questions: the list, editing with a reason and a kind (forms in
qa.admin.question_forms), the answer preview, and the routes to the history, comparison and
revert pages (qa.admin.question_history). Every save goes through qa.services.editorial."""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from qa.admin.locking import LockedWhileSaving
from qa.admin.question_forms import QuestionForm
from qa.admin.question_history import QuestionHistoryViews
from qa.markdown import render_markdown
from qa.models import ErrorReport, Question, RevisionInfo, Section
from qa.services import editorial as services

Kind = RevisionInfo.Kind
PREVIEW_MAX_CHARS = 100_000


class SectionFilter(admin.RelatedFieldListFilter):
    """Sections named with their bank's title, bank by bank: two banks may each have a
    基础篇."""

    def field_choices(self, field, request, model_admin):
        return [(section.pk, f"{section.bank} · {section}")
                for section in Section.objects.select_related("bank")
                .order_by("bank__title", "position", "pk")]


@admin.register(Question)
class QuestionAdmin(LockedWhileSaving, QuestionHistoryViews, SimpleHistoryAdmin):
    form = QuestionForm
    list_display = [
        "key", "short_prompt", "section", "status", "answer_version", "updated_at",
        "open_reports",
    ]
    list_display_links = ["key", "short_prompt"]
    list_filter = ["status", ("section", SectionFilter), "tags", "bank"]
    list_select_related = ["section"]
    search_fields = ["key", "prompt", "answer"]
    ordering = ["section__position", "number", "pk"]
    filter_horizontal = ["tags"]
    list_per_page = 50
    readonly_fields = ["answer_version", "revision", "updated_at", "open_reports_panel"]
    change_form_template = "admin/qa/question/change_form.html"
    object_history_template = "admin/qa/question/object_history.html"

    class Media:
        css = {"all": ["admin/css/editorial.css"]}
        js = ["admin/js/answer_preview.js"]

    def get_queryset(self, request: HttpRequest):
        open_reports = (
            ErrorReport.objects.filter(question=OuterRef("pk"), status=ErrorReport.Status.OPEN)
            .order_by()
            .values("question")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_open_reports=Coalesce(
                    Subquery(open_reports, output_field=IntegerField()), Value(0)
                )
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Question | None = None):
        fieldsets = [
            (None, {"fields": ["key", "bank", "section", "number", "status", "tags"]}),
            (_("Question and reference answer"), {"fields": ["prompt", "answer"]}),
        ]
        if obj is None:
            fieldsets.append((_("This change"), {"fields": ["change_reason"]}))
        else:
            fieldsets.append(
                (_("This change"),
                 {"fields": ["change_kind", "change_reason", "base_revision"]})
            )
            fieldsets.append(
                (_("Versions and reports"),
                 {"fields": ["answer_version", "revision", "updated_at", "open_reports_panel"]})
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Question | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The stable identity of a question, and the bank its key names; see the importer.
            # A question moves between sections of its own bank only.
            fields += ["key", "bank"]
        return fields

    @admin.display(description=_("question"))
    def short_prompt(self, question: Question) -> str:
        return Truncator(question.prompt).chars(60)

    @admin.display(description=_("open reports"), ordering="n_open_reports")
    def open_reports(self, question: Question):
        count = getattr(question, "n_open_reports", 0)
        if not count:
            return "0"
        query = urlencode({"question__id__exact": question.pk, "status__exact": "open"})
        url = f"{reverse('admin:qa_errorreport_changelist')}?{query}"
        return format_html('<a href="{}"><strong>{}</strong></a>', url, count)

    @admin.display(description=_("open error reports"))
    def open_reports_panel(self, question: Question):
        reports = question.error_reports.filter(status=ErrorReport.Status.OPEN).select_related(
            "reporter"
        )
        if not reports:
            return gettext("None")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{} · {}</a>: {} <span class="quiet">({}, v{})</span></li>',
                (
                    (
                        reverse("admin:qa_errorreport_change", args=[r.pk]),
                        r.get_kind_display(),
                        timezone.localtime(r.created_at).strftime("%Y-%m-%d"),
                        Truncator(r.message).chars(120),
                        r.reporter.public_name,
                        r.answer_version,
                    )
                    for r in reports
                ),
            ),
        )

    # Saving goes through the editorial service so that every save is one revision with who,
    # why and what kind, and so that substantive corrections re-queue learners.

    def save_model(self, request: HttpRequest, obj: Question, form: QuestionForm, change: bool):
        data = form.cleaned_data
        if not change:
            services.create_question(
                editor=request.user, question=obj, tags=data.get("tags", ()),
                reason=data.get("change_reason", ""),
            )
            return
        result = services.save_question_edit(
            question=obj,
            editor=request.user,
            data={
                **{name: data[name] for name in services.EDITABLE_FIELDS if name in data},
                "tags": data.get("tags", ()),
            },
            kind=data["change_kind"],
            reason=data["change_reason"],
            expected_revision=data["base_revision"],
        )
        obj.revision = result.question.revision
        obj.answer_version = result.question.answer_version
        if form.already_saved:
            pass  # a second submission: Django's "changed successfully" holds
        elif not result.changed:
            self.message_user(request, gettext("Nothing was changed; no revision was recorded."),
                              messages.INFO)
            # Django's "changed successfully", which response_change adds, would contradict it.
            request.question_unchanged = True
        elif result.answer_version_bumped:
            self.message_user(
                request,
                ngettext(
                    "Substantive correction saved as answer version %(version)d; "
                    "%(count)d learner will relearn it.",
                    "Substantive correction saved as answer version %(version)d; "
                    "%(count)d learners will relearn it.",
                    result.requeued,
                )
                % {"version": obj.answer_version, "count": result.requeued},
                messages.SUCCESS,
            )
        elif data["change_kind"] == Kind.SUBSTANTIVE:
            self.message_user(
                request,
                gettext("The question and answer text did not change, so this was recorded as "
                        "a minor change and nobody was asked to relearn."),
                messages.WARNING,
            )

    def message_user(self, request: HttpRequest, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "question_unchanged", False):
            return
        super().message_user(request, message, level, *args, **kwargs)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Tags were written by the service, inside the revision.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Question | None = None) -> bool:
        # Retire instead: deleting would take everyone's reviews and history with it.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    # --- Extra views: preview; history, comparison, revert (QuestionHistoryViews) -----------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="qa_question_preview"),
            path(
                "<path:object_id>/history/compare/",
                view(self.compare_view),
                name="qa_question_compare",
            ),
            path(
                "<path:object_id>/history/<int:history_id>/revert/",
                view(self.revert_view),
                name="qa_question_revert",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        text = request.POST.get("answer", "")[:PREVIEW_MAX_CHARS]
        return HttpResponse(render_markdown(text), content_type="text/html; charset=utf-8")
