"""Keyboard use and a phone's width, in a real Chromium: focus stays where the learner works
after an HTMX swap, a refused HTMX action shows its reason, and the header keeps the page's
margins on a narrow screen and leaves a phone most of its screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from qa.models import SetItem
from qa.services.sets import add_questions, create_set
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def learner(db):
    return UserFactory(email="kbd@example.com")


@pytest.fixture
def questions(db):
    section = SectionFactory(title="基础篇")
    return [QuestionFactory(section=section, number=i, prompt=f"Question {i} about attention")
            for i in range(1, 4)]


def test_moving_an_item_with_the_keyboard_keeps_focus_on_its_button(
    page, login, learner, questions
):
    study_set = create_set(user=learner, title="Order me")
    add_questions(study_set=study_set, questions=questions)
    first = SetItem.objects.get(study_set=study_set, question=questions[0])
    login(page, learner, PASSWORD)
    page.goto(f"/sets/{study_set.pk}/")
    down = page.locator(f"#item-{first.pk} button[aria-label='Move down']")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#set-items > li").nth(1)).to_have_id(f"item-{first.pk}")
    expect(down).to_be_focused()
    page.keyboard.press("Enter")  # pressed again: the same item moves once more
    expect(page.locator("#set-items > li").nth(2)).to_have_id(f"item-{first.pk}")
    order = list(SetItem.objects.filter(study_set=study_set).order_by("position")
                 .values_list("question_id", flat=True))
    assert order == [questions[1].pk, questions[2].pk, questions[0].pk]
    # Only the items that traded places were redrawn: the list holds each item once, in the
    # saved order, with ↑ disabled on the first and ↓ on the last alone.
    items = page.locator("#set-items > li")
    ids = [SetItem.objects.get(study_set=study_set, question=q).pk for q in
           (questions[1], questions[2], questions[0])]
    assert [items.nth(i).get_attribute("id") for i in range(items.count())] == [
        f"item-{pk}" for pk in ids]
    assert page.eval_on_selector_all(
        "#set-items button[aria-label^='Move']:disabled",
        "els => els.map(b => b.closest('li').id + ' ' + b.getAttribute('aria-label'))",
    ) == [f"item-{ids[0]} Move up", f"item-{ids[2]} Move down"]


def test_the_report_form_takes_focus_and_the_answer_too(page, login, learner, questions):
    login(page, learner, PASSWORD)
    page.goto(questions[0].get_absolute_url())
    page.click("text=Show the answer")
    expect(page.locator("#answer")).to_be_focused()
    page.click("text=Report an error")
    expect(page.locator("select[name=kind]")).to_be_focused()


def test_a_refused_set_note_shows_why_in_place(page, login, learner, questions):
    study_set = create_set(user=learner, title="Notes")
    add_questions(study_set=study_set, questions=questions[:1])
    login(page, learner, PASSWORD)
    page.goto(f"/sets/{study_set.pk}/")
    page.click("text=Add a note")
    textarea = page.locator("textarea[name=note]")
    textarea.evaluate("el => el.removeAttribute('maxlength')")  # as an older page might allow
    textarea.fill("x" * 2001)
    page.click("text=Save note")
    page.wait_for_selector("#set-items .errorlist")
    assert "at most 2000 characters" in page.inner_text("#set-items .errorlist")
    assert page.input_value("textarea[name=note]") == "x" * 2001


def test_the_header_keeps_the_page_margins_on_a_phone(browser, live_server, learner):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto("/")
        brand = page.locator("nav.nav").bounding_box()
        main = page.locator("main").bounding_box()
        padding = page.eval_on_selector("nav.nav", "el => getComputedStyle(el).paddingLeft")
        assert padding != "0px", padding
        assert brand["x"] <= main["x"]
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_phone_s_header_leaves_the_page_its_screen(browser, live_server, login, learner,
                                                     language):
    """Signed in on a phone, the header is three short rows (the name and the account, the
    search, the sections), and the current section is in view even past the screen's edge."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800},
                                  is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, learner, PASSWORD)
        assert page.locator(".site-header").bounding_box()["height"] <= 140
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/reports/")
        current = page.locator(".nav-links [aria-current=page]").bounding_box()
        assert current["x"] >= 0 and current["x"] + current["width"] <= 390, current
    finally:
        context.close()


