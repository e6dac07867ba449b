from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from qa.models import Bank, Question


def bank_list(request: HttpRequest) -> HttpResponse:
    return render(request, "qa/bank_list.html", {"banks": Bank.objects.all()})


def bank_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_object_or_404(Bank, slug=slug)
    return render(request, "qa/bank_detail.html", {"bank": bank})


def question_detail(request: HttpRequest, key: str) -> HttpResponse:
    question = get_object_or_404(Question.objects.published(), key=key)
    return render(request, "qa/question_detail.html", {"question": question})
