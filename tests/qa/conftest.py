"""Fixtures for tests of studying (tests/qa/test_answering.py, test_study_service.py);
modules that define their own `section` or `questions` keep theirs."""

from __future__ import annotations

import pytest

from tests.factories import QuestionFactory, SectionFactory


@pytest.fixture
def no_fuzz(settings):
    """FSRS without its random spread of intervals, so the expected intervals are exact."""
    settings.FSRS_ENABLE_FUZZING = False


@pytest.fixture
def section(db):
    return SectionFactory()


@pytest.fixture
def questions(section):
    return [QuestionFactory(section=section, number=i) for i in range(1, 4)]
