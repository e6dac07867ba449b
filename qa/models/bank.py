"""The bank as editors keep it: banks, their sections and tags, and the questions with their
revision history."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

# A bank's slug and a section's key, as a bank file has them (qa.importer): what the admin
# accepts, the bank's own download must import again.
KEY_PATTERN = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
lower_key = RegexValidator(
    rf"^{KEY_PATTERN}\Z",
    _("Use lowercase ASCII letters and digits, with single - or _ between them."),
)

# A bank's language, as pages give it in lang="..." (a BCP 47 tag: zh-hans, en, ja).
LANGUAGE_TAG_PATTERN = r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*"
language_tag = RegexValidator(
    rf"^{LANGUAGE_TAG_PATTERN}\Z",
    _("Use a language tag such as zh-hans or en (letters, with - between the parts)."),
)


class Bank(models.Model):
    slug = models.SlugField(_("slug"), unique=True, validators=[lower_key])
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=16, default="zh-hans",
                                validators=[language_tag])
    description = models.TextField(_("description"), blank=True)
    source = models.TextField(_("source"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Fingerprint of the title, language, description and source as last imported (see
    # qa.importer.files.fingerprint): an editor's change since is kept by the next import.
    import_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    # Found through section_unique_bank_key (bank, key).
    bank = models.ForeignKey(
        Bank, on_delete=models.CASCADE, related_name="sections", db_index=False,
        verbose_name=_("question bank"),
    )
    key = models.SlugField(_("key"), validators=[lower_key])
    title = models.CharField(_("title"), max_length=200)
    subtopic = models.CharField(_("sub-topic"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Fingerprint of the title and position as last imported, as Bank.import_hash.
    import_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["bank", "position", "pk"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["bank", "key"], name="section_unique_bank_key")
        ]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class RevisionInfo(models.Model):
    """Extra columns on every historical row of a question: what kind of change it was."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        SUBSTANTIVE = "substantive", _("Substantive correction")
        TYPO = "typo", _("Typo / formatting fix")
        REVERT = "revert", _("Revert")
        STATUS = "status", _("Status change")

    change_kind = models.CharField(
        _("kind of change"), max_length=12, choices=Kind.choices, default=Kind.TYPO
    )

    class Meta:
        abstract = True


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        return self.filter(status=Question.Status.PUBLISHED)


class Question(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    key = models.CharField(_("key"), max_length=120, unique=True)
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="questions",
                             verbose_name=_("question bank"))
    # Found through question_section_idx (section, status, number).
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="questions", db_index=False,
        verbose_name=_("section"),
    )
    number = models.PositiveIntegerField(_("number"), default=0)
    prompt = models.TextField(_("question"))
    answer = models.TextField(_("reference answer (Markdown)"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions",
                                  verbose_name=_("tags"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    # Bumped only by a substantive correction; learners who last saw an older version relearn.
    answer_version = models.PositiveIntegerField(_("answer version"), default=1)
    # Bumped by every saved edit; an edit form carries the value it started from, so a save
    # on top of someone else's newer save is detected rather than silently overwriting it.
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    # Hash of prompt+answer+tags as last written by the importer. If the current content no
    # longer hashes to it, an editor has changed the question and re-import must not touch it.
    import_hash = models.CharField(max_length=64, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        bases=[RevisionInfo],
        excluded_fields=["search_text", "updated_at"],
        m2m_fields=[tags],
        # Revisions are read by question id; these would only slow down every edit and import.
        no_db_index=["key", "bank", "section"],
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["section__position", "number", "pk"]
        verbose_name = _("question")
        # Not the "questions" that counts them (题数): the admin names the model by it.
        verbose_name_plural = pgettext_lazy("the model", "questions")
        indexes = [
            models.Index(fields=["section", "status", "number"], name="question_section_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.prompt[:40]}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("qa:question", kwargs={"key": self.key})
