"""Create forms that create once. Each such form carries a fresh one-time token
({% submission_token %}, from accounts.templatetags.submissions); the view, decorated with
@once_per_form, records the token with where the creation led (a redirect), in the same
transaction as the creation. The same form sent again finds the token and is sent there,
creating nothing; a form whose token is missing (a page older than this, a script) is served
as before.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import FormSubmission

FIELD = "submission"
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
# How long a token is remembered: far longer than any double click or retried request.
KEEP = timedelta(days=1)


def new_token() -> str:
    return uuid.uuid4().hex


class _NotCreated(Exception):
    """The view answered without creating anything (e.g. a form error): keep its answer and
    forget the token, so the corrected form can be sent again."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def once_per_form(view):
    """For a view whose POST creates something and answers with a redirect to it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not request.user.is_authenticated or not TOKEN_RE.fullmatch(token):
            return view(request, *args, **kwargs)
        mine = FormSubmission.objects.filter(user=request.user)
        try:
            with transaction.atomic():
                # A twin submission's insert waits here until this one commits, then fails.
                FormSubmission.objects.create(user=request.user, token=token)
                response = view(request, *args, **kwargs)
                if not isinstance(response, HttpResponseRedirectBase):
                    raise _NotCreated(response)
                mine.filter(token=token).update(location=response["Location"][:500])
                mine.filter(created_at__lt=timezone.now() - KEEP).delete()
        except _NotCreated as not_created:
            return not_created.response
        except IntegrityError:
            done = mine.filter(token=token).exclude(location="").first()
            if done is None:
                raise  # not a repeated form: the view's own error
            messages.info(request, _("That form was already sent: here is what it did."))
            return redirect(done.location)
        return response

    return wrapped
