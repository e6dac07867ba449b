"""A set's list of questions on its page, as its editors change it: moving, removing and
annotating items, with and without HTMX, from a page out of date, and the questions learners no
longer see."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.services import create_team
from qa.models import SetItem
from qa.services.sets import add_questions, create_set
from tests.factories import QuestionFactory, SectionFactory, bulk_questions
from tests.qa.sets import HTMX, order

pytestmark = pytest.mark.django_db


def test_reordering_without_javascript_redirects_back(alice_client, my_set, questions):
    item = SetItem.objects.get(study_set=my_set, question=questions[2])
    response = alice_client.post(reverse("qa:set-item-move", args=[my_set.pk, item.pk]),
                                 {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == reverse("qa:set", args=[my_set.pk]) + f"#item-{item.pk}"
    assert order(my_set) == [questions[0].pk, questions[2].pk, questions[1].pk]


def _items_in(html: str) -> list[str]:
    """The set items an HTMX answer draws (not those it removes), by their element id."""
    return re.findall(r'<li id="(item-\d+)" class="set-item"', html)


def test_reordering_with_htmx_redraws_only_the_two_items_that_trade_places(
    alice_client, my_set, questions
):
    first, second, third = (SetItem.objects.get(study_set=my_set, question=q) for q in questions)
    response = alice_client.post(reverse("qa:set-item-move", args=[my_set.pk, first.pk]),
                                 {"direction": "down"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="set-items"' not in body
    # In place of the item moved: the two in their new order; the other's old <li> goes.
    assert _items_in(body) == [f"item-{second.pk}", f"item-{first.pk}"]
    assert f'<li id="item-{second.pk}" hx-swap-oob="delete"></li>' in body
    assert f"item-{third.pk}" not in body
    # The item now first cannot go up; the one moved keeps focus on the button used.
    assert re.findall(r" disabled>([↑↓])", body) == ["↑"]
    assert body.index(" disabled>") < body.index(f'<li id="item-{first.pk}"')
    assert "autofocus" in body.split(f'<li id="item-{first.pk}"')[1]
    assert order(my_set) == [questions[1].pk, questions[0].pk, questions[2].pk]


def test_an_htmx_move_answers_with_the_same_size_and_queries_at_3_and_300_items(
    alice_client, alice, count_queries
):
    sizes, counts = [], []
    for size in (3, 300):
        study_set = create_set(user=alice, title=f"S{size}")
        add_questions(study_set=study_set, questions=bulk_questions(SectionFactory(), size))
        item = SetItem.objects.filter(study_set=study_set).order_by("position")[1]
        url = reverse("qa:set-item-move", args=[study_set.pk, item.pk])
        with count_queries() as q:
            response = alice_client.post(url, {"direction": "up"}, **HTMX)
        assert response.status_code == 200
        sizes.append(len(_items_in(response.content.decode())))
        counts.append(len(q))
    assert sizes == [2, 2]
    assert counts[0] == counts[1]


def test_removing_with_htmx_drops_the_item_and_redraws_the_new_ends(alice_client, my_set,
                                                                    questions):
    first, second, third = (SetItem.objects.get(study_set=my_set, question=q) for q in questions)
    url = reverse("qa:set-item-remove", args=[my_set.pk, first.pk])
    body = alice_client.post(url, **HTMX).content.decode()
    # The item removed is not drawn (its <li> is swapped for nothing); the new first item
    # comes out-of-band with its ↑ disabled, as does the last.
    assert f"item-{first.pk}" not in body
    assert f'<li id="item-{second.pk}" class="set-item" hx-swap-oob="true">' in body
    assert f'<li id="item-{third.pk}" class="set-item" hx-swap-oob="true">' in body
    assert re.findall(r" disabled>([↑↓])", body) == ["↑", "↓"]
    assert '<span id="set-count" hx-swap-oob="true">2 questions</span>' in body
    # A second click finds nothing to remove and answers the same way.
    again = alice_client.post(url, **HTMX)
    assert again.status_code == 200 and f"item-{first.pk}" not in again.content.decode()


def test_an_emptied_list_is_drawn_whole_with_its_empty_state(alice_client, my_set):
    for item in list(my_set.items.order_by("position")):
        response = alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, item.pk]),
                                     **HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#set-items" and response["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith('<ol class="set-items" id="set-items" data-swap-errors')
    assert "No questions yet." in body


def test_a_note_saved_with_htmx_redraws_its_item_only(alice_client, my_set, questions):
    item = SetItem.objects.get(study_set=my_set, question=questions[1])
    response = alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, item.pk]),
                                 {"note": "**Key** idea"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert _items_in(body) == [f"item-{item.pk}"]
    assert "<strong>Key</strong> idea" in body
    # Out-of-band, only the list's fingerprint (unchanged): nothing else on the page changed.
    assert body.count("hx-swap-oob") == 1 and 'id="set-version"' in body


def test_bad_direction_is_a_400(alice_client, my_set):
    item = my_set.items.first()
    url = reverse("qa:set-item-move", args=[my_set.pk, item.pk])
    assert alice_client.post(url, {"direction": "sideways"}).status_code == 400


def test_notes_and_removal(alice_client, my_set, questions):
    item = SetItem.objects.get(study_set=my_set, question=questions[1])
    alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, item.pk]),
                      {"note": "**Key** idea"})
    page = alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode()
    assert "<strong>Key</strong> idea" in page
    url = reverse("qa:set-item-remove", args=[my_set.pk, item.pk])
    assert alice_client.post(url).status_code == 302
    assert alice_client.post(url).status_code == 302  # a double click
    assert questions[1].pk not in order(my_set)


def test_removing_with_htmx_updates_the_count_and_study_button_above_the_list(alice_client,
                                                                             my_set):
    page = alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode()
    assert page.count('id="set-count"') == 1 and "hx-swap-oob" not in page
    for item in list(my_set.items.order_by("position")):
        response = alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, item.pk]),
                                     HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<span id="set-count" hx-swap-oob="true">0 questions</span>' in html
    assert 'id="set-study" disabled hx-swap-oob="true"' in html


def test_a_note_at_the_limit_counts_line_breaks_as_the_browser_does(alice_client, my_set):
    item = SetItem.objects.filter(study_set=my_set).first()
    note = ("x" * 9 + "\r\n") * 200  # 2000 characters in the textarea, 2200 as submitted
    alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, item.pk]), {"note": note})
    item.refresh_from_db()
    assert item.note == note.replace("\r\n", "\n").strip()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refused_note_keeps_what_was_typed(alice_client, my_set, htmx):
    item = SetItem.objects.filter(study_set=my_set).first()
    typed = "y" * 2001
    response = alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, item.pk]),
                                 {"note": typed}, **(HTMX if htmx else {}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 2000 characters" in html
    assert f">{typed}</textarea>" in html
    if htmx:  # the item alone, inside the list marked data-swap-errors
        assert _items_in(html) == [f"item-{item.pk}"] and "<html" not in html
    else:
        assert 'id="set-items" data-swap-errors' in html and "<html" in html
    item.refresh_from_db()
    assert item.note == ""


def test_moving_skips_items_the_page_does_not_show(alice_client, alice):
    first, hidden, last = bulk_questions(SectionFactory(), 3)
    study_set = create_set(user=alice, title="S")
    add_questions(study_set=study_set, questions=[first, hidden, last])
    hidden.status = "retired"
    hidden.save(update_fields=["status"])
    item = SetItem.objects.get(study_set=study_set, question=last)
    alice_client.post(reverse("qa:set-item-move", args=[study_set.pk, item.pk]),
                      {"direction": "up"})
    assert order(study_set) == [last.pk, hidden.pk, first.pk]


def test_editors_of_a_set_see_its_hidden_questions_and_can_remove_them(client, alice, bob):
    shown, retired, draft = bulk_questions(SectionFactory(title="基础篇"), 3)
    team = create_team(user=alice, name="Club")
    Membership.objects.create(user=bob, team=team, role=Membership.Role.MEMBER)
    study_set = create_set(user=alice, title="S", team=team, visibility="team")
    add_questions(study_set=study_set, questions=[shown, retired, draft])
    retired.status = "retired"
    retired.save(update_fields=["status"])
    draft.status, draft.prompt = "draft", "An editor's unpublished rewording"
    draft.save(update_fields=["status", "prompt"])
    url = reverse("qa:set", args=[study_set.pk])

    client.force_login(bob)  # a plain member: the set as learners see it
    page = client.get(url).content.decode()
    assert "Not shown to learners" not in page and retired.prompt not in page

    client.force_login(alice)
    page = client.get(url).content.decode()
    hidden = page.split('id="hidden-items"')[1]
    assert "These 2 questions are in the set" in hidden
    assert f"基础篇 · #{retired.number}" in hidden and "retired" in hidden
    assert f"基础篇 · #{draft.number}" in hidden and "being revised" in hidden
    assert "unpublished rewording" not in page  # a draft's text stays with the editors
    assert '<span id="set-count">1 question</span>' in page

    item = SetItem.objects.get(study_set=study_set, question=retired)
    response = client.post(reverse("qa:set-item-remove", args=[study_set.pk, item.pk]))
    assert response.status_code == 302
    assert order(study_set) == [shown.pk, draft.pk]
    assert "This question is in the set" in client.get(url).content.decode()


def _version_in(html: str) -> str:
    return re.search(r'id="set-version" name="version" value="([0-9a-f]+)"', html).group(1)


def test_a_move_from_a_page_out_of_date_is_not_made_and_shows_the_list_as_it_is(
    alice_client, alice, my_set, questions
):
    page = alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode()
    version = _version_in(page)
    first, second, third = (SetItem.objects.get(study_set=my_set, question=q) for q in questions)
    # Another editor (or tab) moves the last item to the top meanwhile.
    from qa.services.sets import move_item
    move_item(item=third, direction="up")
    move_item(item=third, direction="up")
    response = alice_client.post(reverse("qa:set-item-move", args=[my_set.pk, second.pk]),
                                 {"direction": "up", "version": version}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 409 and response["HX-Retarget"] == "#set-items"
    assert "The list changed since this page showed it" in body
    assert _items_in(body) == [f"item-{third.pk}", f"item-{first.pk}", f"item-{second.pk}"]
    assert order(my_set) == [questions[2].pk, questions[0].pk, questions[1].pk]
    # With the list as it is now, the move is made.
    response = alice_client.post(reverse("qa:set-item-move", args=[my_set.pk, second.pk]),
                                 {"direction": "up", "version": _version_in(body)}, **HTMX)
    assert response.status_code == 200
    assert order(my_set) == [questions[2].pk, questions[1].pk, questions[0].pk]
    assert _version_in(response.content.decode()) != _version_in(body)


def test_a_removal_or_note_from_a_page_out_of_date_is_made_and_shows_the_whole_list(
    alice_client, alice, my_set, questions
):
    version = _version_in(alice_client.get(reverse("qa:set", args=[my_set.pk])).content.decode())
    first, second, third = (SetItem.objects.get(study_set=my_set, question=q) for q in questions)
    from qa.services.sets import move_item
    move_item(item=third, direction="up")
    response = alice_client.post(reverse("qa:set-item-note", args=[my_set.pk, first.pk]),
                                 {"note": "先看这题", "version": version}, **HTMX)
    assert response["HX-Retarget"] == "#set-items"
    assert "先看这题" in response.content.decode()
    response = alice_client.post(reverse("qa:set-item-remove", args=[my_set.pk, first.pk]),
                                 {"version": version}, **HTMX)
    assert response["HX-Retarget"] == "#set-items"
    assert _items_in(response.content.decode()) == [f"item-{third.pk}", f"item-{second.pk}"]
    assert order(my_set) == [questions[2].pk, questions[1].pk]


def test_a_note_on_an_item_removed_meanwhile_changes_nothing_and_is_no_error(alice_client,
                                                                              my_set):
    from qa.services.sets import set_item_note

    item = SetItem.objects.filter(study_set=my_set).first()
    # The other editor's removal lands between the page's lookup and the note's write (it
    # raised "did not affect any rows": a 500).
    SetItem.objects.filter(pk=item.pk).delete()
    set_item_note(item=item, note="晚了一步")
    assert not SetItem.objects.filter(pk=item.pk).exists()
    # Posted after it, the item is not found.
    url = reverse("qa:set-item-note", args=[my_set.pk, item.pk])
    assert alice_client.post(url, {"note": "晚了一步"}, **HTMX).status_code == 404


def test_a_hidden_question_is_named_by_its_prompt_as_last_published(client, alice):
    """"基础篇 · #2" alone did not tell a set's editor which question was retired; a draft's
    current prompt is the editors' unpublished text, so the last published one is shown."""
    section = SectionFactory(title="基础篇")
    retired, draft = (QuestionFactory(section=section, bank=section.bank, number=n,
                                      prompt=prompt) for n, prompt in
                      ((2, "什么是 KV cache？"), (3, "什么是温度参数？")))
    study_set = create_set(user=alice, title="S")
    add_questions(study_set=study_set, questions=[retired, draft])
    retired.status = "retired"
    retired.save()
    draft.status, draft.prompt = "draft", "An editor's unpublished rewording"
    draft.save()
    client.force_login(alice)
    hidden = client.get(reverse("qa:set", args=[study_set.pk])).content.decode().split(
        'id="hidden-items"')[1]
    assert "什么是 KV cache？" in hidden and "什么是温度参数？" in hidden
    assert "unpublished rewording" not in hidden
