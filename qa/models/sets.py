"""Study sets: ordered lists of questions, a learner's own or a team's, shared by link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qa.models.bank import Question


class StudySet(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        TEAM = "team", _("Team")
        LINK = "link", _("Anyone with the link")

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="study_sets",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="study_sets"
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # While shared by link: the visibility it had before, which stopping the link restores
    # (a curators' draft goes back to being a draft).
    visibility_before_link = models.CharField(
        max_length=10, choices=Visibility.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, team__isnull=True)
                           | Q(owner__isnull=True, team__isnull=False)),
                name="studyset_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SetItem(models.Model):
    # Found through setitem_unique (study_set, question).
    study_set = models.ForeignKey(
        StudySet, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="set_items")
    position = models.PositiveIntegerField()
    note = models.TextField(_("curator note"), blank=True, max_length=2000)

    class Meta:
        ordering = ["study_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["study_set", "question"], name="setitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.study_set_id} #{self.position}"
