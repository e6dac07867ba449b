"""Forms of the question admin: editing a question with a kind and a reason (refused, with
what changed, when someone saved it after the editor opened it), and reverting to a revision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qa.importer.files import normal_text
from qa.models import Question, RevisionInfo, Section
from qa.selectors import editorial as selectors
from qa.services import editorial as services

Kind = RevisionInfo.Kind
# What an edit may change: after a conflict, a field the editor left as they found it shows
# the other editor's value, so saving again does not silently undo their change.
KEPT_FIELDS = ("status", "bank", "section", "number", "tags", "prompt", "answer")


@dataclass
class EditConflictInfo:
    """What the editor is shown when someone else saved the question after they opened it."""

    base_revision: int
    current: Question
    started: Any  # the revision the editor started from (None if it is gone)
    last_record: Any
    theirs: list  # FieldDiffs: the version the editor started from → the current version
    yours: list  # FieldDiffs: the current version → the editor's text


class QuestionForm(forms.ModelForm):
    change_kind = forms.ChoiceField(
        label=_("Kind of change"),
        choices=[
            (Kind.SUBSTANTIVE, _("Substantive correction: learners who studied the old answer "
                                 "relearn it")),
            (Kind.TYPO, _("Typo / formatting fix: nobody is asked to relearn")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    change_reason = forms.CharField(
        label=_("Why"),
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("A short reason, shown in the history (and, for a substantive correction, "
                    "in the public correction log)."),
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Question
        fields = ["key", "bank", "section", "number", "status", "tags", "prompt", "answer"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: EditConflictInfo | None = None
        # A second submission of a save already made (a double click, a resent form): the
        # question already holds what it sends, so there is nothing to apply and no conflict.
        self.already_saved = False
        self.editing = self.instance.pk is not None
        if self.editing:
            for name in ("change_kind", "change_reason", "base_revision"):
                self.fields[name].required = True
            if "section" in self.fields:  # its bank is fixed: the sections of that bank
                self.fields["section"].queryset = Section.objects.filter(
                    bank_id=self.instance.bank_id)
            self.initial.setdefault("base_revision", self.instance.revision)
        else:
            self.fields["change_reason"].help_text = _("Optional when adding a question.")
            if "section" in self.fields:  # sections of every bank: named with their bank's
                field = self.fields["section"]
                field.queryset = Section.objects.select_related("bank").order_by(
                    "bank__title", "position", "pk")
                field.label_from_instance = lambda section: f"{section.bank} · {section}"

    # The bank's text has LF line breaks and no surrounding whitespace, as the importer
    # writes it; a browser sends CRLF.
    def clean_prompt(self) -> str:
        return normal_text(self.cleaned_data["prompt"])

    def clean_answer(self) -> str:
        return normal_text(self.cleaned_data["answer"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        bank, section = cleaned.get("bank", self.instance.bank if self.editing else None), \
            cleaned.get("section")
        if bank is not None and section is not None and section.bank_id != bank.pk:
            self.add_error("section", gettext("This section belongs to another bank."))
        elif not self.editing and bank is not None and section is not None:
            self._check_key(cleaned.get("key"), bank, section)
            # A new question left at number 0 takes its key's: it was "第 0 题", listed first.
            key_number = re.search(r"/(\d+)$", cleaned.get("key") or "")
            if key_number and not cleaned.get("number"):
                cleaned["number"] = int(key_number.group(1))
        base = cleaned.get("base_revision")
        if self.editing and base is not None and base != self.instance.revision:
            if self._holds_already(cleaned):
                self.already_saved = True
                cleaned["base_revision"] = self.instance.revision
                return cleaned
            self.conflict = self._conflict(base, cleaned)
            # The editor has now seen the current version: saving again deliberately applies
            # their text on top of it (and is again refused if someone saves in between).
            self.data = self.data.copy()
            self.data[self.add_prefix("base_revision")] = str(self.instance.revision)
            self._keep_theirs(cleaned)
            last = self.conflict.last_record
            raise ValidationError(
                gettext(
                    "%(who)s saved this question on %(when)s, after you opened it. Your changes "
                    "were NOT saved; they are still in the form below. Compare the versions, "
                    "adjust your text if needed, and save again to apply it on top."
                )
                % {
                    "who": getattr(last, "history_user", None) or gettext("Someone"),
                    "when": (
                        timezone.localtime(last.history_date).strftime("%Y-%m-%d %H:%M")
                        if last else "?"
                    ),
                },
                code="edit_conflict",
            )
        return cleaned

    def _holds_already(self, cleaned: dict[str, Any]) -> bool:
        """Whether the question (as locked for this save) holds what the form sends."""
        if any(name in cleaned and cleaned[name] != getattr(self.instance, name)
               for name in services.EDITABLE_FIELDS):
            return False
        sent = {tag.pk for tag in cleaned.get("tags") or ()}
        return sent == set(self.instance.tags.values_list("pk", flat=True))

    def _check_key(self, key: str | None, bank, section) -> None:
        """A new question's key is its bank's slug, its section's key and a number of two or
        more digits, as in the bank's file: `import_bank` finds it by it, and its page's URL
        ends in it (a key ending in `/answer` would be another page's)."""
        if key and not re.fullmatch(rf"{re.escape(bank.slug)}/{re.escape(section.key)}/\d{{2,}}",
                                    key):
            example = f"{bank.slug}/{section.key}/{section.questions.count() + 1:02d}"
            self.add_error("key", gettext(
                "The key must be the bank's slug, the section's key and a number, as in "
                "%(example)s.") % {"example": example})

    def _conflict(self, base: int, cleaned: dict[str, Any]) -> EditConflictInfo:
        current = self.instance
        started = (
            Question.history.filter(id=current.pk, revision=base).order_by("-history_id").first()
        )
        last = selectors.revisions(question=current).first()
        # A copy of the current version: the form's instance gets the editor's text written
        # into it (construct_instance) after clean(), before the page shows the conflict.
        stored = Question.objects.get(pk=current.pk)

        def edited(name: str) -> str:  # the editor's text, or theirs where the editor kept it
            value = cleaned.get(name, getattr(stored, name))
            if started is not None and value == getattr(started, name):
                return getattr(stored, name)
            return value

        mine = SimpleNamespace(prompt=edited("prompt"), answer=edited("answer"))
        theirs = []
        if started:
            theirs = selectors.revision_diff(started, stored) + selectors.settings_diff(
                started, stored)
        return EditConflictInfo(
            base_revision=base,
            current=stored,
            started=started,
            last_record=last,
            theirs=theirs,
            yours=selectors.revision_diff(stored, mine),
        )

    def _keep_theirs(self, cleaned: dict[str, Any]) -> None:
        """The fields the editor left as they found them (KEPT_FIELDS) show the other
        editor's values, so saving again does not silently undo those; what the editor changed
        themselves stays as they set it."""
        started, stored = self.conflict.started, self.conflict.current
        if started is None:
            return
        started_tags = selectors.revision_tag_ids(started)
        for name in KEPT_FIELDS:
            if name == "tags":
                mine = {tag.pk for tag in cleaned.get("tags") or []}
                if mine == started_tags:
                    self.data.setlist(self.add_prefix("tags"),
                                      [str(pk) for pk in stored.tags.values_list("pk", flat=True)])
                continue
            attname = f"{name}_id" if name in ("bank", "section") else name
            value = cleaned.get(name)
            value = getattr(value, "pk", value)
            if value == getattr(started, attname):
                self.data[self.add_prefix(name)] = str(getattr(stored, attname))


class RevertForm(forms.Form):
    change_reason = forms.CharField(
        label=_("Why"), max_length=services.REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("A short reason, shown in the history (and, when the revert undoes a "
                    "substantive correction, in the public correction log)."),
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
