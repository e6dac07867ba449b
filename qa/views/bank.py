"""Browsing and searching the bank: bank list, bank overview, section, question, search."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from qa.models import Bank, Question, Section
from qa.selectors import bank as selectors
from qa.selectors import search as search_selectors
from qa.selectors import sets as set_selectors
from qa.selectors import study as study_selectors
from qa.selectors.editorial import question_editorial_context
from qa.selectors.study import question_study_context

SEARCH_EXAMPLES = ("注意力", "幻觉", "SFT", "layer normalization")


def _get_question_for_user(request: HttpRequest, key: str) -> Question:
    """The question `key` if this user may see it: learners only published questions; staff
    may preview drafts and retired ones. Everyone else gets a 404."""
    question = (
        selectors.visible_questions(request.user)
        .select_related("bank", "section").prefetch_related("tags")
        .filter(key=key).first()
    )
    if question is None:
        raise Http404
    return question


@require_GET
def bank_list(request: HttpRequest) -> HttpResponse:
    return render(request, "qa/bank_list.html", {"banks": selectors.banks_with_counts()})


@require_GET
def bank_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_object_or_404(Bank, slug=slug)
    sections = selectors.sections_with_progress(bank=bank, user=request.user)
    totals = {
        "total": sum(s.total for s in sections),
        "studied": sum(s.studied for s in sections),
        "due": sum(s.due for s in sections),
        # "Review what is due" reviews every bank's due questions (a quiz is not limited to a
        # bank): say so when some are elsewhere.
        "due_everywhere": (study_selectors.due_now_count(user=request.user, now=timezone.now())
                           if request.user.is_authenticated else 0),
    }
    return render(request, "qa/bank_detail.html",
                  {"bank": bank, "sections": sections, "totals": totals})


@require_GET
def section_detail(request: HttpRequest, slug: str, section_key: str) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("bank"), bank__slug=slug,
                                key=section_key)
    page = selectors.section_page(section=section, user=request.user,
                                  page=request.GET.get("page"))
    return render(request, "qa/section_detail.html",
                  {"bank": section.bank, "section": section, "page": page,
                   "can_preview": selectors.can_preview(request.user), "now": timezone.now()})


@require_GET
def question_detail(request: HttpRequest, key: str) -> HttpResponse:
    question = _get_question_for_user(request, key)
    previous, following = selectors.neighbours(question=question, user=request.user)
    context = {
        "question": question,
        "section": question.section,
        "bank": question.bank,
        "previous": previous,
        "next": following,
        "revealed": request.GET.get("reveal") == "1",
        "is_preview": question.status != Question.Status.PUBLISHED,
        "question_sets": set_selectors.sets_for_question(user=request.user, question=question),
        "editorial": question_editorial_context(user=request.user, question=question),
        **question_study_context(user=request.user, question=question),
    }
    return render(request, "qa/question_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")  # a fragment or a redirect from the same URL
def question_answer(request: HttpRequest, key: str) -> HttpResponse:
    """The reference answer: the fragment for HTMX, otherwise the question page showing it."""
    question = _get_question_for_user(request, key)
    if request.htmx:
        return render(request, "qa/question_detail.html#answer",
                      {"question": question, "revealed": True})
    return redirect(f"{question.get_absolute_url()}?{urlencode({'reveal': 1})}#answer")


@require_GET
@vary_on_headers("HX-Request")  # a fragment or the page from the same (pushed) URL
def search(request: HttpRequest) -> HttpResponse:
    query = search_selectors.normalise_query(request.GET.get("q", ""))
    found = (search_selectors.search_questions(query=query, user=request.user) if query
             else None)
    context = {"query": query, "found": found, "examples": SEARCH_EXAMPLES}
    if request.htmx:
        return render(request, "qa/search.html#results", context)
    return render(request, "qa/search.html", context)
