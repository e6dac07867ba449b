"""Browsing the bank: bank list, overview with progress, section, question with reveal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Question
from tests.factories import (
    BankFactory,
    QuestionFactory,
    SectionFactory,
    StudyStateFactory,
    UserFactory,
)


@pytest.fixture
def bank(db):
    bank = BankFactory(slug="llm-zh", title="大模型（LLM）面试题", description="常见问题。")
    basics = SectionFactory(bank=bank, key="basics", title="基础篇", position=0)
    advanced = SectionFactory(bank=bank, key="advanced", title="进阶篇", position=1)
    for number in (1, 2, 3):
        QuestionFactory(section=basics, key=f"llm-zh/basics/{number:02d}", number=number,
                        prompt=f"基础问题{number}？", answer=f"基础答案{number}：**要点**。")
    for number in (1, 2):
        QuestionFactory(section=advanced, key=f"llm-zh/advanced/{number:02d}", number=number,
                        prompt=f"进阶问题{number}？", answer=f"进阶答案{number}。")
    return bank


def question_url(key: str, **params) -> str:
    url = reverse("qa:question", kwargs={"key": key})
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def answer_url(key: str) -> str:
    return reverse("qa:question-answer", kwargs={"key": key})


@pytest.fixture
def staff(db):
    """An editor: staff who may see the bank in the admin (see test_admin_structure for staff
    who may not)."""
    from qa.editorial import make_editor

    user = UserFactory()
    make_editor(user)
    return user


# --- bank list and overview -------------------------------------------------------------------


def test_bank_list_shows_each_bank_with_its_counts(client, bank):
    response = client.get(reverse("qa:bank-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "大模型（LLM）面试题" in body
    assert "5 questions" in body
    assert "2 sections" in body


def test_bank_list_counts_only_published_questions(client, bank):
    Question.objects.filter(key="llm-zh/basics/03").update(status=Question.Status.DRAFT)
    assert "4 questions" in client.get(reverse("qa:bank-list")).content.decode()


def test_bank_overview_lists_sections_in_order_with_counts(client, bank):
    response = client.get(reverse("qa:bank", kwargs={"slug": "llm-zh"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("基础篇") < body.index("进阶篇")
    assert "3 questions" in body and "2 questions" in body
    assert reverse("qa:section", kwargs={"slug": "llm-zh", "section_key": "basics"}) in body
    assert "Log in</a> to quiz yourself" in body


def test_unknown_bank_is_404(client, db):
    assert client.get(reverse("qa:bank", kwargs={"slug": "nope"})).status_code == 404


def test_bank_overview_shows_the_learners_own_progress_per_section(client, bank, alice, bob):
    past = timezone.now() - timedelta(hours=1)
    future = timezone.now() + timedelta(days=3)
    q1, q2 = Question.objects.filter(section__key="basics").order_by("number")[:2]
    StudyStateFactory(user=alice, question=q1, due=past)
    StudyStateFactory(user=alice, question=q2, due=future)
    advanced = Question.objects.filter(section__key="advanced").first()
    StudyStateFactory(user=bob, question=advanced, due=past)  # someone else's

    client.force_login(alice)
    response = client.get(reverse("qa:bank", kwargs={"slug": "llm-zh"}))
    sections = {s.key: s for s in response.context["sections"]}
    assert (sections["basics"].total, sections["basics"].studied, sections["basics"].due) \
        == (3, 2, 1)
    assert (sections["advanced"].total, sections["advanced"].studied,
            sections["advanced"].due) == (2, 0, 0)
    assert response.context["totals"] == {"total": 5, "studied": 2, "due": 1, "due_everywhere": 1}
    assert "2 / 3 studied" in response.content.decode()


def test_progress_ignores_states_of_unpublished_questions(client, bank, alice):
    question = Question.objects.get(key="llm-zh/basics/01")
    StudyStateFactory(user=alice, question=question, due=timezone.now())
    question.status = Question.Status.RETIRED
    question.save()
    client.force_login(alice)
    response = client.get(reverse("qa:bank", kwargs={"slug": "llm-zh"}))
    basics = response.context["sections"][0]
    assert (basics.total, basics.studied, basics.due) == (2, 0, 0)


# --- section page -----------------------------------------------------------------------------


def section_url(key: str = "basics") -> str:
    return reverse("qa:section", kwargs={"slug": "llm-zh", "section_key": key})


def test_section_page_lists_its_questions_in_order(client, bank):
    response = client.get(section_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("基础问题1") < body.index("基础问题2") < body.index("基础问题3")
    assert "进阶问题1" not in body
    assert question_url("llm-zh/basics/02") in body


def test_section_page_hides_drafts_from_learners_but_shows_them_to_staff(client, bank, staff):
    Question.objects.filter(key="llm-zh/basics/02").update(status=Question.Status.DRAFT)
    assert "基础问题2" not in client.get(section_url()).content.decode()
    client.force_login(staff)
    body = client.get(section_url()).content.decode()
    assert "基础问题2" in body
    assert "Draft" in body


def test_section_page_marks_new_due_and_studied_questions(client, bank, alice):
    q1, q2 = Question.objects.filter(section__key="basics").order_by("number")[:2]
    StudyStateFactory(user=alice, question=q1, due=timezone.now() - timedelta(hours=1))
    StudyStateFactory(user=alice, question=q2, due=timezone.now() + timedelta(days=2))
    client.force_login(alice)
    body = client.get(section_url()).content.decode()
    assert body.count('<span class="pill">New</span>') == 1
    assert body.count('<span class="pill warn">Due</span>') == 1
    assert body.count('<span class="pill ok">Studied</span>') == 1


def test_unknown_section_is_404(client, bank):
    assert client.get(section_url("nope")).status_code == 404


def test_section_of_another_bank_is_404(client, bank):
    other = SectionFactory(key="elsewhere")
    assert other.bank.slug != "llm-zh"
    assert client.get(section_url("elsewhere")).status_code == 404


# --- question page ----------------------------------------------------------------------------


def test_question_page_shows_prompt_and_tags_but_hides_the_answer(client, bank):
    question = Question.objects.get(key="llm-zh/basics/02")
    question.tags.create(name="注意力")
    response = client.get(question_url("llm-zh/basics/02"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "基础问题2？" in body
    assert "注意力</a>" in body
    assert "基础答案2" not in body
    assert f'hx-get="{answer_url("llm-zh/basics/02")}"' in body
    assert 'href="/q/llm-zh/basics/02/?reveal=1#answer"' in body


def test_reveal_without_javascript_shows_the_answer_on_the_page(client, bank):
    response = client.get(question_url("llm-zh/basics/02", reveal=1))
    body = response.content.decode()
    assert response.status_code == 200
    assert "基础答案2：<strong>要点</strong>。" in body
    assert "Reference answer" in body


def test_answer_url_without_htmx_redirects_to_the_revealed_page(client, bank):
    response = client.get(answer_url("llm-zh/basics/02"))
    assert response.status_code == 302
    assert response["Location"] == "/q/llm-zh/basics/02/?reveal=1#answer"


def test_answer_url_with_htmx_returns_just_the_answer(client, bank):
    response = client.get(answer_url("llm-zh/basics/02"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<section id="answer"')
    assert "基础答案2：<strong>要点</strong>。" in body
    assert "<html" not in body


def test_previous_and_next_stay_within_the_section(client, bank):
    middle = client.get(question_url("llm-zh/basics/02")).context
    assert middle["previous"].key == "llm-zh/basics/01"
    assert middle["next"].key == "llm-zh/basics/03"
    first = client.get(question_url("llm-zh/basics/01")).context
    assert first["previous"] is None
    last = client.get(question_url("llm-zh/basics/03")).context
    assert last["next"] is None  # not advanced/01


def test_previous_and_next_skip_drafts_for_learners(client, bank):
    Question.objects.filter(key="llm-zh/basics/02").update(status=Question.Status.DRAFT)
    context = client.get(question_url("llm-zh/basics/01")).context
    assert context["next"].key == "llm-zh/basics/03"


@pytest.mark.parametrize("status", [Question.Status.DRAFT, Question.Status.RETIRED])
def test_unpublished_question_is_404_for_learners_and_a_preview_for_staff(client, bank, alice,
                                                                          staff, status):
    Question.objects.filter(key="llm-zh/basics/02").update(status=status)
    url = question_url("llm-zh/basics/02")
    assert client.get(url).status_code == 404
    assert client.get(answer_url("llm-zh/basics/02"),
                      headers={"HX-Request": "true"}).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview for editors: learners cannot see this question." in html
    # Nothing that works only on a published question: bookmark, note, report, sets.
    for action in ("/bookmark/", "/note/", "Report an error", "bookmark-toggle", "note-edit"):
        assert action not in html, action


def test_published_question_has_no_preview_banner(client, bank, staff):
    client.force_login(staff)
    body = client.get(question_url("llm-zh/basics/02")).content.decode()
    assert "Preview for editors" not in body
    assert "bookmark-toggle" in body and "note-edit" in body


def test_unknown_question_is_404(client, bank):
    assert client.get(question_url("llm-zh/basics/99")).status_code == 404


def test_question_page_includes_the_other_features_partials(alice_client, bank):
    response = alice_client.get(question_url("llm-zh/basics/02"))
    names = {t.name for t in response.templates}
    assert {"qa/_question_study_tools.html", "qa/_question_editorial.html",
            "qa/_question_sets.html"} <= names


def test_pages_reject_post(client, bank):
    assert client.post(question_url("llm-zh/basics/02")).status_code == 405
    assert client.post(reverse("qa:search")).status_code == 405


def test_the_bank_pages_due_review_says_when_it_takes_in_other_banks(alice_client, alice):
    here, elsewhere = BankFactory(), BankFactory()
    past = timezone.now() - timedelta(days=1)
    mine = QuestionFactory(section=SectionFactory(bank=here))
    StudyStateFactory(user=alice, question=mine, due=past)
    page = alice_client.get(reverse("qa:bank", kwargs={"slug": here.slug})).content.decode()
    assert "Review what is due" in page and "in every bank" not in page
    for _ in range(2):
        StudyStateFactory(user=alice, due=past,
                          question=QuestionFactory(section=SectionFactory(bank=elsewhere)))
    page = alice_client.get(reverse("qa:bank", kwargs={"slug": here.slug})).content.decode()
    assert "Review all 3 due questions, in every bank" in page


def test_pages_that_answer_htmx_with_a_fragment_vary_on_it(client, bank):
    question = Question.objects.filter(status="published").first()
    for url in (reverse("qa:search") + "?q=x",
                reverse("qa:question-answer", kwargs={"key": question.key})):
        assert "HX-Request" in client.get(url)["Vary"]
