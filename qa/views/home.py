from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from qa.models import Bank
from qa.selectors.study import dashboard


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        response = render(request, "home.html", dashboard(user=request.user))
        # Coming back after a quiz (back button) must show fresh counts, not a cached page.
        add_never_cache_headers(response)
        return response
    return render(request, "home.html", {"banks": Bank.objects.all()})
