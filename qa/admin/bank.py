"""Admin for the bank's structure: banks, sections, tags."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qa.models import Bank, Section, Tag


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "language", "created_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "bank", "key", "subtopic", "position"]
    list_filter = ["bank"]
    list_select_related = ["bank"]
    search_fields = ["title", "key", "subtopic"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "question_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(n_questions=Count("questions"))

    @admin.display(description=_("questions"), ordering="n_questions")
    def question_count(self, tag: Tag) -> int:
        return tag.n_questions
