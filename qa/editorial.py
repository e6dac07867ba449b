"""Editorial workflow: who edits the bank, and what each revision of a question records."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from qa.models import Question

EDITORS_GROUP = "Editors"

# Exactly what an editor may do (app label, codename). Bank content, the error-report queue and
# question history. Nothing in accounts (users, teams), no learners' study data, and no delete:
# a question leaves the bank by being retired, which keeps its history and everyone's reviews.
# The data migration qa/0003_editors_group holds a frozen copy of this list.
EDITOR_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("qa", "view_bank"),
    ("qa", "add_bank"),
    ("qa", "change_bank"),
    ("qa", "view_section"),
    ("qa", "add_section"),
    ("qa", "change_section"),
    ("qa", "view_tag"),
    ("qa", "add_tag"),
    ("qa", "change_tag"),
    ("qa", "view_question"),
    ("qa", "add_question"),
    ("qa", "change_question"),
    ("qa", "view_historicalquestion"),
    ("qa", "view_errorreport"),
    ("qa", "change_errorreport"),
)


def editor_permissions():
    condition = Q(pk__in=[])
    for app_label, codename in EDITOR_PERMISSIONS:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def editors_group() -> Group:
    """The Editors group. The data migration creates it; if it is missing (a flushed database),
    it is created again with the editor permissions. An existing group is left as it is, so an
    operator's deliberate change to its permissions survives."""
    group, created = Group.objects.get_or_create(name=EDITORS_GROUP)
    if created:
        group.permissions.set(editor_permissions())
    return group


@transaction.atomic
def make_editor(user) -> None:
    """Give `user` the editor role: staff (admin access) in the Editors group, never superuser."""
    group = editors_group()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)


@transaction.atomic
def remove_editor(user) -> None:
    """Take the editor role away. Admin access goes with it, unless the account has it for
    another reason: a superuser, or staff with another group or permissions of its own."""
    user.groups.remove(*Group.objects.filter(name=EDITORS_GROUP))
    if not (user.is_superuser or user.groups.exists() or user.user_permissions.exists()):
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def is_editor(user) -> bool:
    return user.is_active and user.is_staff and user.groups.filter(name=EDITORS_GROUP).exists()


# --- What a revision records ------------------------------------------------------------------
# simple-history creates the historical row in the model's post_save. Code that saves a
# question sets, before calling save():
#   question._change_kind   one of RevisionInfo.Kind (default: typo)
#   question._change_reason the "why" (simple-history's history_change_reason)
#   question._history_user  who (simple-history's history_user)
#   question._history_type  "+" to record the row as the creation (used when a question is
#                           first saved without history so that its tags can be set first)
# After save(), question._history_record is the row that was written.


@receiver(pre_create_historical_record, sender=Question.history.model)
def record_change_kind(sender, instance, history_instance, **kwargs) -> None:
    kind = getattr(instance, "_change_kind", None)
    if kind:
        history_instance.change_kind = kind
    history_type = getattr(instance, "_history_type", None)
    if history_type:
        history_instance.history_type = history_type
    instance._history_record = history_instance
