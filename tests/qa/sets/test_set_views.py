"""Study set pages: building, reordering (with and without HTMX), sharing, copying, studying."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.services import create_team
from qa.models import Bookmark, Quiz, SetItem, StudySet
from qa.services.sets import add_questions, create_set, share_by_link
from tests.factories import QuestionFactory, SectionFactory, bulk_questions
from tests.qa.sets import HTMX, order

pytestmark = pytest.mark.django_db


def test_creating_a_set_then_adding_a_section(alice_client, alice, questions):
    response = alice_client.post(reverse("qa:set-create"),
                                 {"title": "Layer norm", "visibility": "private"})
    study_set = StudySet.objects.get()
    assert response["Location"] == reverse("qa:set-add", args=[study_set.pk])
    assert study_set.owner == alice
    alice_client.post(reverse("qa:set-add-section", args=[study_set.pk]),
                      {"section": questions[0].section_id})
    assert order(study_set) == [q.pk for q in questions]
    # Adding the same section again adds nothing twice.
    alice_client.post(reverse("qa:set-add-section", args=[study_set.pk]),
                      {"section": questions[0].section_id})
    assert len(order(study_set)) == 3


def test_set_list_shows_my_sets_and_my_teams_sets_only(client, alice, bob, my_set):
    team = create_team(user=alice, name="Readers")
    Membership.objects.create(user=bob, team=team)
    create_set(user=alice, title="Team shelf", team=team)
    create_set(user=alice, title="Curators only", team=team,
               visibility=StudySet.Visibility.PRIVATE)
    create_set(user=bob, title="Bob's own")
    client.force_login(bob)
    page = client.get(reverse("qa:set-list")).content.decode()
    assert "Team shelf" in page and "Bob&#x27;s own" in page
    assert "Transformers" not in page and "Curators only" not in page


def test_a_personal_set_cannot_be_made_team_visible(alice_client):
    response = alice_client.post(reverse("qa:set-create"),
                                 {"title": "x", "visibility": "team"})
    assert response.status_code == 400
    assert not StudySet.objects.exists()


def test_adding_bookmarks(alice_client, alice, questions):
    study_set = create_set(user=alice, title="Marked")
    Bookmark.objects.create(user=alice, question=questions[2])
    Bookmark.objects.create(user=alice, question=questions[0])
    alice_client.post(reverse("qa:set-add-bookmarks", args=[study_set.pk]))
    assert order(study_set) == [questions[2].pk, questions[0].pk]


def test_adding_from_search_results_to_an_existing_and_a_new_set(alice_client, alice, my_set):
    target = QuestionFactory(prompt="什么是旋转位置编码 RoPE？")
    url = reverse("qa:set-add-from-search")
    page = alice_client.get(url, {"q": "RoPE", "set": my_set.pk}).content.decode()
    assert "旋转位置编码" in page
    assert f'value="set:{my_set.pk}" selected' in page

    alice_client.post(url, {"q": "RoPE", "target": f"set:{my_set.pk}",
                            "question": [target.pk]})
    assert order(my_set)[-1] == target.pk

    response = alice_client.post(url, {"q": "RoPE", "target": "new:", "title": "Positions",
                                       "question": [target.pk]})
    new = StudySet.objects.get(title="Positions")
    assert response["Location"] == reverse("qa:set", args=[new.pk])
    assert new.owner == alice and order(new) == [target.pk]


def test_adding_one_from_search_says_one_question_and_a_huge_id_is_ignored(alice_client,
                                                                         my_set):
    target = QuestionFactory(prompt="什么是 RoPE？")
    response = alice_client.post(reverse("qa:set-add-from-search"), {
        "q": "RoPE", "target": f"set:{my_set.pk}",
        "question": [target.pk, "99999999999999999999"]}, follow=True)
    assert response.status_code == 200
    assert "Added 1 question." in response.content.decode()
    assert order(my_set)[-1] == target.pk


def test_a_description_as_long_as_the_browser_allows_is_kept(alice_client):
    line = "注意力" * 33  # 99 characters
    # 40 lines: 3,999 characters as a browser counts them, 4,038 as it sends them (CRLF).
    description = "\r\n".join([line] * 40)
    response = alice_client.post(reverse("qa:set-create"), {
        "title": "Long", "description": description, "visibility": "private"})
    assert response.status_code == 302
    kept = StudySet.objects.get(title="Long").description
    assert "\r" not in kept and len(kept) == 3999


def test_a_note_form_without_its_note_changes_nothing(alice_client, my_set):
    item = my_set.items.first()
    SetItem.objects.filter(pk=item.pk).update(note="keep me")
    response = alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, item.pk]), {})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.note == "keep me"


def test_adding_from_search_without_ticks_or_title_is_refused(alice_client, my_set):
    url = reverse("qa:set-add-from-search")
    assert alice_client.post(url, {"target": f"set:{my_set.pk}"}).status_code == 400
    q = QuestionFactory()
    assert alice_client.post(url, {"target": "new:", "question": [q.pk]}).status_code == 400
    assert StudySet.objects.count() == 1


def test_question_page_adds_to_a_set_with_and_without_htmx(alice_client, alice, my_set):
    other = create_set(user=alice, title="Second set")
    question = QuestionFactory()
    page = alice_client.get(question.get_absolute_url()).content.decode()
    assert 'id="question-sets"' in page and "Second set" in page

    url = reverse("qa:set-question")
    response = alice_client.post(url, {"set": other.pk, "question": question.pk,
                                       "action": "add"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'id="question-sets"' in response.content.decode()
    assert order(other) == [question.pk]

    response = alice_client.post(url, {"set": my_set.pk, "question": question.pk,
                                       "action": "add", "next": "https://evil.example/"})
    assert response["Location"] == question.get_absolute_url()
    assert order(my_set)[-1] == question.pk

    alice_client.post(url, {"set": other.pk, "question": question.pk, "action": "remove"})
    assert order(other) == []


def test_setting_visibility_to_link_shows_a_share_url(alice_client, my_set):
    alice_client.post(reverse("qa:set-edit", args=[my_set.pk]),
                      {"title": my_set.title, "visibility": "link"})
    my_set.refresh_from_db()
    assert my_set.share_token
    page = alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode()
    assert reverse("qa:set-shared", args=[my_set.share_token]) in page


def test_the_shared_page_shows_questions_with_answers_behind_a_reveal(client, my_set,
                                                                      questions):
    share_by_link(study_set=my_set)
    my_set.refresh_from_db()
    response = client.get(reverse("qa:set-shared", args=[my_set.share_token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert questions[0].prompt in page
    assert '<details class="reveal">' in page
    assert "Log in to study this set" in page
    shared = reverse("qa:set-shared", args=[my_set.share_token])
    signup = f"{reverse('account_signup')}?next={shared}"
    assert f'href="{signup}"' in page  # someone new signs up and comes back here
    login = client.get(reverse("account_login"), {"next": shared},
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "to study the study set you were sent" in login
    assert response["Referrer-Policy"] == "same-origin"
    # The id URL stays closed to the same visitor.
    assert client.get(reverse("qa:set", args=[my_set.pk])).status_code == 302


def test_copying_a_shared_set_into_my_sets(client, bob, my_set, questions):
    share_by_link(study_set=my_set)
    my_set.refresh_from_db()
    client.force_login(bob)
    response = client.post(reverse("qa:set-shared-copy", args=[my_set.share_token]),
                           {"title": "Bob's copy"})
    copy = StudySet.objects.get(owner=bob)
    assert response["Location"] == reverse("qa:set", args=[copy.pk])
    assert order(copy) == order(my_set)


def test_copying_into_a_team_i_do_not_curate_is_refused(client, alice, bob, my_set):
    team = create_team(user=alice, name="T")
    Membership.objects.create(user=bob, team=team)
    share_by_link(study_set=my_set)
    my_set.refresh_from_db()
    client.force_login(bob)
    response = client.post(reverse("qa:set-shared-copy", args=[my_set.share_token]),
                           {"title": "x", "owner": str(team.pk)})
    assert response.status_code == 400
    assert not StudySet.objects.filter(team=team).exists()


def test_studying_a_set_starts_a_set_quiz_in_order(alice_client, alice, my_set, questions):
    item = SetItem.objects.get(study_set=my_set, question=questions[2])
    alice_client.post(reverse("qa:set-item-move", args=[my_set.pk, item.pk]),
                      {"direction": "up"})
    response = alice_client.post(reverse("qa:set-study", args=[my_set.pk]))
    quiz = Quiz.objects.get(user=alice)
    assert response["Location"] == reverse("qa:quiz", args=[quiz.pk])
    assert quiz.mode == Quiz.Mode.SET and quiz.study_set == my_set
    assert list(quiz.items.order_by("position").values_list("question_id", flat=True)) == \
        order(my_set)


def test_a_question_taken_out_of_a_set_leaves_the_quiz_running_on_it(alice_client, alice,
                                                                      my_set, questions):
    alice_client.post(reverse("qa:set-study", args=[my_set.pk]))
    quiz = Quiz.objects.get(user=alice)
    first, _second, third = (SetItem.objects.get(study_set=my_set, question=q)
                             for q in questions)
    # The card on screen stays; the cards still to come of a removed question go.
    alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, first.pk]))
    alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, third.pk]))
    assert list(quiz.items.order_by("position").values_list("question_id", flat=True)) == [
        questions[0].pk, questions[1].pk]
    page = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert "0 / 2 graded" in page


def test_studying_an_empty_set_says_so(alice_client, alice):
    empty = create_set(user=alice, title="Empty")
    response = alice_client.post(reverse("qa:set-study", args=[empty.pk]))
    assert response["Location"] == reverse("qa:set", args=[empty.pk])
    assert not Quiz.objects.exists()


# --- Query counts ----------------------------------------------------------------------------


def _team_set(owner, size: int) -> StudySet:
    team = create_team(user=owner, name=f"Team {size}")
    study_set = create_set(user=owner, title=f"Set {size}", team=team)
    add_questions(study_set=study_set, questions=bulk_questions(SectionFactory(), size))
    return study_set


@pytest.mark.parametrize("viewer", ["curator", "member"])
def test_set_page_runs_the_same_number_of_queries_at_3_and_300_items(
    client, alice, bob, count_queries, viewer
):
    counts = []
    for size in (3, 300):
        study_set = _team_set(alice, size)
        role = Membership.Role.CURATOR if viewer == "curator" else Membership.Role.MEMBER
        Membership.objects.create(user=bob, team=study_set.team, role=role)
        share_by_link(study_set=study_set)
        client.force_login(bob)
        url = reverse("qa:set", args=[study_set.pk])
        client.get(url)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q)
    assert len(counts[0]) == len(counts[1]), counts[1]


def test_shared_page_runs_the_same_number_of_queries_at_3_and_300_items(
    client, alice, count_queries
):
    counts = []
    for size in (3, 300):
        study_set = _team_set(alice, size)
        share_by_link(study_set=study_set)
        study_set.refresh_from_db()
        url = reverse("qa:set-shared", args=[study_set.share_token])
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q)
    assert len(counts[0]) == len(counts[1]), counts[1]


def test_set_list_runs_the_same_number_of_queries_for_3_and_30_sets(
    alice_client, alice, count_queries
):
    counts = []
    team = create_team(user=alice, name="T")
    for batch in (3, 27):
        for i in range(batch):
            s = create_set(user=alice, title=f"P{batch}-{i}")
            add_questions(study_set=s, questions=bulk_questions(SectionFactory(), 2,
                                                                start=1000 * batch + 10 * i))
            create_set(user=alice, title=f"T{batch}-{i}", team=team)
        with count_queries() as q:
            assert alice_client.get(reverse("qa:set-list")).status_code == 200
        counts.append(q)
    assert len(counts[0]) == len(counts[1]), counts[1]


# --- Refusals that keep the page and what was typed ----------------------------------------------


def _full_set(alice):
    questions = bulk_questions(SectionFactory(), 1001)
    full = create_set(user=alice, title="Full")
    SetItem.objects.bulk_create(SetItem(study_set=full, question=q, position=i)
                                for i, q in enumerate(questions[:1000], 1))
    return full, questions[1000]


def test_adding_search_results_to_a_full_set_says_why_and_adds_nothing(alice_client, alice):
    full, extra = _full_set(alice)
    response = alice_client.post(reverse("qa:set-add-from-search"),
                                 {"q": "x", "target": f"set:{full.pk}", "question": [extra.pk]})
    assert response.status_code == 400
    assert "at most 1000 questions" in response.content.decode()
    assert full.items.count() == 1000


def test_a_new_set_from_search_is_not_created_empty(alice_client, alice):
    retired = QuestionFactory(status="retired")
    response = alice_client.post(reverse("qa:set-add-from-search"), {
        "q": "x", "target": "new:", "title": "Nothing in it", "question": [retired.pk]})
    assert response.status_code == 400
    assert "no longer published" in response.content.decode()
    assert not StudySet.objects.filter(title="Nothing in it").exists()


def test_adding_to_a_full_set_from_the_question_page_shows_the_reason(alice_client, alice):
    full, extra = _full_set(alice)
    response = alice_client.post(reverse("qa:set-question"),
                                 {"question": extra.pk, "set": full.pk, "action": "add"}, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="question-sets"' in html and "data-swap-errors" in html
    assert "at most 1000 questions" in html
    assert full.items.count() == 1000


def test_a_team_draft_says_a_share_link_shows_it_to_the_members_too(alice_client, alice, bob):
    team = create_team(user=alice, name="Readers")
    Membership.objects.create(user=bob, team=team)
    draft = create_set(user=alice, title="Curators only", team=team,
                       visibility=StudySet.Visibility.PRIVATE)
    url = reverse("qa:set", args=[draft.pk])
    page = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "shows it to every member of the team" in page
    assert "Not shared outside" not in page
    share_by_link(study_set=draft)
    page = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Each button that stops the link working for others asks first.
    assert page.count('data-confirm="') == 2 and "stops working for everyone" in page


def test_the_shared_page_leads_its_owner_to_their_set_and_a_member_to_the_team_s(
        alice_client, alice, my_set):
    share_by_link(study_set=my_set)
    my_set.refresh_from_db()
    own = alice_client.get(reverse("qa:set-shared", args=[my_set.share_token]),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open your set" in own and "as a member" not in own
    team = create_team(user=alice, name="Readers")
    team_set = create_set(user=alice, title="Shelf", team=team)
    share_by_link(study_set=team_set)
    team_set.refresh_from_db()
    page = alice_client.get(reverse("qa:set-shared", args=[team_set.share_token]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open it as a member" in page


def test_a_set_quiz_card_shows_the_note_the_set_has_on_its_question(alice_client, alice, my_set,
                                                                    questions):
    SetItem.objects.filter(study_set=my_set, question=questions[0]).update(
        note="先看这题：**架构总览**")
    alice_client.post(reverse("qa:set-study", args=[my_set.pk]))
    quiz = Quiz.objects.get(user=alice)
    page = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert "Note in the set" in page and "<strong>架构总览</strong>" in page
    # The next card, whose question has no note in the set, shows none.
    item = quiz.items.order_by("position").first()
    alice_client.post(reverse("qa:quiz-reveal", args=[quiz.pk]), {"item": item.pk})
    graded = alice_client.post(reverse("qa:quiz-grade", args=[quiz.pk]),
                               {"item": item.pk, "rating": 3, "token": "a" * 32},
                               HTTP_HX_REQUEST="true").content.decode()
    assert questions[1].prompt in graded and "Note in the set" not in graded


def test_the_card_on_screen_stays_when_its_question_leaves_the_set_after_a_retired_one(
    alice_client, alice, my_set, questions
):
    """With the first question retired, the card on screen is the second, past the quiz's
    position: taking it out of the set must not take it off the screen (its grade was a 404)."""
    from qa.models import Question, Review

    alice_client.post(reverse("qa:set-study", args=[my_set.pk]))
    quiz = Quiz.objects.get(user=alice)
    Question.objects.filter(pk=questions[0].pk).update(status=Question.Status.RETIRED)
    on_screen = quiz.items.get(question=questions[1])
    alice_client.post(reverse("qa:quiz-reveal", args=[quiz.pk]), {"item": on_screen.pk})
    item = SetItem.objects.get(study_set=my_set, question=questions[1])
    alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, item.pk]))
    response = alice_client.post(reverse("qa:quiz-grade", args=[quiz.pk]),
                                 {"item": on_screen.pk, "rating": 3, "token": "b" * 32})
    assert response.status_code == 302
    assert Review.objects.filter(quiz_item=on_screen).exists()
