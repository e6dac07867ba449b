"""Learners' reports of a wrong answer, and the editors' outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qa.models.bank import Question


class ErrorReport(models.Model):
    class Kind(models.TextChoices):
        WRONG = "wrong", _("The answer is wrong")
        OUTDATED = "outdated", _("The answer is outdated")
        UNCLEAR = "unclear", _("The answer is unclear or incomplete")
        TYPO = "typo", _("Typo or formatting")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    # Found through report_reporter_idx (reporter, status).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="error_reports",
        db_index=False, verbose_name=_("reporter"),
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="error_reports",
                                 verbose_name=_("question"))
    answer_version = models.PositiveIntegerField(_("answer version seen"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.TextField(_("message"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reply = models.TextField(_("reply to the reporter"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_reports",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The history row (Question.history) of the revision that corrected the answer.
    correcting_revision_id = models.PositiveBigIntegerField(null=True, blank=True)
    reporter_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("error report")
        verbose_name_plural = _("error reports")
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue_idx"),
            models.Index(fields=["reporter", "status"], name="report_reporter_idx"),
        ]

    def __str__(self) -> str:
        return _("Report %(number)s on %(key)s") % {"number": self.pk, "key": self.question.key}
