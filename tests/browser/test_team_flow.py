"""A team formed with one link, in a real Chromium: the owner builds a set from search results
and invites a stranger, the stranger joins and studies the set, the owner sees their progress
and the team's weak spot on the dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, Team
from qa.models import Review, SetItem, StudySet
from tests.factories import PASSWORD, QuestionFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def questions(db):
    section = SectionFactory(title="基础篇")
    return [
        QuestionFactory(section=section, number=i, prompt=f"第{i}题：注意力机制是什么？",
                        answer=f"参考答案{i}：加权求和。")
        for i in range(1, 4)
    ]


def test_owner_builds_a_set_invites_a_member_who_studies_it(
    browser, live_server, page, login, questions
):
    owner = UserFactory(email="owner@example.com", display_name="Olga")
    member = UserFactory(email="member@example.com", display_name="Mei")

    # The owner creates a team.
    login(page, owner, PASSWORD)
    page.click("nav >> text=Teams")
    page.fill("input[name=name]", "Interview club")
    page.click("text=Create team")
    page.wait_for_url(re.compile(r"/me/teams/\d+/$"))
    team = Team.objects.get(name="Interview club")

    # ...and a team set from search results.
    page.goto("/search/?q=注意力")
    page.click("text=Add these results to a study set")
    page.wait_for_selector("text=第3题")
    assert page.locator("input[name=question]:checked").count() == 3
    page.uncheck("input[name=question] >> nth=1")
    page.select_option("select[name=target]", f"new:{team.pk}")
    page.fill("input[name=title]", "Attention first")
    page.click("text=Add selected to set")
    page.wait_for_url(re.compile(r"/sets/\d+/$"))
    study_set = StudySet.objects.get(title="Attention first")
    assert study_set.team == team
    assert list(SetItem.objects.filter(study_set=study_set).order_by("position")
                .values_list("question__number", flat=True)) == [1, 3]

    # Reorder with the up button (HTMX swaps the list in place).
    page.click("#set-items li >> nth=1 >> button[title='Move up']")
    page.wait_for_function(
        "() => document.querySelector('#set-items li').textContent.includes('第3题')"
    )
    assert list(SetItem.objects.filter(study_set=study_set).order_by("position")
                .values_list("question__number", flat=True)) == [3, 1]

    # The owner invites someone by link.
    page.goto(f"/me/teams/{team.pk}/")
    page.click("text=Create invitation link")
    link = page.locator("#invitations .copy-link input").first.input_value()
    assert "/me/invite/" in link

    # The stranger opens the link, logs in, accepts and studies the set.
    other = browser.new_context(locale="en-US", base_url=live_server.url)
    try:
        mpage = other.new_page()
        mpage.set_default_timeout(10_000)
        mpage.goto(link)
        mpage.wait_for_url(re.compile(r"/accounts/login/"))
        mpage.fill("input[name=login]", member.email)
        mpage.fill("input[name=password]", PASSWORD)
        mpage.click("main form button[type=submit]")
        mpage.wait_for_selector("text=Join Interview club")
        mpage.click("text=Accept invitation")
        mpage.wait_for_url(re.compile(rf"/me/teams/{team.pk}/$"))
        assert Membership.objects.get(team=team, user=member).role == "member"

        mpage.click("text=Attention first")
        mpage.click("text=Study this set")
        mpage.wait_for_url(re.compile(r"/quiz/\d+/$"))
        # Graded Again, the third question comes back at the end of the quiz.
        for number, rating in ((3, "1"), (1, "3"), (3, "3")):
            mpage.wait_for_selector(f"text=第{number}题")
            mpage.click("[data-key=reveal]")
            mpage.wait_for_selector(f"text=参考答案{number}")
            mpage.click(f"button[data-rating='{rating}']")
            mpage.wait_for_function(
                "n => document.querySelectorAll('[data-rating]').length === 0"
                " || !document.body.textContent.includes('参考答案' + n)",
                arg=number,
            )
        mpage.wait_for_function(
            "() => document.body.textContent.includes('Here is how it went')"
        )
    finally:
        other.close()
    assert Review.objects.filter(user=member).count() == 3

    # The owner sees the member's progress and the weak spot.
    page.goto(f"/me/teams/{team.pk}/dashboard/")
    row = page.locator(f"tr[data-member='{member.pk}']")
    assert "Mei" in row.inner_text()
    assert "2 / 2" in row.inner_text()
    weak = page.locator("#weak-spots").inner_text()
    assert "第3题" in weak
    assert "第1题" not in weak.split("Lowest recall")[0]


def test_leaving_a_team_asks_first_and_cannot_be_sent_twice(page, login):
    from playwright.sync_api import expect

    from tests.factories import MembershipFactory, TeamFactory

    member = UserFactory(email="leaver@example.com")
    team = TeamFactory(name="Reading group")
    MembershipFactory(user=UserFactory(), team=team, role=Membership.Role.OWNER)
    MembershipFactory(user=member, team=team, role=Membership.Role.MEMBER)
    login(page, member, PASSWORD)
    page.goto(f"/me/teams/{team.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Leave this team?" — no
    leave = page.locator("form[action$='/leave/'] button")
    leave.click()
    expect(leave).to_be_enabled()
    assert Membership.objects.filter(user=member, team=team).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    # Keep the page here after the submission starts, as a slow server would.
    page.evaluate("window.addEventListener('submit', e => e.preventDefault())")
    leave.click()
    expect(leave).to_be_disabled()


def test_a_shared_link_s_page_starts_the_set_and_switches_language(page, login, questions):
    """The page's own forms pass the cross-site request check: a browser sends the site as
    their origin (with a "no-referrer" policy it sends none, and Django refused them)."""
    from qa.services.sets import add_questions, create_set, share_by_link

    owner = UserFactory(email="owner@example.com")
    learner = UserFactory(email="learner@example.com")
    study_set = create_set(user=owner, title="LLM 面试清单")
    add_questions(study_set=study_set, questions=questions)
    study_set = share_by_link(study_set=study_set)

    page.goto(f"/s/{study_set.share_token}/")
    page.click(".lang-switch button[value=zh-hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert "LLM 面试清单" in page.locator("h1").inner_text()
    page.click(".lang-switch button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    login(page, learner, PASSWORD)
    page.goto(f"/s/{study_set.share_token}/")
    page.click("main button:has-text('Study this set')")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    assert page.locator("#quiz-card").is_visible()
    assert "第1题" in page.locator(".prompt").inner_text()
