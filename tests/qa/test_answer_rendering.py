"""Answers are Markdown rendered safely wherever the bank shows them: no script ever runs."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import QuestionFactory

HOSTILE = (
    "<script>alert('answer')</script>\n\n"
    "[click me](javascript:alert(1)) and [docs](https://example.com/docs)\n\n"
    '<img src="x" onerror="alert(2)">\n\n'
    "<javascript:alert(3)> and [ref][x] and ![pic](javascript:alert(5))\n\n"
    "[x]: javascript:alert(4)\n\n"
    "- **SFT** item\n"
)


@pytest.fixture
def question(db):
    return QuestionFactory(key="t/s/01", prompt="<b>SFT</b> 是什么？", answer=HOSTILE)


def assert_safe(body: str) -> None:
    assert "<script>alert" not in body
    assert not re.search(r"href=[\"']?\s*javascript:", body, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", body, re.IGNORECASE)


def test_revealed_answer_renders_markdown_and_drops_anything_executable(client, question):
    body = client.get(question.get_absolute_url() + "?reveal=1").content.decode()
    assert_safe(body)
    assert "&lt;script&gt;alert" in body  # shown as text
    assert "&lt;img" in body
    assert "<li><strong>SFT</strong> item</li>" in body
    assert 'href="https://example.com/docs"' in body
    assert "click me" in body


def test_htmx_answer_fragment_is_just_as_safe(client, question):
    url = reverse("qa:question-answer", kwargs={"key": question.key})
    body = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert_safe(body)
    assert "<strong>SFT</strong>" in body


def test_prompt_is_text_not_html(client, question):
    body = client.get(question.get_absolute_url()).content.decode()
    assert "&lt;b&gt;SFT&lt;/b&gt; 是什么？" in body
    assert "<b>SFT</b>" not in body


def test_search_snippet_of_a_hostile_answer_is_escaped(client, question):
    body = client.get(reverse("qa:search"), {"q": "SFT"}).content.decode()
    assert_safe(body)
    assert "&lt;b&gt;<mark>SFT</mark>&lt;/b&gt;" in body
