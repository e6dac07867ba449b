"""Admin for questions: editing with a reason and a kind, preview, conflict detection,
history, comparison and revert. Every save goes through qa.services.editorial."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from qa.markdown import render_markdown
from qa.models import ErrorReport, Question, RevisionInfo
from qa.selectors import editorial as selectors
from qa.services import editorial as services

Kind = RevisionInfo.Kind
PREVIEW_MAX_CHARS = 100_000



# --- Questions ------------------------------------------------------------------------------


@dataclass
class EditConflictInfo:
    """What the editor is shown when someone else saved the question after they opened it."""

    base_revision: int
    current: Question
    last_record: Any
    theirs: list  # FieldDiffs: the version the editor started from → the current version
    yours: list  # FieldDiffs: the current version → the editor's text


class QuestionForm(forms.ModelForm):
    change_kind = forms.ChoiceField(
        label=_("Kind of change"),
        choices=[
            (Kind.SUBSTANTIVE, _("Substantive correction: learners who studied the old answer "
                                 "relearn it")),
            (Kind.TYPO, _("Typo / formatting fix: nobody is asked to relearn")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    change_reason = forms.CharField(
        label=_("Why"),
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("A short reason, shown in the history (and, for a substantive correction, "
                    "in the public correction log)."),
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Question
        fields = ["key", "bank", "section", "number", "status", "tags", "prompt", "answer"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: EditConflictInfo | None = None
        self.editing = self.instance.pk is not None
        if self.editing:
            for name in ("change_kind", "change_reason", "base_revision"):
                self.fields[name].required = True
            self.initial.setdefault("base_revision", self.instance.revision)
        else:
            self.fields["change_reason"].help_text = _("Optional when adding a question.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        base = cleaned.get("base_revision")
        if self.editing and base is not None and base != self.instance.revision:
            self.conflict = self._conflict(base, cleaned)
            # The editor has now seen the current version: saving again deliberately applies
            # their text on top of it (and is again refused if someone saves in between).
            self.data = self.data.copy()
            self.data[self.add_prefix("base_revision")] = str(self.instance.revision)
            last = self.conflict.last_record
            raise ValidationError(
                gettext(
                    "%(who)s saved this question on %(when)s, after you opened it. Your changes "
                    "were NOT saved; they are still in the form below. Compare the versions, "
                    "adjust your text if needed, and save again to apply it on top."
                )
                % {
                    "who": getattr(last, "history_user", None) or gettext("Someone"),
                    "when": (
                        timezone.localtime(last.history_date).strftime("%Y-%m-%d %H:%M")
                        if last else "?"
                    ),
                },
                code="edit_conflict",
            )
        return cleaned

    def _conflict(self, base: int, cleaned: dict[str, Any]) -> EditConflictInfo:
        current = self.instance
        started = (
            Question.history.filter(id=current.pk, revision=base).order_by("-history_id").first()
        )
        last = selectors.revisions(question=current).first()
        # A copy of the current version: the form's instance gets the editor's text written
        # into it (construct_instance) after clean(), before the page shows the conflict.
        stored = Question.objects.get(pk=current.pk)
        mine = SimpleNamespace(
            prompt=cleaned.get("prompt", stored.prompt), answer=cleaned.get("answer", stored.answer)
        )
        return EditConflictInfo(
            base_revision=base,
            current=stored,
            last_record=last,
            theirs=selectors.revision_diff(started, stored) if started else [],
            yours=selectors.revision_diff(stored, mine),
        )


class RevertForm(forms.Form):
    change_reason = forms.CharField(
        label=_("Why"), max_length=services.REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("A short reason, shown in the history."),
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


@admin.register(Question)
class QuestionAdmin(SimpleHistoryAdmin):
    form = QuestionForm
    list_display = [
        "key", "short_prompt", "section", "status", "answer_version", "updated_at",
        "open_reports",
    ]
    list_display_links = ["key", "short_prompt"]
    list_filter = ["status", "section", "tags", "bank"]
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

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Lock the row for the rest of the (atomic) admin request: the revision the form
            # checks cannot change between that check and the save.
            obj = Question.objects.select_for_update().get(pk=obj.pk)
        return obj

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
            fields.append("key")  # the stable identity of a question; see the importer
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
                        r.created_at.strftime("%Y-%m-%d"),
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
        if not result.changed:
            self.message_user(request, gettext("Nothing was changed; no revision was recorded."),
                              messages.INFO)
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

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Tags were written by the service, inside the revision.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Question | None = None) -> bool:
        # Retire instead: deleting would take everyone's reviews and history with it.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    # --- Extra views: preview, history, comparison, revert ----------------------------------

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

    def _question_or_404(self, request: HttpRequest, object_id: str) -> Question:
        question = self.get_object(request, unquote(object_id))
        if question is None:
            raise Http404
        if not self.has_view_or_change_permission(request, question):
            raise PermissionDenied
        return question

    def _context(self, request: HttpRequest, question: Question, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(question),
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "object": question,
            "question": question,
            "media": self.media,
            "history_url": reverse("admin:qa_question_history", args=[question.pk]),
            "change_url": reverse("admin:qa_question_change", args=[question.pk]),
            **extra,
        }

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        text = request.POST.get("answer", "")[:PREVIEW_MAX_CHARS]
        return HttpResponse(render_markdown(text), content_type="text/html; charset=utf-8")

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        question = self._question_or_404(request, object_id)
        records = list(selectors.revisions(question=question))
        for older, record in zip(records[1:], records, strict=False):
            record.previous_answer_version = older.answer_version
        context = self._context(
            request, question, gettext("History: %s") % question.key,
            records=records,
            module_name=self.model._meta.verbose_name_plural,
            can_revert=self.has_change_permission(request, question),
            compare_url=reverse("admin:qa_question_compare", args=[question.pk]),
        )
        context.update(extra_context or {})
        return TemplateResponse(request, self.object_history_template, context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's per-revision form is replaced by the comparison and revert pages.
        url = reverse("admin:qa_question_compare", args=[unquote(object_id)])
        return HttpResponseRedirect(f"{url}?new={int(version_id)}")

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        question = self._question_or_404(request, object_id)
        try:
            new_id = int(request.GET.get("new") or 0)
            old_id = int(request.GET.get("old") or 0)
        except ValueError:
            raise Http404 from None
        history = selectors.revisions(question=question)
        new = history.filter(history_id=new_id).first() if new_id else history.first()
        if new is None:
            raise Http404
        if old_id:
            old = history.filter(history_id=old_id).first()
            if old is None:
                raise Http404
        else:
            old = selectors.previous_revision(new)
        if old is not None and old.history_id > new.history_id:
            old, new = new, old
        context = self._context(
            request, question, gettext("Compare revisions: %s") % question.key,
            can_revert=self.has_change_permission(request, question),
            **selectors.compare_revisions(question=question, old=old, new=new),
        )
        return TemplateResponse(request, "admin/qa/question/compare.html", context)

    def revert_view(self, request: HttpRequest, object_id: str, history_id: int):
        with transaction.atomic():
            question = self._question_or_404(request, object_id)
            if not self.has_change_permission(request, question):
                raise PermissionDenied
            target = selectors.revisions(question=question).filter(history_id=history_id).first()
            if target is None:
                raise Http404
            form = RevertForm(request.POST or None, initial={"base_revision": question.revision})
            if request.method == "POST" and form.is_valid():
                try:
                    result = services.revert_question(
                        question=question, editor=request.user, history_id=target.history_id,
                        reason=form.cleaned_data["change_reason"],
                        expected_revision=form.cleaned_data["base_revision"],
                    )
                except services.EditConflict as conflict:
                    # Shown again with what the revert would change now; confirming again
                    # applies it on top of the current revision.
                    data = request.POST.copy()
                    data["base_revision"] = str(conflict.current.revision)
                    form = RevertForm(data)
                    form.is_valid()
                    form.add_error(None, gettext(
                        "Someone saved this question while you were looking at it. Check what "
                        "the revert would change now, then confirm again."
                    ))
                    question = conflict.current
                else:
                    self._message_revert(request, result, target)
                    return redirect("admin:qa_question_history", question.pk)
        context = self._context(
            request, question,
            gettext("Revert %(key)s to revision %(revision)s")
            % {"key": question.key, "revision": target.revision},
            target=target,
            form=form,
            # What the revert changes: from the current text back to the target's.
            text_diffs=selectors.revision_diff(question, target),
            will_bump=(target.answer_version != question.answer_version
                       and (target.prompt, target.answer) != (question.prompt, question.answer)),
        )
        return TemplateResponse(request, "admin/qa/question/revert.html", context)

    def _message_revert(self, request: HttpRequest, result, target) -> None:
        if not result.changed:
            self.message_user(
                request, gettext("The question already matches that revision; nothing changed."),
                messages.INFO,
            )
            return
        text = gettext("Reverted to revision %(revision)s.") % {"revision": target.revision}
        if result.answer_version_bumped:
            text += " " + ngettext(
                "This undid a substantive correction: answer version %(version)d, "
                "%(count)d learner will relearn it.",
                "This undid a substantive correction: answer version %(version)d, "
                "%(count)d learners will relearn it.",
                result.requeued,
            ) % {"version": result.question.answer_version, "count": result.requeued}
        self.message_user(request, text, messages.SUCCESS)

