"""A learner's studying: the FSRS card per question, quizzes and the log of their grades,
bookmarks and notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qa.models.bank import Question, Section


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

    class Ended(models.TextChoices):
        """Why a quiz ended that its learner did not end (blank: the learner, or its end)."""

        SET_CLOSED = "set_closed", _(
            "This quiz ended: its study set is no longer open to you (you left its team, or "
            "its owner closed it to you). The grades you gave are kept.")
        SET_DELETED = "set_deleted", _(
            "This quiz ended: its study set was deleted. The grades you gave are kept.")

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
    ended = models.CharField(max_length=12, choices=Ended.choices, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "finished_at"], name="quiz_user_open_idx")]

    def __str__(self) -> str:
        return f"Quiz {self.pk} ({self.mode})"

    def finished_message(self) -> str:
        """Why its cards can no longer be answered: it ended, and how."""
        return str(self.get_ended_display() or _("This quiz is already finished."))


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


class RatingIs(models.Lookup):
    """`rating__is=Review.Rating.AGAIN`: equal to a rating written into the SQL itself rather
    than sent as a parameter. PostgreSQL uses a partial index (review_user_again_idx, defined
    by `rating = 1`) only where it can see the condition holds; in the generic plan it keeps
    for a prepared statement, a parameter could be anything, so `rating = $1` never matches,
    and a learner's mistakes were looked up through all of their reviews, once per question
    they studied."""

    lookup_name = "is"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = {int(Review.Rating(self.rhs))}", params


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


Review._meta.get_field("rating").register_lookup(RatingIs)


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
