"""Signal receivers of the qa app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from qa.models import Question, Tag
from qa.search import build_search_text


@receiver(pre_save, sender=Question)
def question_search_text(sender, instance: Question, **kwargs) -> None:
    # Tags are not known yet on the first save; the importer and admin re-save after tagging.
    tag_names = list(instance.tags.values_list("name", flat=True)) if instance.pk else []
    instance.search_text = build_search_text(instance.prompt, instance.answer, *tag_names)


def reindex_questions(question_ids: Iterable[int]) -> None:
    """Rebuild the search_text of these questions from what they hold now (their tags changed
    without the questions being saved)."""
    ids = list(question_ids)
    tags: dict[int, list[str]] = {}
    for question_id, name in (Question.tags.through.objects.filter(question_id__in=ids)
                              .order_by("pk").values_list("question_id", "tag__name")):
        tags.setdefault(question_id, []).append(name)
    questions = list(Question.objects.filter(pk__in=ids).only("pk", "prompt", "answer"))
    for question in questions:
        question.search_text = build_search_text(question.prompt, question.answer,
                                                 *tags.get(question.pk, []))
    Question.objects.bulk_update(questions, ["search_text"], batch_size=1000)


@receiver(post_save, sender=Tag)
def tag_renamed(sender, instance: Tag, created: bool, **kwargs) -> None:
    """A renamed tag is searched for by its new name, and no longer by the old one."""
    if not created and not kwargs.get("raw"):
        reindex_questions(instance.questions.values_list("pk", flat=True))


@receiver(pre_delete, sender=Tag)
def tag_deleting(sender, instance: Tag, **kwargs) -> None:
    instance._tagged = list(instance.questions.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def tag_deleted(sender, instance: Tag, **kwargs) -> None:
    reindex_questions(getattr(instance, "_tagged", []))
