"""The lookups every study-set view starts with.

Every id URL goes through `_get_set_for_user`, which applies the visibility rules of
qa.selectors.sets and answers 404 to anyone who may not see the set. A link-shared set is
readable by anyone, but only through /s/<token>/ (`_get_shared_set`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from qa.models import StudySet
from qa.selectors import sets as selectors
from qa.selectors.sets import SetAccess


def _get_set_for_user(request: HttpRequest, pk: int, *, edit: bool = False) -> SetAccess:
    """The set `pk` and what the requester may do with it: 404 unless they may see it
    through its id URL; 404 as well when `edit` is asked of a reader who is not a member,
    403 for a team member who may read but not edit."""
    access = selectors.set_for_user(user=request.user, set_id=pk)
    if access is None:
        raise Http404
    if edit and not access.can_edit:
        raise PermissionDenied
    return access


def _get_shared_set(token: str) -> StudySet:
    study_set = selectors.set_for_token(token=token)
    if study_set is None:
        raise Http404
    return study_set
