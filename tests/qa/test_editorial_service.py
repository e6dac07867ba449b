"""qa.services.editorial: edits, reverts and re-queueing learners (error reports:
test_error_reports.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from qa.models import Question, RevisionInfo, StudyState
from qa.search import build_search_text
from qa.services import editorial as services
from tests.factories import (
    QuestionFactory,
    StudyStateFactory,
    TagFactory,
    UserFactory,
)
from tests.qa.editing import edit, latest_revision

Kind = RevisionInfo.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return QuestionFactory(answer="自注意力的复杂度是 O(n)。")


# --- save_question_edit ---------------------------------------------------------------------


def test_a_substantive_correction_bumps_the_answer_version_and_records_who_why_and_kind(
    question, editor
):
    result = edit(question, editor, answer="自注意力的复杂度是 O(n²)。")

    question.refresh_from_db()
    assert question.answer == "自注意力的复杂度是 O(n²)。"
    assert (question.answer_version, question.revision) == (2, 2)
    record = latest_revision(question)
    assert result.record.history_id == record.history_id
    assert (record.history_user, record.history_change_reason, record.change_kind) == (
        editor, "修正复杂度", Kind.SUBSTANTIVE
    )
    assert record.answer == question.answer
    assert record.answer_version == 2


def test_every_edit_writes_exactly_one_revision_including_tag_changes(question, editor):
    before = Question.history.filter(id=question.pk).count()
    tag = TagFactory(name="注意力")

    edit(question, editor, kind=Kind.TYPO, reason="加标签和改字", answer="自注意力复杂度 O(n)。",
         tags=[tag])

    assert Question.history.filter(id=question.pk).count() == before + 1
    record = latest_revision(question)
    assert list(record.tags.values_list("tag__name", flat=True)) == ["注意力"]
    question.refresh_from_db()
    # Re-indexed with the new tag by the pre_save signal.
    assert question.search_text == build_search_text(question.prompt, question.answer, "注意力")


def test_a_typo_fix_does_not_bump_the_answer_version(question, editor):
    edit(question, editor, kind=Kind.TYPO, reason="标点", answer="自注意力的复杂度是 O(n) 。")

    question.refresh_from_db()
    assert (question.answer_version, question.revision) == (1, 2)
    assert latest_revision(question).change_kind == Kind.TYPO


def test_a_substantive_edit_that_does_not_touch_the_text_is_recorded_as_a_minor_change(
    question, editor
):
    result = edit(question, editor, kind=Kind.SUBSTANTIVE, number=question.number + 10)

    assert not result.answer_version_bumped
    assert latest_revision(question).change_kind == Kind.TYPO
    question.refresh_from_db()
    assert question.answer_version == 1


def test_a_status_change_alone_is_recorded_as_a_status_change(question, editor):
    edit(question, editor, kind=Kind.TYPO, reason="过时", status=Question.Status.RETIRED)

    record = latest_revision(question)
    assert (record.change_kind, record.status) == (Kind.STATUS, Question.Status.RETIRED)


def test_an_edit_that_changes_nothing_records_no_revision(question, editor):
    before = Question.history.filter(id=question.pk).count()

    result = edit(question, editor, answer=question.answer, tags=[])

    assert not result.changed
    assert Question.history.filter(id=question.pk).count() == before
    question.refresh_from_db()
    assert question.revision == 1


def test_a_reason_is_required(question, editor):
    with pytest.raises(ValueError):
        edit(question, editor, reason="  ", answer="新答案")
    question.refresh_from_db()
    assert question.revision == 1


def test_a_save_based_on_an_old_revision_is_refused_and_writes_nothing(question, editor):
    other = UserFactory()
    edit(question, other, answer="第一位编辑的答案")
    rows = Question.history.filter(id=question.pk).count()

    with pytest.raises(services.EditConflict) as conflict:
        services.save_question_edit(
            question=question, editor=editor, data={"answer": "第二位编辑的答案"},
            kind=Kind.SUBSTANTIVE, reason="改写", expected_revision=1,
        )

    assert conflict.value.current.revision == 2
    question.refresh_from_db()
    assert question.answer == "第一位编辑的答案"
    assert Question.history.filter(id=question.pk).count() == rows


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_at_the_same_moment_one_wins_and_one_is_told():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    question = QuestionFactory(answer="原答案")
    editors = [UserFactory(), UserFactory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(editor, text):
        try:
            barrier.wait(timeout=5)
            services.save_question_edit(question=question, editor=editor, data={"answer": text},
                                        kind=Kind.SUBSTANTIVE, reason="并发", expected_revision=1)
            outcomes.append("saved")
        except services.EditConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(editor, f"答案{n}"))
               for n, editor in enumerate(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["conflict", "saved"]
    question.refresh_from_db()
    assert (question.revision, question.answer_version) == (2, 2)
    assert Question.history.filter(id=question.pk).count() == 2


# --- re-queueing ----------------------------------------------------------------------------


def test_a_substantive_correction_requeues_learners_who_saw_an_older_version(question, editor):
    later = timezone.now() + timedelta(days=20)
    learned = StudyStateFactory(question=question, last_answer_version=1, due=later)

    result = edit(question, editor, answer="新的正确答案")

    assert result.requeued == 1
    learned.refresh_from_db()
    assert learned.changed_since_review
    assert learned.due <= timezone.now()


def test_a_correction_of_the_question_alone_requeues_learners_too(question, editor):
    later = timezone.now() + timedelta(days=20)
    learned = StudyStateFactory(question=question, last_answer_version=1, due=later)

    result = edit(question, editor, prompt=question.prompt + "（在训练时）")

    assert result.answer_version_bumped and result.requeued == 1
    learned.refresh_from_db()
    assert learned.changed_since_review and learned.due <= timezone.now()


def test_overdue_cards_keep_their_earlier_due_date(question, editor):
    overdue = timezone.now() - timedelta(days=3)
    state = StudyStateFactory(question=question, last_answer_version=1, due=overdue)

    edit(question, editor, answer="新的正确答案")

    state.refresh_from_db()
    assert state.due == overdue
    assert state.changed_since_review


def test_learners_who_already_saw_the_new_version_are_untouched(question, editor):
    later = timezone.now() + timedelta(days=20)
    current = StudyStateFactory(question=question, last_answer_version=2, due=later)

    result = edit(question, editor, answer="新的正确答案")  # becomes version 2

    assert result.requeued == 0
    current.refresh_from_db()
    assert (current.due, current.changed_since_review) == (later, False)


def test_learners_who_never_reviewed_the_question_are_untouched(question, editor):
    other_question = QuestionFactory()
    elsewhere = StudyStateFactory(question=other_question, last_answer_version=1,
                                  due=timezone.now() + timedelta(days=9))

    edit(question, editor, answer="新的正确答案")

    assert not StudyState.objects.filter(question=question).exists()
    elsewhere.refresh_from_db()
    assert not elsewhere.changed_since_review


def test_a_typo_fix_moves_nobody(question, editor):
    later = timezone.now() + timedelta(days=20)
    state = StudyStateFactory(question=question, last_answer_version=1, due=later)

    result = edit(question, editor, kind=Kind.TYPO, reason="错别字",
                  answer="自注意力的复杂度为 O(n)。")

    assert result.requeued == 0
    state.refresh_from_db()
    assert (state.due, state.changed_since_review) == (later, False)


# --- revert ---------------------------------------------------------------------------------


def test_reverting_a_substantive_correction_is_a_new_revision_that_requeues(question, editor):
    original = latest_revision(question)
    edit(question, editor, answer="错误地改成了这个")
    later = timezone.now() + timedelta(days=20)
    state = StudyStateFactory(question=question, last_answer_version=2, due=later)

    result = services.revert_question(
        question=question, editor=editor, history_id=original.history_id, reason="改错了，撤回",
        expected_revision=2,
    )

    question.refresh_from_db()
    assert question.answer == original.answer
    assert (question.revision, question.answer_version) == (3, 3)
    record = latest_revision(question)
    assert (record.change_kind, record.history_change_reason) == (Kind.REVERT, "改错了，撤回")
    assert result.requeued == 1
    state.refresh_from_db()
    assert state.changed_since_review


def test_a_revert_to_what_a_learner_studied_is_no_change_for_them(question, editor):
    original = latest_revision(question)
    later = timezone.now() + timedelta(days=20)
    studied_original = StudyStateFactory(question=question, last_answer_version=1, due=later)
    edit(question, editor, answer="错误地改成了这个")
    studied_mistake = StudyStateFactory(question=question, last_answer_version=2, due=later)
    studied_original.refresh_from_db()
    assert studied_original.changed_since_review  # the correction re-queued them

    result = services.revert_question(
        question=question, editor=editor, history_id=original.history_id, reason="改错了，撤回",
        expected_revision=2,
    )

    assert result.requeued == 1
    studied_mistake.refresh_from_db()
    studied_original.refresh_from_db()
    assert studied_mistake.changed_since_review and studied_mistake.due < later
    # Their answer is again the one they studied: no "answer changed" for them any more.
    assert not studied_original.changed_since_review


def test_reverting_only_typo_fixes_moves_nobody(question, editor):
    original = latest_revision(question)
    edit(question, editor, kind=Kind.TYPO, reason="标点", answer="自注意力的复杂度是 O(n) 。")
    state = StudyStateFactory(question=question, last_answer_version=1,
                              due=timezone.now() + timedelta(days=20))

    result = services.revert_question(
        question=question, editor=editor, history_id=original.history_id, reason="恢复",
        expected_revision=2,
    )

    assert result.changed and not result.answer_version_bumped
    question.refresh_from_db()
    assert (question.answer, question.answer_version) == (original.answer, 1)
    state.refresh_from_db()
    assert not state.changed_since_review


def test_revert_refuses_a_revision_of_another_question(question, editor):
    stranger = latest_revision(QuestionFactory())
    with pytest.raises(Question.history.model.DoesNotExist):
        services.revert_question(
            question=question, editor=editor, history_id=stranger.history_id, reason="x",
            expected_revision=1,
        )


# --- creation -------------------------------------------------------------------------------


def test_creating_a_question_records_one_creation_revision_with_its_tags(editor):
    section = QuestionFactory().section
    tag = TagFactory(name="幻觉")
    question = Question(key="test/new/1", bank=section.bank, section=section, number=1,
                        prompt="什么是幻觉？", answer="模型编造事实。")

    services.create_question(editor=editor, question=question, tags=[tag], reason="新题")

    rows = list(Question.history.filter(id=question.pk))
    assert len(rows) == 1
    assert (rows[0].history_type, rows[0].history_user, rows[0].revision) == ("+", editor, 1)
    assert list(rows[0].tags.values_list("tag__name", flat=True)) == ["幻觉"]


# --- import after edits ---------------------------------------------------------------------


BANK_YAML = """\
format: 1
bank:
  slug: svc-bank
  title: 测试题库
  language: zh-hans
  description: 测试
  source: tests
sections:
  - key: basics
    title: 基础篇
questions:
  - key: svc-bank/basics/01
    section: basics
    prompt: 什么是注意力？
    tags: [注意力]
    answer: |
      {answer}
"""


def test_reimporting_after_an_editor_correction_never_overwrites_it(tmp_path, editor):
    path = tmp_path / "bank.yaml"
    path.write_text(BANK_YAML.format(answer="导入的答案。"), encoding="utf-8")
    call_command("import_bank", str(path), verbosity=0)
    question = Question.objects.get(key="svc-bank/basics/01")

    edit(question, editor, answer="编辑修正后的答案。")
    path.write_text(BANK_YAML.format(answer="题库文件里更新的答案。"), encoding="utf-8")
    call_command("import_bank", str(path), verbosity=0)

    question.refresh_from_db()
    assert question.answer == "编辑修正后的答案。"
    assert question.answer_version == 2
    assert latest_revision(question).change_kind == Kind.SUBSTANTIVE
