from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qa.models import Bank


def home(request: HttpRequest) -> HttpResponse:
    banks = Bank.objects.all()
    return render(request, "home.html", {"banks": banks})
