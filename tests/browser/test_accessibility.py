"""Every kind of page, checked in a real Chromium by axe-core against WCAG 2.1 A and AA: no
violation, of whatever impact, for a visitor and for a learner, in English and in Chinese; and
on a phone's width, with the rules for target sizes (WCAG 2.2's 2.5.8) and landmark names."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Membership
from accounts.services import create_invitation, create_team
from qa.models import Question
from qa.services.marks import set_bookmark
from qa.services.sets import add_questions, create_set
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "banks" / "llm-zh.yaml"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Checked besides, where named: axe files them under WCAG 2.2 or best practices.
MORE_RULES = ["target-size", "landmark-unique", "link-in-text-block"]
DANGLING_REFERENCES = """() => {
  const found = [];
  for (const name of ["aria-describedby", "aria-labelledby", "aria-controls", "for"]) {
    for (const element of document.querySelectorAll(`[${name}]`)) {
      for (const id of element.getAttribute(name).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) found.push(`${name}="${id}"`);
      }
    }
  }
  return found;
}"""


@pytest.fixture
def audit(browser, live_server, request):
    """A page whose checks run axe-core (the site's CSP keeps injected scripts out, so this
    context alone bypasses it). Parametrized indirectly with a viewport width (else 1280)."""
    width = getattr(request, "param", 1280)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="en-US",
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    def check(where: str, *, more: bool = False) -> list[str]:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        if more:
            extra = page.evaluate(
                "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}})",
                MORE_RULES)
            result["violations"] += extra["violations"]
        # axe leaves a description that points at no element to a human ("incomplete"):
        # the help text it names is then never read out.
        dangling = page.evaluate(DANGLING_REFERENCES)
        return [f"{where}: {v['id']} ({v['impact']}): {v['help']} — "
                + "; ".join(n["target"][0] for n in v["nodes"][:3])
                for v in result["violations"]] + [f"{where}: {ref} names no element"
                                                  for ref in dangling]

    yield page, check
    context.close()


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_has_an_accessibility_violation(audit, language):
    page, check = audit
    call_command("import_bank", str(SHIPPED), stdout=io.StringIO())
    question = Question.objects.order_by("pk").first()
    learner = UserFactory(email="a11y@example.com")
    team = create_team(user=learner, name="读书会")
    Membership.objects.create(user=UserFactory(), team=team, role=Membership.Role.MEMBER)
    create_invitation(actor=learner, team=team)
    set_bookmark(user=learner, question=question, on=True)  # its button "on", as it is drawn
    study_set = create_set(user=learner, title="注意力专题", team=team, visibility="team")
    add_questions(study_set=study_set,
                  questions=list(Question.objects.order_by("pk")[:3]))
    page.set_extra_http_headers({"Accept-Language": language})
    found: list[str] = []

    visitor_pages = ["/", "/accounts/login/", "/accounts/signup/", "/bank/",
                     "/bank/llm-zh/", "/bank/llm-zh/basics/", question.get_absolute_url(),
                     question.get_absolute_url() + "?reveal=1", "/search/", "/search/?q=注意力",
                     "/search/?q=nothing-like-this"]
    for path in visitor_pages:
        assert page.goto(path).status == 200, path
        found += check(path)

    _log_in(page, learner)
    learner_pages = ["/", "/bookmarks/", "/notes/", "/mistakes/", "/sets/",
                     f"/sets/{study_set.pk}/", "/me/settings/", "/me/teams/",
                     f"/me/teams/{team.pk}/",
                     f"/me/teams/{team.pk}/dashboard/", "/reports/",
                     question.get_absolute_url(), question.get_absolute_url() + "report/",
                     "/sets/new/", "/sets/import/", f"/sets/{study_set.pk}/edit/",
                     f"/sets/{study_set.pk}/add/", f"/sets/{study_set.pk}/copy/",
                     "/sets/add-from-search/?q=注意力", "/me/settings/delete/"]
    for path in learner_pages:
        assert page.goto(path).status == 200, path
        found += check(path)

    # A quiz: the card, the answer revealed, and the summary.
    page.goto("/bank/llm-zh/basics/")
    page.click("form:has(input[name=mode][value=section]) button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    found += check("quiz card")
    page.click("[data-key=reveal]")
    page.wait_for_selector(".grades")
    found += check("quiz card, revealed")
    page.click("text=Stop here and see the summary")
    page.wait_for_selector(".summary")
    found += check("quiz summary")

    # A mock interview: the timed question, and grading oneself at the end.
    page.goto("/")
    page.fill("#mock-count", "2")
    page.fill("#mock-minutes", "10")
    page.click("form.mock-start button[type=submit]")
    page.wait_for_selector(".countdown")
    found += check("mock interview")
    page.click("text=End the interview now")
    page.wait_for_selector(".summary")
    found += check("mock interview, grading")
    assert not found, "\n".join(found)


def _learner_with_a_bookmark_a_note_and_a_team():
    call_command("import_bank", str(SHIPPED), stdout=io.StringIO())
    question = Question.objects.order_by("pk").first()
    learner = UserFactory(email="a11y-phone@example.com")
    set_bookmark(user=learner, question=question, on=True)
    from qa.services.marks import save_note

    save_note(user=learner, question=question, body="缩放点积：除以根号 d_k")
    team = create_team(user=learner, name="读书会")
    create_invitation(actor=learner, team=team)
    create_invitation(actor=learner, team=team, role=Membership.Role.CURATOR)
    return learner, question, team


@pytest.mark.parametrize("audit", [390, 1280], indirect=True)
def test_a_learner_s_pages_pass_the_target_size_and_landmark_rules_too(audit):
    """Where the review found them: a bookmarked question's button (its contrast), the
    settings page's data download link, two unnamed searches on the notes page, and text
    buttons and links under 24 px (the header's, a quiz card's)."""
    page, check = audit
    learner, question, team = _learner_with_a_bookmark_a_note_and_a_team()
    page.goto("/accounts/login/")
    found: list[str] = check("/accounts/login/", more=True)
    _log_in(page, learner)
    for path in ["/", question.get_absolute_url(), "/bookmarks/", "/notes/",
                 "/notes/?q=缩放", "/search/?q=注意力", "/me/settings/", f"/me/teams/{team.pk}/"]:
        assert page.goto(path).status == 200, path
        found += check(path, more=True)
    page.goto("/bank/llm-zh/basics/")
    page.click("form:has(input[name=mode][value=section]) button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/quiz/\d+/$"))
    found += check("quiz card (bookmarked)", more=True)
    page.click("[data-key=reveal]")
    page.wait_for_selector(".grades")
    found += check("quiz card, revealed", more=True)
    page.click("[data-rating='3']")
    page.wait_for_selector("[data-key=undo]")
    found += check("quiz card, with undo", more=True)
    assert not found, "\n".join(found)


def test_the_admin_s_breadcrumbs_and_filters_pass_too(audit, editor):
    """Django's admin drew breadcrumb links by colour alone (1.42:1 beside their text) and
    its filter links 20 px tall."""
    from tests.factories import ErrorReportFactory

    page, check = audit
    report = ErrorReportFactory()
    _log_in(page, editor)
    found: list[str] = []
    for path in ["/admin/", "/admin/qa/errorreport/", f"/admin/qa/errorreport/{report.pk}/change/",
                 "/admin/qa/question/", "/admin/accounts/user/"]:
        response = page.goto(path)
        if response.status == 403:  # a model this editor may not see
            continue
        assert response.status == 200, path
        found += check(path, more=True)
        # (axe finds a breadcrumb link "in a block of text" on some pages only.)
        for link in page.locator("div.breadcrumbs a").all():
            assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"
    assert not found, "\n".join(found)
