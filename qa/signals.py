"""Signal receivers of the qa app."""

from __future__ import annotations

from django.db.models.signals import pre_save
from django.dispatch import receiver

from qa.models import Question
from qa.search import build_search_text


@receiver(pre_save, sender=Question)
def question_search_text(sender, instance: Question, **kwargs) -> None:
    # Tags are not known yet on the first save; the importer and admin re-save after tagging.
    tag_names = list(instance.tags.values_list("name", flat=True)) if instance.pk else []
    instance.search_text = build_search_text(instance.prompt, instance.answer, *tag_names)