def test_a_phone_s_small_buttons_take_a_finger_and_a_long_name_wraps(browser, live_server,
                                                                   login, questions):
    """On a touch screen the quiz's text buttons (stop, undo) were 19 px tall and the header's
    log-out 21 px, 14 px from the settings link; a name without spaces widened every page;
    the mock interview's button read "Next question +" (its hidden keys left the "+")."""
    from qa.services import study

    learner = UserFactory(email="long@example.com",
                          display_name="xiaoming.zhang.interview.prep2026")
    study.start_quiz(user=learner, mode="mock", count=2)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, learner, PASSWORD)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in (".nav-account button.link", ".lang-switch button", ".nav-user"):
            assert page.locator(selector).first.bounding_box()["height"] >= 24, selector
        # The long name is cut with an ellipsis: a block (as a flex item is), not a flex box,
        # whose text would be cut mid-letter.
        assert page.evaluate("getComputedStyle(document.querySelector('.nav-user')).display") \
            == "block"
        page.locator("a", has_text="Continue").first.click()
        next_button = page.locator(".mock-form button[data-key=next]")
        expect(next_button).to_be_visible()
        assert "+" not in next_button.inner_text()
        quiz = study.start_quiz(user=learner, mode="section", section=questions[0].section)
        page.goto(f"/quiz/{quiz.pk}/")
        stop = page.locator(".flashcard-foot button.link")
        assert stop.bounding_box()["height"] >= 24
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 360, "height": 800})
        page.goto("/bank/")  # its cards were at least 360 px wide, past a phone's margins
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # What a learner writes: a pasted URL in a report, a wide table in a note.
        from tests.factories import ErrorReportFactory, NoteFactory

        report = ErrorReportFactory(reporter=learner, question=questions[0],
                                    message="见 https://example.com/" + "y" * 400)
        table = "| " + " | ".join(f"列{n}" for n in range(12)) + " |\n" + "|---" * 12 + "|\n"
        NoteFactory(user=learner, question=questions[1], body=table)
        for url in (f"/reports/{report.pk}/", questions[1].get_absolute_url()):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    finally:
        context.close()


def test_removing_a_set_s_questions_updates_the_count_and_study_button(page, login, learner,
                                                                       questions):
    study_set = create_set(user=learner, title="Shrinking")
    add_questions(study_set=study_set, questions=questions[:2])
    login(page, learner, PASSWORD)
    page.goto(f"/sets/{study_set.pk}/")
    expect(page.locator("#set-count")).to_have_text("2 questions")
    for left in (1, 0):
        page.locator("#set-items form[action$='/remove/'] button").first.click()
        expect(page.locator("#set-count")).to_have_text(f"{left} question" + ("s" if left != 1
                                                                               else ""))
    expect(page.locator("#set-study")).to_be_disabled()


def test_saving_a_note_keeps_focus_in_the_note(page, login, learner, questions):
    login(page, learner, PASSWORD)
    page.goto(questions[0].get_absolute_url())
    page.click("text=Add a note")
    page.fill("textarea[name=body]", "记住：缩放点积")
    page.click("text=Save note")
    expect(page.locator(".note-body")).to_contain_text("记住：缩放点积")
    expect(page.locator(".note summary")).to_be_focused()
    page.click("text=Edit your note")
    page.click("text=Delete note")
    expect(page.locator(".note-body")).to_have_count(0)
    expect(page.locator(".note summary")).to_be_focused()


