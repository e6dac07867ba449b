"""Saving what another editor may be saving at the same moment."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest


class LockedWhileSaving:
    """A model admin whose object is locked for the rest of an (atomic) save: the state its
    form checks (the revision an editor started from, the decision they saw) cannot change
    between that check and the save. The object is read again once locked, so what another
    editor committed meanwhile is what the form compares with. (A POST to a view that writes
    nothing, a history or a comparison, runs outside a transaction and takes no lock.)"""

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if (obj is not None and request.method == "POST"
                and transaction.get_connection().in_atomic_block):
            type(obj)._default_manager.select_for_update().filter(pk=obj.pk) \
                .values_list("pk").first()
            obj = super().get_object(request, object_id, from_field)
        return obj
