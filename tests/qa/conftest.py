"""Fixtures for tests of studying (tests/qa/test_answering.py, test_study_service.py), whose
`section` and `questions` modules may replace with their own, and the shipped bank."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.factories import QuestionFactory, SectionFactory
from tests.qa.importing import SHIPPED


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


@pytest.fixture
def shipped(db):
    """The shipped bank (fixtures/banks/llm-zh.yaml), imported. The importer's tests keep
    their own, which returns the command's report."""
    call_command("import_bank", str(SHIPPED), stdout=io.StringIO())
