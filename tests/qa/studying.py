"""Helpers for tests of studying: quizzes as the services start them."""

from __future__ import annotations

import uuid

from qa.models import Quiz, QuizItem
from qa.services import study as services


def token() -> str:
    """A fresh submission token, as a rendered grade form carries."""
    return uuid.uuid4().hex


def section_quiz(user, section) -> Quiz:
    return services.start_quiz(user=user, mode="section", section=section)


def first_item(quiz: Quiz) -> QuizItem:
    return quiz.items.order_by("position").first()


def current_item(quiz: Quiz) -> QuizItem | None:
    """The card the quiz shows now (the first still to grade at or after its position)."""
    quiz.refresh_from_db()
    return quiz.items.filter(position__gte=quiz.position).order_by("position").first()
