"""Request hygiene that every view relies on."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse


class RejectNullCharactersMiddleware:
    """Answer 400 to a request whose path, query string or form fields hold a NUL character.

    PostgreSQL cannot store NUL in text, so such a value would otherwise fail deep inside a
    view (a 500) wherever text is saved or searched; no legitimate form sends one. Uploaded
    files are not inspected: they are bytes.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET) or (
            request.method == "POST" and _has_nul(request.POST)
        ):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values)
               for key, values in query_dict.lists())
