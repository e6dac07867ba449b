"""The bank's structure in the editors' admin: what names a bank, a section and a question
(slug, bank, key) is set once; drafts are previewed by editors, not by any staff account."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from qa.models import Bank, Question, Section, Tag
from tests.factories import BankFactory, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_editor_cannot_move_a_section_to_another_bank_or_rename_its_key(editor_client):
    question = QuestionFactory()
    section = question.section
    other = SectionFactory().bank
    url = reverse("admin:qa_section_change", args=[section.pk])
    page = editor_client.get(url).content.decode()
    assert 'name="bank"' not in page and 'name="key"' not in page
    response = editor_client.post(url, {
        "bank": other.pk, "key": "renamed", "title": "新标题", "subtopic": "",
        "position": section.position,
    })
    assert response.status_code == 302
    section.refresh_from_db()
    assert (section.bank_id, section.key, section.title) == (question.bank_id,
                                                             section.key, "新标题")
    assert editor_client.get(question.get_absolute_url()).status_code == 200


def test_a_bank_s_slug_is_set_when_it_is_created(editor_client):
    bank = SectionFactory().bank
    url = reverse("admin:qa_bank_change", args=[bank.pk])
    assert 'name="slug"' not in editor_client.get(url).content.decode()
    editor_client.post(url, {"title": "新名字", "slug": "moved", "language": bank.language,
                             "source": ""})
    bank.refresh_from_db()
    assert bank.slug != "moved"
    add = editor_client.get(reverse("admin:qa_bank_add")).content.decode()
    assert 'name="slug"' in add


@pytest.mark.parametrize("key", ["{bank}/{section}/answer", "{bank}/{section}/7", "new one",
                                 "{bank}/other/01", "{bank}/{section}/01/report"])
def test_a_new_question_s_key_must_name_its_bank_section_and_number(editor_client, key):
    section = SectionFactory()
    key = key.format(bank=section.bank.slug, section=section.key)
    response = editor_client.post(reverse("admin:qa_question_add"), {
        "key": key, "bank": section.bank_id, "section": section.pk, "number": 1,
        "status": "draft", "prompt": "新问题？", "answer": "新答案。", "change_reason": "",
    })
    assert response.status_code == 200
    assert "The key must be the bank" in response.content.decode()
    assert f"{section.bank.slug}/{section.key}/01" in response.content.decode()
    assert not Question.objects.filter(key=key).exists()


def test_only_editors_preview_drafts_not_every_staff_account(client, editor):
    draft = QuestionFactory(status=Question.Status.DRAFT, prompt="草稿中的问题")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(draft.get_absolute_url()).status_code == 404
    section_url = reverse("qa:section", args=[draft.bank.slug, draft.section.key])
    assert "草稿中的问题" not in client.get(section_url).content.decode()
    # Staff allowed to see the bank in the admin may preview it.
    staff.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(staff)
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.force_login(editor)
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert Bank.objects.count() == Section.objects.count() == 1


def test_the_admin_names_the_bank_s_models_and_fields_in_chinese(editor_client):
    question = QuestionFactory()
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    index = editor_client.get(reverse("admin:index"), **zh).content.decode()
    for name in ("题库", "章节", "标签", "纠错报告"):
        assert name in index
    for name in ("Banks", "Sections", "Tags", "Error reports"):
        assert name not in index
    form = editor_client.get(reverse("admin:qa_question_change", args=[question.pk]),
                             **zh).content.decode()
    assert ">题库" in form and ">章节" in form and ">标签" in form


def test_sections_of_two_banks_are_told_apart_where_a_question_is_added(editor_client):
    first = SectionFactory(title="基础篇", bank__title="大模型面试")
    second = SectionFactory(title="基础篇", bank__title="推荐系统面试")
    page = editor_client.get(reverse("admin:qa_question_add")).content.decode()
    assert f'<option value="{first.pk}">大模型面试 · 基础篇</option>' in page
    assert f'<option value="{second.pk}">推荐系统面试 · 基础篇</option>' in page
    # Where the bank is fixed, its sections go by their own titles.
    question = QuestionFactory(section=first, bank=first.bank)
    change = editor_client.get(reverse("admin:qa_question_change", args=[question.pk]))
    assert f'<option value="{first.pk}" selected>基础篇</option>' in change.content.decode()


def test_a_bank_slug_or_section_key_with_capitals_is_refused(editor_client):
    """The admin took `RAG`; the bank's own download then could not be imported (its file
    format allows lowercase keys only)."""
    bank = BankFactory()
    response = editor_client.post(reverse("admin:qa_section_add"), {
        "bank": bank.pk, "key": "RAG", "title": "检索增强", "subtopic": "", "position": 3})
    assert response.status_code == 200
    assert "Use lowercase ASCII letters and digits" in response.content.decode()
    response = editor_client.post(reverse("admin:qa_bank_add"), {
        "title": "Banks", "slug": "My-Bank", "language": "en", "source": ""})
    assert response.status_code == 200
    assert not Section.objects.filter(key="RAG").exists()
    assert not Bank.objects.filter(slug="My-Bank").exists()
    assert editor_client.post(reverse("admin:qa_section_add"), {
        "bank": bank.pk, "key": "rag", "title": "检索增强", "subtopic": "",
        "position": 3}).status_code == 302


def test_a_bank_language_that_is_no_language_tag_is_refused(editor_client):
    """Pages give it as lang="…", for screen readers and the choice of CJK fonts."""
    bank = BankFactory(language="zh-hans")
    created = timezone.localtime(bank.created_at)
    data = {"title": bank.title, "description": "", "source": "",
            "created_at_0": f"{created:%Y-%m-%d}", "created_at_1": f"{created:%H:%M:%S}"}
    response = editor_client.post(reverse("admin:qa_bank_change", args=[bank.pk]),
                                  {**data, "language": "中文"})
    assert response.status_code == 200
    assert "Use a language tag such as zh-hans or en" in response.content.decode()
    bank.refresh_from_db()
    assert bank.language == "zh-hans"
    assert editor_client.post(reverse("admin:qa_bank_change", args=[bank.pk]),
                              {**data, "language": "en"}).status_code == 302


def test_a_tag_differing_only_in_capitals_from_another_is_refused(admin_client):
    Tag.objects.create(name="SFT")
    response = admin_client.post(reverse("admin:qa_tag_add"), {"name": " sft "})
    assert response.status_code == 200
    assert "There is already the tag “SFT”" in response.content.decode()
    assert list(Tag.objects.values_list("name", flat=True)) == ["SFT"]
    assert admin_client.post(reverse("admin:qa_tag_add"), {"name": "RLHF"}).status_code == 302
    # Renaming a tag to a spelling of itself is no clash.
    sft = Tag.objects.get(name="SFT")
    admin_client.post(reverse("admin:qa_tag_change", args=[sft.pk]), {"name": "Sft"})
    sft.refresh_from_db()
    assert sft.name == "Sft"
