"""A learner searches in Chinese, opens a result and reveals the answer, in a real Chromium."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "banks" / "llm-zh.yaml"


@pytest.fixture
def shipped_bank():
    call_command("import_bank", str(SHIPPED), stdout=io.StringIO())


def watch_errors(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def test_search_in_chinese_open_a_result_and_reveal_the_answer(page, login, shipped_bank):
    problems = watch_errors(page)
    user = UserFactory(email="lin@example.com")
    login(page, user, PASSWORD)

    # The search box in the navigation leads to the search page.
    page.fill("header input[name=q]", "幻觉")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    result = page.locator(".search-result").first
    assert result.locator("mark").first.inner_text() == "幻觉"
    assert "模型幻觉是什么" in result.inner_text()

    # Typing a new query updates the results in place (HTMX) and the address bar.
    page.evaluate("() => { document.getElementById('results').dataset.kept = 'yes'; }")
    page.fill("#search-q", "注意力")
    page.locator(".search-result mark", has_text="注意力").first.wait_for()
    page.wait_for_url(re.compile(r"q=%E6%B3%A8"))
    # The title says what was searched for, and the live region is the page's own (a new one
    # would not be read out).
    expect(page).to_have_title(re.compile(r"^“注意力” — search"))
    assert page.locator("#results[aria-live=polite]").count() == 1
    assert page.evaluate("() => document.getElementById('results').dataset.kept") == "yes"
    first = page.locator(".search-result .result-prompt").first
    assert "多查询注意力与群查询注意力" in first.inner_text()

    # Typing keeps the search page one history entry: Back from a result comes to the query
    # as last typed, and Back again leaves the search (not through each query typed on the way).
    page.fill("#search-q", "注意")
    page.wait_for_url(re.compile(r"q=%E6%B3%A8%E6%84%8F$"))
    page.fill("#search-q", "注意力")
    page.wait_for_url(re.compile(r"q=%E6%B3%A8%E6%84%8F%E5%8A%9B$"))
    first.click()
    page.wait_for_url(re.compile(r"/q/llm-zh/basics/13/$"))
    page.go_back()
    page.wait_for_url(re.compile(r"q=%E6%B3%A8%E6%84%8F%E5%8A%9B$"))
    page.go_back()
    page.wait_for_url(lambda url: "/search/" not in url)
    page.go_forward()
    page.wait_for_url(re.compile(r"q=%E6%B3%A8%E6%84%8F%E5%8A%9B$"))
    first = page.locator(".search-result .result-prompt").first
    first.click()
    page.wait_for_url(re.compile(r"/q/llm-zh/basics/13/$"))
    assert "多查询注意力与群查询注意力是否了解" in page.inner_text("h1")
    assert page.locator("#answer .prose").count() == 0

    page.click("#answer a:has-text('Show the answer')")
    answer = page.locator("#answer .prose")
    answer.wait_for()
    assert "Multi-query Attention" in answer.inner_text()
    # Revealed in place by HTMX, not by following the no-JavaScript link.
    assert "reveal=1" not in page.url
    assert problems == []


def test_reveal_works_without_javascript(browser, live_server, shipped_bank):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/q/llm-zh/basics/08/")
        page.click("#answer a:has-text('Show the answer')")
        page.wait_for_url(re.compile(r"reveal=1"))
        assert "模型幻觉是指" in page.inner_text("#answer")
    finally:
        context.close()


def test_code_in_a_chinese_answer_is_set_in_the_monospace_font(page, db):
    from tests.factories import QuestionFactory

    question = QuestionFactory(prompt="什么是 RMSNorm？",
                               answer="用 `RMSNorm` 代替 LayerNorm：\n\n```\nx / rms(x)\n```")
    page.goto(question.get_absolute_url() + "?reveal=1")
    fonts = page.evaluate("""() => ({
        text: getComputedStyle(document.querySelector('.prose p')).fontFamily,
        code: getComputedStyle(document.querySelector('.prose p code')).fontFamily,
        block: getComputedStyle(document.querySelector('.prose pre code')).fontFamily,
    })""")
    assert fonts["text"].startswith('-apple-system, BlinkMacSystemFont, "PingFang SC"')
    assert fonts["code"].startswith("ui-monospace") and fonts["block"].startswith("ui-monospace")


def test_the_language_switch_comes_back_to_the_query_as_last_typed(page, login,
                                                                    shipped_bank):
    problems = watch_errors(page)
    login(page, UserFactory(email="lin@example.com"), PASSWORD)
    page.goto("/search/")
    page.fill("#search-q", "注意力")
    page.wait_for_url(re.compile(r"q=%E6%B3%A8%E6%84%8F%E5%8A%9B$"))
    page.click("form.lang-switch button[value=zh-hans]")
    page.wait_for_url(re.compile(r"/search/\?q=%E6%B3%A8%E6%84%8F%E5%8A%9B$"))
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.input_value("#search-q") == "注意力"
    assert page.locator(".search-result").count() > 0
    assert problems == []
