"""Editorial workflow: who edits the bank."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

EDITORS_GROUP = "Editors"


@transaction.atomic
def make_editor(user) -> None:
    """Give `user` the editor role: staff (admin access) in the Editors group, never superuser."""
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
