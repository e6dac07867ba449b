"""A learner's set of three questions, for the study-set page tests."""

from __future__ import annotations

import pytest

from qa.services.sets import add_questions, create_set
from tests.factories import SectionFactory, bulk_questions


@pytest.fixture
def questions():
    return bulk_questions(SectionFactory(), 3)


@pytest.fixture
def my_set(alice, questions):
    study_set = create_set(user=alice, title="Transformers")
    add_questions(study_set=study_set, questions=questions)
    return study_set
