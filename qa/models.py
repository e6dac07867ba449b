from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Bank(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
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
    key = models.SlugField(_("key"))
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
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["section", "status", "number"], name="question_section_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.prompt[:40]}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("qa:question", kwargs={"key": self.key})


class StudyState(models.Model):
    """One learner's FSRS card for one question. No row means the question is new to them."""

    class State(models.IntegerChoices):
        LEARNING = 1, _("Learning")
        REVIEW = 2, _("Review")
        RELEARNING = 3, _("Relearning")

    # The user's rows are found through studystate_unique (user, question): no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_states",
        db_index=False,
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="study_states")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    last_answer_version = models.PositiveIntegerField(default=1)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Set when a substantive correction re-queued this card; cleared by the next review.
    changed_since_review = models.BooleanField(default=False)
    # "Clear from my mistakes": Again grades up to this moment no longer make it a mistake.
    mistake_cleared_at = models.DateTimeField(null=True, blank=True)
    # The card as it was before its last grade ({}: no card yet), so that grade can be taken
    # back (qa.services.undoing.undo_grade); NULL once taken back, or once a correction
    # re-queued the card.
    previous = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="studystate_unique")
        ]
        indexes = [models.Index(fields=["user", "due"], name="studystate_user_due_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id} due {self.due:%Y-%m-%d %H:%M}"


class Quiz(models.Model):
    class Mode(models.TextChoices):
        DUE = "due", _("Due reviews")
        NEW = "new", _("New questions")
        SECTION = "section", _("Whole section")
        SET = "set", _("Study set")
        BOOKMARKS = "bookmarks", _("Bookmarks")
        MISTAKES = "mistakes", _("Mistakes")
        MOCK = "mock", _("Mock interview")

    # Found through quiz_user_open_idx (user, finished_at).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quizzes",
        db_index=False,
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL)
    study_set = models.ForeignKey(
        "StudySet", null=True, blank=True, on_delete=models.SET_NULL, related_name="quizzes"
    )
    position = models.PositiveIntegerField(default=0)
    time_limit_seconds = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "finished_at"], name="quiz_user_open_idx")]

    def __str__(self) -> str:
        return f"Quiz {self.pk} ({self.mode})"


class QuizItem(models.Model):
    """One showing of a question in a quiz, in order. The grade it received is its Review.

    A question graded Again comes back later in the quiz as a new item (see
    qa.services.answering.AGAIN_AFTER), so a question may have several items in one quiz.
    """

    # Found through quizitem_unique_pos (quiz, position).
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    typed_answer = models.TextField(blank=True)
    # When the reference answer was shown; in a mock interview (answers shown at the end),
    # when the learner handed in their answer.
    revealed_at = models.DateTimeField(null=True, blank=True)
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "position"], name="quizitem_unique_pos"),
        ]
        indexes = [models.Index(fields=["quiz", "question"], name="quizitem_quiz_question_idx")]

    def __str__(self) -> str:
        return f"Quiz {self.quiz_id} #{self.position}"


class Review(models.Model):
    """Append-only log of grades. One row per grade, whatever the retries."""

    class Rating(models.IntegerChoices):
        AGAIN = 1, _("Again")
        HARD = 2, _("Hard")
        GOOD = 3, _("Good")
        EASY = 4, _("Easy")

    # Every grade writes each of this table's indexes: the user's and the question's reviews
    # are found through review_user_time_idx and review_question_rating_idx, so neither foreign
    # key has an index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews",
        db_index=False,
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    quiz_item = models.OneToOneField(
        QuizItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="review"
    )
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    answer_version = models.PositiveIntegerField()
    typed_answer = models.TextField(blank=True)
    # Unique by a constraint rather than unique=True, which on PostgreSQL adds a second index
    # for LIKE queries that are never made.
    token = models.CharField(max_length=64)

    class Meta:
        ordering = ["-reviewed_at"]
        constraints = [models.UniqueConstraint(fields=["token"], name="review_token_unique")]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="review_user_time_idx"),
            models.Index(fields=["question", "rating"], name="review_question_rating_idx"),
            # A learner's mistakes (qa.selectors.study.mistakes): their Again grades (1) by
            # question, latest first, without reading the rest of their history.
            models.Index(
                fields=["user", "question", "-reviewed_at"],
                condition=models.Q(rating=1),
                name="review_user_again_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id}: {self.rating}"


class Bookmark(models.Model):
    # Found through the unique (user, question) constraint.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks",
        db_index=False,
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="bookmark_unique")
        ]

    def __str__(self) -> str:
        return f"Bookmark {self.user_id}/{self.question_id}"


class Note(models.Model):
    # Found through the unique (user, question) constraint.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes",
        db_index=False,
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("note (Markdown)"), max_length=20000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="note_unique")]

    def __str__(self) -> str:
        return f"Note {self.user_id}/{self.question_id}"


class ErrorReport(models.Model):
    class Kind(models.TextChoices):
        WRONG = "wrong", _("The answer is wrong")
        OUTDATED = "outdated", _("The answer is outdated")
        UNCLEAR = "unclear", _("The answer is unclear or incomplete")
        TYPO = "typo", _("Typo or formatting")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    # Found through report_reporter_idx (reporter, status).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="error_reports",
        db_index=False, verbose_name=_("reporter"),
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="error_reports",
                                 verbose_name=_("question"))
    answer_version = models.PositiveIntegerField(_("answer version seen"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.TextField(_("message"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reply = models.TextField(_("reply to the reporter"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_reports",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The history row (Question.history) of the revision that corrected the answer.
    correcting_revision_id = models.PositiveBigIntegerField(null=True, blank=True)
    reporter_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("error report")
        verbose_name_plural = _("error reports")
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue_idx"),
            models.Index(fields=["reporter", "status"], name="report_reporter_idx"),
        ]

    def __str__(self) -> str:
        return _("Report %(number)s on %(key)s") % {"number": self.pk, "key": self.question.key}


class StudySet(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        TEAM = "team", _("Team")
        LINK = "link", _("Anyone with the link")

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="study_sets",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="study_sets"
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # While shared by link: the visibility it had before, which stopping the link restores
    # (a curators' draft goes back to being a draft).
    visibility_before_link = models.CharField(
        max_length=10, choices=Visibility.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, team__isnull=True)
                           | Q(owner__isnull=True, team__isnull=False)),
                name="studyset_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SetItem(models.Model):
    # Found through setitem_unique (study_set, question).
    study_set = models.ForeignKey(
        StudySet, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="set_items")
    position = models.PositiveIntegerField()
    note = models.TextField(_("curator note"), blank=True, max_length=2000)

    class Meta:
        ordering = ["study_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["study_set", "question"], name="setitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.study_set_id} #{self.position}"
