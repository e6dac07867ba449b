from qa.models.bank import Bank, Question, QuestionQuerySet, RevisionInfo, Section, Tag
from qa.models.reports import ErrorReport
from qa.models.sets import SetItem, StudySet
from qa.models.studying import Bookmark, Note, Quiz, QuizItem, Review, StudyState

__all__ = [
    "Bank",
    "Bookmark",
    "ErrorReport",
    "Note",
    "Question",
    "QuestionQuerySet",
    "Quiz",
    "QuizItem",
    "Review",
    "RevisionInfo",
    "Section",
    "SetItem",
    "StudySet",
    "StudyState",
    "Tag",
]
