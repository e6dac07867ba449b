"""Admin for the bank's structure: banks, sections, tags."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qa.models import Bank, Section, Tag

# A bank's slug and a section's bank and key are what its questions' keys, its pages' URLs and
# `import_bank` know it by: set when it is created, as a question's key is.


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "language", "created_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Bank | None = None):
        return ["slug"] if obj is not None else []

    def get_prepopulated_fields(self, request: HttpRequest, obj: Bank | None = None):
        return {} if obj is not None else self.prepopulated_fields


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "bank", "key", "subtopic", "position"]
    list_filter = ["bank"]
    list_select_related = ["bank"]
    search_fields = ["title", "key", "subtopic"]

    def get_readonly_fields(self, request: HttpRequest, obj: Section | None = None):
        return ["bank", "key"] if obj is not None else []


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self) -> str:
        """A tag is searched and filtered by its name whatever its capitals: `sft` beside
        `SFT` would split the questions of one topic in two."""
        name = self.cleaned_data["name"].strip()
        same = Tag.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if same is not None:
            raise forms.ValidationError(
                _("There is already the tag “%(name)s”: use it, or rename it."),
                params={"name": same.name}, code="duplicate")
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagForm
    list_display = ["name", "question_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(n_questions=Count("questions"))

    @admin.display(description=_("questions"), ordering="n_questions")
    def question_count(self, tag: Tag) -> int:
        return tag.n_questions
