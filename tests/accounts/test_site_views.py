"""Home page, settings page, language selection and HTMX behaviour of the layout."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_explains_the_product_to_a_visitor(client):
    html = client.get(reverse("home")).content.decode()
    assert "spaced repetition" in html
    assert reverse("account_signup") in html


def test_home_greets_a_logged_in_learner_by_name(alice_client):
    html = alice_client.get(reverse("home")).content.decode()
    assert "Alice" in html
    assert reverse("account_signup") not in html


def test_body_carries_the_csrf_token_for_htmx(client):
    html = client.get(reverse("home")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "django_htmx/htmx-2.min.js" in html


def test_a_browser_asking_for_chinese_gets_chinese(client):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html  # "Log in"


def test_a_browser_asking_for_english_gets_english(client):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html


def test_language_switcher_sets_the_language(client):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in html


def test_expired_session_on_an_htmx_request_gets_a_client_redirect(client):
    response = client.get(
        reverse("accounts:settings"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/bank/",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fbank%2F"
    assert response.content == b""


def test_expired_session_without_htmx_gets_a_normal_redirect(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_settings_page_saves_study_preferences(alice_client, alice):
    response = alice_client.post(
        reverse("accounts:settings"),
        {"display_name": "Alice L", "desired_retention": "0.85", "daily_new_limit": "15",
         "credit_in_corrections": "on"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.desired_retention, alice.daily_new_limit) == (
        "Alice L", 0.85, 15
    )



def test_lowering_the_new_limit_holds_today_in_the_open_new_question_quiz(alice_client,
                                                                          alice):
    """Lowered after two new questions today, the limit leaves one more for today: the open
    quiz gives up the others waiting in it, the last drawn first."""
    from django.utils import timezone

    from qa.selectors import quizzes
    from qa.selectors.study import new_quota
    from qa.services import answering
    from qa.services.study import start_quiz
    from tests.factories import QuestionFactory, SectionFactory
    from tests.qa.studying import current_item, token

    section = SectionFactory()
    for number in range(1, 13):
        QuestionFactory(section=section, number=number)
    quiz = start_quiz(user=alice, mode="new")
    drawn = list(quizzes.quiz_remaining_items(quiz=quiz).values_list("question_id", flat=True))
    assert len(drawn) == alice.daily_new_limit == 10
    for _ in range(2):
        answering.grade(user=alice, quiz_id=quiz.pk, item_id=current_item(quiz).pk, rating=3,
                        token=token())

    page = alice_client.post(reverse("accounts:settings"), {
        "display_name": "", "desired_retention": "0.9", "daily_new_limit": "3"},
        follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "7 new questions waiting in today&#x27;s quiz left it" in page.content.decode()
    waiting = list(quizzes.quiz_remaining_items(quiz=quiz).values_list("question_id",
                                                                         flat=True))
    assert waiting == drawn[2:3]
    alice.refresh_from_db()
    quota = new_quota(user=alice, now=timezone.now())
    assert (quota["introduced"], quota["pending"], quota["remaining"]) == (2, 1, 0)
    # Raising it again takes nothing back, and draws nothing by itself.
    alice_client.post(reverse("accounts:settings"), {
        "display_name": "", "desired_retention": "0.9", "daily_new_limit": "10"})
    assert quizzes.quiz_remaining_items(quiz=quiz).count() == 1

def test_a_retention_finer_than_the_form_s_steps_is_kept_in_them(alice_client, alice):
    """The browser refuses to send 0.905 from the form (steps of 0.01); a value stored so
    would be shown rounded, and the form refused on its next save."""
    alice_client.post(reverse("accounts:settings"), {
        "display_name": "Alice", "desired_retention": "0.9051", "daily_new_limit": "15"})
    alice.refresh_from_db()
    assert alice.desired_retention == 0.91


@pytest.mark.parametrize("retention", ["1.5", "0.2", "abc"])
def test_settings_page_rejects_bad_retention_and_changes_nothing(alice_client, alice, retention):
    response = alice_client.post(
        reverse("accounts:settings"),
        {"display_name": "X", "desired_retention": retention, "daily_new_limit": "15"},
    )
    assert response.status_code == 200
    assert "desired_retention" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.display_name == "Alice"
    assert alice.desired_retention == 0.9


def test_settings_requires_login(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302


def test_admin_has_the_site_name(client):
    html = client.get("/admin/login/").content.decode()
    assert "Mianshi" in html
