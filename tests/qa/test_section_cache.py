"""The cached sections and their published-question totals (qa.selectors.sections) follow
every change of the bank: editors' saves, once committed, and imports."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

from qa.models import Question
from qa.selectors.sections import sections_with_totals
from tests.factories import QuestionFactory, SectionFactory

pytestmark = pytest.mark.django_db


def totals() -> dict[str, int]:
    return {section.title: section.total for section in sections_with_totals()}


def test_a_page_read_before_the_edit_commits_does_not_keep_the_old_totals(
    django_capture_on_commit_callbacks,
):
    section = SectionFactory(title="基础篇")
    question = QuestionFactory(section=section)
    assert totals() == {"基础篇": 1}
    with django_capture_on_commit_callbacks(execute=True):
        question.status = Question.Status.RETIRED
        question.save()
        # A page read the bank before the retirement was visible to it (as another
        # connection would) and cached the old totals:
        Question.objects.filter(pk=question.pk).update(status=Question.Status.PUBLISHED)
        assert totals() == {"基础篇": 1}
        Question.objects.filter(pk=question.pk).update(status=Question.Status.RETIRED)
    assert totals() == {}  # forgotten again once the change committed


def test_an_import_shows_at_once(tmp_path):
    data = {
        "format": 1,
        "bank": {"slug": "demo", "title": "Demo bank", "language": "en"},
        "sections": [{"key": "one", "title": "One"}],
        "questions": [{"key": "demo/one/01", "section": "one", "prompt": "What is attention?",
                       "answer": "Weights over positions."}],
    }
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    call_command("import_bank", str(path), stdout=io.StringIO())
    assert totals() == {"One": 1}
    data["questions"].append({"key": "demo/one/02", "section": "one", "prompt": "What is SFT?",
                              "answer": "Supervised fine-tuning."})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    call_command("import_bank", str(path), stdout=io.StringIO())
    assert totals() == {"One": 2}
