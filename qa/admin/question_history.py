"""The question admin's revision pages: the history of a question, the comparison of two
revisions and the revert to one; mixed into QuestionAdmin, which routes to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from qa.admin.question_forms import RevertForm
from qa.models import Question
from qa.selectors import editorial as selectors
from qa.services import editorial as services

HISTORY_PAGE_SIZE = 50
# simple-history's own permission for the history model: editors have it (qa/editorial.py).
HISTORY_PERMISSION = "qa.view_historicalquestion"


class QuestionHistoryViews:
    """History, compare and revert views for a question ModelAdmin (placed before
    SimpleHistoryAdmin in the bases, so that its `history_view` is the one used)."""

    def _question_or_404(self, request: HttpRequest, object_id: str) -> Question:
        question = self.get_object(request, unquote(object_id))
        if question is None:
            raise Http404
        if not (self.has_view_or_change_permission(request, question)
                and request.user.has_perm(HISTORY_PERMISSION)):
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

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        question = self._question_or_404(request, object_id)
        history = selectors.revisions(question=question)
        page = Paginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        start = page.start_index() - 1 if page.paginator.count else 0
        # One revision past the page, to tell whether its last one changed the answer version.
        records = list(history[start:start + HISTORY_PAGE_SIZE + 1])
        for older, record in zip(records[1:], records, strict=False):
            record.previous_answer_version = older.answer_version
        context = self._context(
            request, question, gettext("History: %s") % question.key,
            records=records[:HISTORY_PAGE_SIZE],
            page=page,
            module_name=self.model._meta.verbose_name_plural,
            can_revert=self.has_change_permission(request, question),
            compare_url=reverse("admin:qa_question_compare", args=[question.pk]),
        )
        context.update(extra_context or {})
        return TemplateResponse(request, self.object_history_template, context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's per-revision form is replaced by the comparison and revert pages.
        if not (str(version_id).isascii() and str(version_id).isdigit()):
            raise Http404
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
                    if services.holds_revision(question=conflict.current, target=target):
                        # Sent twice (a double click): the first revert made it so.
                        return redirect("admin:qa_question_history", question.pk)
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
            # What the revert changes: from the current text and tags back to the target's.
            text_diffs=selectors.revert_diff(question, target),
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
        if result.answer_version_bumped:
            text = ngettext(
                "Reverted to revision %(revision)s. This undid a substantive correction: answer "
                "version %(version)d, %(count)d learner will relearn it.",
                "Reverted to revision %(revision)s. This undid a substantive correction: answer "
                "version %(version)d, %(count)d learners will relearn it.",
                result.requeued,
            ) % {"revision": target.revision, "version": result.question.answer_version,
                 "count": result.requeued}
        else:
            text = gettext("Reverted to revision %(revision)s.") % {"revision": target.revision}
        self.message_user(request, text, messages.SUCCESS)

