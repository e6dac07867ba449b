"""Filling and copying sets (adding search results, copying a set), a set another request
deleted meanwhile, and the quizzes of people a set no longer admits."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from qa.models import Question, StudySet
from qa.services import sets as services
from tests.factories import QuestionFactory
from tests.qa.sets import order

URL = reverse("qa:set-add-from-search")


@pytest.mark.parametrize("target", ["new:abc", "new:1.5", "new:-3"])
def test_a_forged_owner_for_a_new_set_is_refused_with_a_message(alice_client, target):
    question = QuestionFactory(prompt="什么是 RoPE？")
    response = alice_client.post(URL, {"q": "RoPE", "target": target, "title": "T",
                                       "question": [question.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose one of the listed owners." in response.content.decode()
    assert not StudySet.objects.exists()


def test_a_new_set_s_title_over_the_limit_is_refused_as_the_set_form_refuses_it(alice_client):
    question = QuestionFactory(prompt="什么是 RoPE？")
    response = alice_client.post(URL, {"q": "RoPE", "target": "new:", "title": "长" * 121,
                                       "question": [question.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "at most 120 characters" in response.content.decode()
    assert not StudySet.objects.exists()


def test_the_result_says_which_ticked_questions_were_no_longer_published(alice_client,
                                                                         my_set):
    live = QuestionFactory(prompt="什么是 RoPE？")
    retired = QuestionFactory(prompt="什么是 ALiBi RoPE？")
    already = my_set.items.first().question
    Question.objects.filter(pk=retired.pk).update(status=Question.Status.RETIRED)
    response = alice_client.post(URL, {
        "q": "RoPE", "target": f"set:{my_set.pk}",
        "question": [live.pk, retired.pk, already.pk]}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Added 1 question." in page
    assert "1 was already in the set." in page
    assert "1 is no longer published." in page
    assert order(my_set)[-1] == live.pk and retired.pk not in order(my_set)


def test_a_refused_selection_comes_back_as_it_was_ticked(alice_client, my_set):
    QuestionFactory(prompt="什么是 RoPE？", section__bank__language="zh-hans")
    QuestionFactory(prompt="为什么 RoPE 能外推？", section__bank__language="zh-hans")
    page = alice_client.get(URL, {"q": "RoPE", "set": my_set.pk}).content.decode()
    assert page.count(" checked>") == 2  # every result is ticked at first
    assert page.count('lang="zh-hans"') >= 2
    response = alice_client.post(URL, {"q": "RoPE", "target": f"set:{my_set.pk}"})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count(" checked>") == 0
    assert 'class="errorlist" role="alert"' in page


def test_copying_a_set_with_the_longest_title_keeps_the_copy_s_title_within_it(alice_client,
                                                                                alice):
    source = services.create_set(user=alice, title="题" * 120)
    services.add_questions(study_set=source, questions=[QuestionFactory()])
    url = reverse("qa:set-copy", args=[source.pk])
    page = alice_client.get(url).content.decode()
    title = page.split('name="title"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert len(title) <= 120 and title.endswith("(copy)")
    response = alice_client.post(url, {"title": title, "owner": ""})
    assert response.status_code == 302
    assert StudySet.objects.filter(title=title).exists()


@pytest.mark.parametrize("act", [
    lambda s, alice: services.add_questions(study_set=s, questions=[QuestionFactory()]),
    lambda s, alice: services.update_set(study_set=s, title="New", description="",
                                         visibility="private"),
    lambda s, alice: services.share_by_link(study_set=s),
    lambda s, alice: services.revoke_link(study_set=s),
], ids=["add", "edit", "share", "stop-sharing"])
def test_a_set_deleted_by_another_request_meanwhile_is_not_found(alice, my_set, act):
    StudySet.objects.filter(pk=my_set.pk).delete()
    with pytest.raises(Http404):
        act(my_set, alice)
    assert not StudySet.objects.exists()


def test_each_item_s_buttons_are_described_by_its_question(alice_client, my_set):
    """"Remove", "Move up" and "Move down" repeat on every row: each names its question."""
    page = alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode()
    for item in my_set.items.all():
        assert page.count(f'id="item-prompt-{item.pk}"') == 1
        assert page.count(f'aria-describedby="item-prompt-{item.pk}"') == 3


def _studying(user, study_set):
    from qa.services.study import start_quiz
    return start_quiz(user=user, mode="set", study_set=study_set)


@pytest.mark.parametrize("change", ["draft", "stop-link", "new-link"])
def test_people_a_set_no_longer_admits_let_go_of_it_and_the_others_keep_it(alice, bob,
                                                                           questions, change):
    """A member whose team set became the curators' draft, or a link holder whose link was
    stopped or replaced, no longer sees its title on their quiz or dashboard."""
    from accounts.models import Membership
    from accounts.services import create_team
    from qa.models import Quiz
    from tests.factories import UserFactory

    team = create_team(user=alice, name="Readers")
    Membership.objects.create(user=bob, team=team)
    outsider = UserFactory()
    study_set = services.create_set(user=alice, title="Plan", team=team, visibility="team")
    services.add_questions(study_set=study_set, questions=questions)
    services.share_by_link(study_set=study_set)
    quizzes = {who: _studying(user, study_set)
               for who, user in (("owner", alice), ("member", bob), ("link", outsider))}
    if change == "draft":
        services.update_set(study_set=study_set, title="Secret reorg plan", description="",
                            visibility="private")
    elif change == "stop-link":
        services.revoke_link(study_set=study_set)
    else:
        services.share_by_link(study_set=study_set, regenerate=True)
    kept = {who for who, quiz in quizzes.items()
            if Quiz.objects.get(pk=quiz.pk).study_set_id == study_set.pk}
    ended = {who for who, quiz in quizzes.items()
             if Quiz.objects.get(pk=quiz.pk).finished_at is not None}
    let_go = {"draft": {"member", "link"}, "stop-link": {"link"}, "new-link": {"link"}}[change]
    assert kept == {"owner", "member", "link"} - let_go
    assert ended == let_go


def test_editing_a_shared_set_keeps_its_link_holders_studying(alice, bob, my_set):
    services.share_by_link(study_set=my_set)
    quiz = _studying(bob, my_set)
    services.update_set(study_set=my_set, title="Renamed", description="",
                        visibility="link")
    quiz.refresh_from_db()
    assert quiz.study_set_id == my_set.pk and quiz.finished_at is None


def test_a_new_set_offers_team_visibility_only_to_someone_in_a_team(alice_client, alice):
    page = alice_client.get(reverse("qa:set-create")).content.decode()
    assert 'value="team"' not in page  # no team: only a personal set can be made
    from accounts.services import create_team
    create_team(user=alice, name="Readers")
    page = alice_client.get(reverse("qa:set-create")).content.decode()
    assert 'value="team"' in page and 'data-team-only-with="id_owner"' in page


def test_a_copy_the_database_refuses_halfway_leaves_no_copy(alice, my_set):
    """The copy's items are written after the copy itself: refused there, nothing stays."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("a trigger makes PostgreSQL refuse the items")
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION refuse_items() RETURNS trigger AS $$ BEGIN "
                       "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql")
        cursor.execute("CREATE TRIGGER refuse_items BEFORE INSERT ON qa_setitem "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_items()")
    with pytest.raises(DatabaseError):
        services.copy_set(source=my_set, user=alice)
    assert list(StudySet.objects.values_list("title", flat=True)) == [my_set.title]


def test_a_curator_made_a_member_lets_go_of_the_curators_drafts_only(alice, bob, questions):
    from accounts.models import Membership
    from accounts.services import change_role, create_team
    from qa.models import Quiz

    team = create_team(user=alice, name="Readers")
    bob_m = Membership.objects.create(user=bob, team=team, role=Membership.Role.CURATOR)
    draft = services.create_set(user=alice, title="Draft", team=team, visibility="private")
    open_set = services.create_set(user=alice, title="Open", team=team, visibility="team")
    for study_set in (draft, open_set):
        services.add_questions(study_set=study_set, questions=questions)
    on_draft, on_open = _studying(bob, draft), _studying(bob, open_set)
    change_role(actor=alice, membership=bob_m, role=Membership.Role.MEMBER)
    on_draft, on_open = Quiz.objects.get(pk=on_draft.pk), Quiz.objects.get(pk=on_open.pk)
    assert on_draft.study_set_id is None and on_draft.finished_at is not None
    assert on_open.study_set_id == open_set.pk and on_open.finished_at is None