def test_a_set_list_keeps_focus_and_catches_up_with_another_editor(page, login, learner,
                                                                  questions):
    study_set = create_set(user=learner, title="Order me")
    extra = QuestionFactory(section=questions[0].section, number=4,
                            prompt="Question 4 about attention")
    add_questions(study_set=study_set, questions=[*questions, extra])
    a, b, c, d = (SetItem.objects.get(study_set=study_set, question=q)
                  for q in (*questions, extra))
    login(page, learner, PASSWORD)
    page.goto(f"/sets/{study_set.pk}/")

    def shown():
        items = page.locator("#set-items > li.set-item")
        return [items.nth(i).get_attribute("id") for i in range(items.count())]

    # Moved to the top, the item keeps the focus on its other arrow (↑ leads nowhere now).
    page.locator(f"#item-{b.pk} button[aria-label='Move up']").click()
    expect(page.locator("#set-items > li.set-item").first).to_have_id(f"item-{b.pk}")
    expect(page.locator(f"#item-{b.pk} button[aria-label='Move down']")).to_be_focused()

    # Another editor moves D to the top; this page still shows B A C D. Its next move is not
    # made, and the list comes back as it is, with a message.
    from qa.services.sets import move_item
    for _ in range(3):
        move_item(item=SetItem.objects.get(pk=d.pk), direction="up")
    page.locator(f"#item-{c.pk} button[aria-label='Move up']").click()
    expect(page.locator("#set-items [role=alert]")).to_contain_text("The list changed")
    assert shown() == [f"item-{pk}" for pk in (d.pk, b.pk, a.pk, c.pk)]
    page.locator(f"#item-{c.pk} button[aria-label='Move up']").click()
    expect(page.locator("#set-items > li.set-item").nth(2)).to_have_id(f"item-{c.pk}")
    assert shown() == [f"item-{pk}" for pk in (d.pk, b.pk, c.pk, a.pk)]

    # Removing an item hands the focus to the Remove of the one taking its place.
    page.locator(f"#item-{b.pk} form[action$='/remove/'] button").click()
    expect(page.locator(f"#item-{b.pk}")).to_have_count(0)
    expect(page.locator(f"#item-{c.pk} form[action$='/remove/'] button")).to_be_focused()
    assert shown() == [f"item-{pk}" for pk in (d.pk, c.pk, a.pk)]

    # A saved note keeps the focus in its item.
    page.locator(f"#item-{a.pk} summary").click()
    page.fill(f"#note-{a.pk}", "最后复习")
    page.locator(f"#item-{a.pk} button:has-text('Save note')").click()
    expect(page.locator(f"#item-{a.pk} .set-note")).to_contain_text("最后复习")
    expect(page.locator(f"#item-{a.pk} summary")).to_be_focused()

    # Removing an item with a note asks first: a no changes nothing.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator(f"#item-{a.pk} form[action$='/remove/'] button").click()
    page.wait_for_timeout(300)
    assert asked and "note goes with it" in asked[0]
    assert SetItem.objects.filter(pk=a.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#item-{a.pk} form[action$='/remove/'] button").click()
    expect(page.locator(f"#item-{a.pk}")).to_have_count(0)
    assert not SetItem.objects.filter(pk=a.pk).exists()


def test_after_a_grade_the_focus_is_on_the_next_card_s_first_action(page, login, learner,
                                                                     questions):
    login(page, learner, PASSWORD)
    page.goto(f"/bank/{questions[0].bank.slug}/{questions[0].section.key}/")
    page.click("form:has(input[name=mode][value=section]) button[type=submit] >> nth=0")
    page.click("[data-key=reveal]")
    page.locator("[data-rating]").first.wait_for()
    page.keyboard.press("3")
    page.wait_for_selector("text=1 / 3 graded")
    # Not left on nothing, from where Tab would start again at the top of the page.
    expect(page.locator(".quiz-card [data-key=reveal]")).to_be_focused()


def test_a_phone_sees_its_team_s_members_whole_and_this_week_s_heatmap(browser, live_server,
                                                                       login, learner):
    from accounts.models import Membership
    from accounts.services import create_team

    team = create_team(user=learner, name="读书会")
    Membership.objects.create(user=UserFactory(display_name="Bob"), team=team)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, learner, PASSWORD)
        wrap = page.locator(".heatmap-wrap")
        assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
        assert wrap.evaluate("el => el.scrollLeft + el.clientWidth >= el.scrollWidth - 2")
        page.goto(f"/me/teams/{team.pk}/")
        remove = page.locator("#members button.danger")
        expect(remove).to_be_visible()
        box = remove.bounding_box()
        assert box["x"] + box["width"] <= 390, box
    finally:
        context.close()


def test_a_phone_reads_a_team_s_set_figures_a_line_each(browser, live_server, login, learner):
    """In Chinese on a narrow phone, 已开始 and 2 / 4 stacked a character a line: the table
    scrolls sideways instead."""
    from accounts.services import create_team

    team = create_team(user=learner, name="读书会")
    study_set = create_set(user=learner, title="一个名字很长的团队题单：大模型面试冲刺", team=team)
    add_questions(study_set=study_set, questions=[QuestionFactory()])
    context = browser.new_context(base_url=live_server.url, locale="zh-CN",
                                  viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, learner, PASSWORD)
        page.goto(f"/me/teams/{team.pk}/dashboard/")
        # The height of each cell's text (a cell itself is as tall as its row).
        heights = page.locator(".team-progress tr > *:not(:first-child)").evaluate_all(
            "cells => cells.map(c => { const r = document.createRange();"
            " r.selectNodeContents(c); return r.getBoundingClientRect().height; })")
        line = page.locator(".team-progress tbody td").nth(1).evaluate(
            "c => parseFloat(getComputedStyle(c).lineHeight)")
        assert max(heights) < 1.5 * line, (heights, line)
    finally:
        context.close()


def test_a_new_set_can_be_team_visible_only_while_a_team_owns_it(page, login, learner):
    from accounts.services import create_team

    team = create_team(user=learner, name="读书会")
    login(page, learner, PASSWORD)
    page.goto(f"/sets/new/?team={team.pk}")
    page.select_option("#id_owner", str(team.pk))
    page.select_option("#id_visibility", "team")
    page.select_option("#id_owner", "")  # a personal set after all
    expect(page.locator("#id_visibility")).to_have_value("private")
    assert page.locator("#id_visibility option[value=team]").is_disabled()
    page.select_option("#id_owner", str(team.pk))
    assert not page.locator("#id_visibility option[value=team]").is_disabled()


def test_a_share_link_is_copied_with_its_button(browser, live_server, login, learner,
                                                questions):
    from qa.services.sets import share_by_link

    study_set = create_set(user=learner, title="Shared")
    add_questions(study_set=study_set, questions=questions)
    study_set = share_by_link(study_set=study_set)
    context = browser.new_context(base_url=live_server.url,
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, learner, PASSWORD)
        page.goto(f"/sets/{study_set.pk}/")
        button = page.locator("#share button[data-copy]")
        button.click()
        expect(button).to_have_text("Copied")
        link = page.locator("#share-link").input_value()
        assert page.evaluate("navigator.clipboard.readText()") == link
        assert f"/s/{study_set.share_token}/" in link
    finally:
        context.close()
