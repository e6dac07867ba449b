"""Study sets without the HTTP layer: building, ordering, copying, sharing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership
from accounts.services import create_team
from qa.models import Question, SetItem, StudySet
from qa.services import sets as services
from tests.factories import MembershipFactory, QuestionFactory, SectionFactory, bulk_questions

pytestmark = pytest.mark.django_db
Role = Membership.Role


def order(study_set) -> list[int]:
    return list(
        SetItem.objects.filter(study_set=study_set)
        .order_by("position", "pk")
        .values_list("question_id", flat=True)
    )


@pytest.fixture
def questions():
    return bulk_questions(SectionFactory(), 5)


@pytest.fixture
def filled(alice, questions):
    study_set = services.create_set(user=alice, title="Attention")
    services.add_questions(study_set=study_set, questions=questions)
    return study_set


def test_a_personal_set_is_private_and_owned_by_its_creator(alice):
    study_set = services.create_set(user=alice, title="Mine")
    assert study_set.owner == alice and study_set.team is None
    assert study_set.visibility == StudySet.Visibility.PRIVATE
    assert study_set.share_token is None


def test_only_curators_create_team_sets(alice, bob):
    member = MembershipFactory(user=bob, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services.create_set(user=bob, title="Nope", team=member.team)
    assert not StudySet.objects.exists()
    MembershipFactory(user=alice, team=member.team, role=Role.CURATOR)
    study_set = services.create_set(user=alice, title="Yes", team=member.team)
    assert study_set.team == member.team and study_set.owner is None
    assert study_set.visibility == StudySet.Visibility.TEAM


def test_a_personal_set_cannot_be_team_visible(alice):
    with pytest.raises(services.SetError):
        services.create_set(user=alice, title="x", visibility=StudySet.Visibility.TEAM)


def test_adding_appends_in_order_and_skips_duplicates(alice, filled, questions):
    assert order(filled) == [q.pk for q in questions]
    extra = QuestionFactory()
    added = services.add_questions(study_set=filled, questions=[questions[0], extra, extra])
    assert added == 1
    assert order(filled) == [q.pk for q in questions] + [extra.pk]


def test_unpublished_questions_are_not_added(alice):
    study_set = services.create_set(user=alice, title="x")
    draft = QuestionFactory(status=Question.Status.DRAFT)
    assert services.add_question_ids(study_set=study_set, question_ids=[draft.pk, 99999]) == (0, 2)
    assert order(study_set) == []


def test_a_set_has_a_size_limit(alice, filled, monkeypatch):
    monkeypatch.setattr(services, "MAX_SET_ITEMS", 6)
    more = bulk_questions(SectionFactory(), 2, start=100)
    with pytest.raises(services.SetError):
        services.add_questions(study_set=filled, questions=more)
    assert len(order(filled)) == 5


def test_moving_is_stable_and_reversible(filled, questions):
    ids = [q.pk for q in questions]
    third = SetItem.objects.get(study_set=filled, question=questions[2])
    assert services.move_item(item=third, direction="up")
    assert order(filled) == [ids[0], ids[2], ids[1], ids[3], ids[4]]
    assert services.move_item(item=third, direction="down")
    assert order(filled) == ids


def test_moving_past_either_end_changes_nothing(filled, questions):
    ids = [q.pk for q in questions]
    first = SetItem.objects.get(study_set=filled, question=questions[0])
    last = SetItem.objects.get(study_set=filled, question=questions[-1])
    assert not services.move_item(item=first, direction="up")
    assert not services.move_item(item=last, direction="down")
    assert order(filled) == ids


def _positions(study_set, positions):
    """Give the set's items (in pk order) these positions, as after removals or a concurrent
    add: gaps and ties."""
    for item, position in zip(SetItem.objects.filter(study_set=study_set).order_by("pk"),
                              positions, strict=True):
        item.position = position
        item.save()


def test_moving_writes_only_the_two_items_that_trade_places(filled, questions):
    ids = [q.pk for q in questions]
    _positions(filled, [10, 10, 30, 31, 90])
    last = SetItem.objects.get(study_set=filled, question=questions[-1])
    assert services.move_item(item=last, direction="up")
    assert order(filled) == [ids[0], ids[1], ids[2], ids[4], ids[3]]
    positions = list(SetItem.objects.filter(study_set=filled).order_by("pk")
                     .values_list("position", flat=True))
    assert positions == [10, 10, 30, 90, 31]  # the gaps and the others' tie left as they were


@pytest.mark.parametrize("moved, direction", [(1, "up"), (0, "down"), (2, "up")])
def test_moving_a_tied_item_renumbers_the_set_without_reordering_the_rest(
    filled, questions, moved, direction
):
    ids = [q.pk for q in questions]
    # Items 0 and 1 share a position; item 2's is shared by a neighbour's after a swap would be.
    _positions(filled, [10, 10, 30, 31, 90])
    expected = list(ids)
    other = moved - 1 if direction == "up" else moved + 1
    expected[moved], expected[other] = expected[other], expected[moved]
    item = SetItem.objects.get(study_set=filled, question=questions[moved])
    assert services.move_item(item=item, direction=direction)
    assert order(filled) == expected
    if moved != 2:  # item 2 and its neighbour hold positions of their own: a plain swap
        positions = list(SetItem.objects.filter(study_set=filled).order_by("position")
                         .values_list("position", flat=True))
        assert positions == [1, 2, 3, 4, 5]


def test_a_swap_never_jumps_an_item_past_a_third_one_tied_with_it(filled, questions):
    ids = [q.pk for q in questions]
    # Items 2 and 3 tie at 30; moving item 1 (20) down past item 2 must not land it after 3.
    _positions(filled, [10, 20, 30, 30, 90])
    item = SetItem.objects.get(study_set=filled, question=questions[1])
    assert services.move_item(item=item, direction="down")
    assert order(filled) == [ids[0], ids[2], ids[1], ids[3], ids[4]]


def test_removing_keeps_the_order_of_the_others(filled, questions):
    ids = [q.pk for q in questions]
    assert services.remove_question(study_set=filled, question=questions[1])
    assert not services.remove_question(study_set=filled, question=questions[1])
    assert order(filled) == [ids[0], ids[2], ids[3], ids[4]]


def test_notes_are_limited(filled, questions):
    item = SetItem.objects.get(study_set=filled, question=questions[0])
    services.set_item_note(item=item, note="  Focus on the scaling factor.  ")
    item.refresh_from_db()
    assert item.note == "Focus on the scaling factor."
    with pytest.raises(services.SetError):
        services.set_item_note(item=item, note="x" * 2001)


def test_copy_is_deep_and_independent(alice, bob, filled, questions):
    first = SetItem.objects.get(study_set=filled, question=questions[0])
    services.set_item_note(item=first, note="original note")
    services.move_item(item=SetItem.objects.get(study_set=filled, question=questions[4]),
                       direction="up")
    services.share_by_link(study_set=filled)
    expected = order(filled)

    copy = services.copy_set(source=filled, user=bob)
    assert copy.pk != filled.pk
    assert copy.owner == bob and copy.team is None
    assert copy.visibility == StudySet.Visibility.PRIVATE and copy.share_token is None
    assert order(copy) == expected
    copied_first = SetItem.objects.get(study_set=copy, question=questions[0])
    assert copied_first.pk != first.pk and copied_first.note == "original note"

    # Changing the copy leaves the original alone, and the other way round.
    services.set_item_note(item=copied_first, note="bob's note")
    services.remove_question(study_set=copy, question=questions[1])
    services.add_questions(study_set=filled, questions=[QuestionFactory()])
    first.refresh_from_db()
    assert first.note == "original note"
    assert questions[1].pk in order(filled)
    assert len(order(copy)) == 4
    assert len(order(filled)) == 6

    # Deleting the original does not delete the copy.
    services.delete_set(study_set=filled)
    assert order(copy) == [pk for pk in expected if pk != questions[1].pk]


def test_copy_into_a_team_needs_curator_rights(alice, bob, filled):
    membership = MembershipFactory(user=bob, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services.copy_set(source=filled, user=bob, team=membership.team)
    membership.role = Role.CURATOR
    membership.save()
    copy = services.copy_set(source=filled, user=bob, team=membership.team)
    assert copy.team == membership.team and copy.owner is None


def test_sharing_makes_a_token_and_revoking_kills_it_for_good(filled):
    services.share_by_link(study_set=filled)
    filled.refresh_from_db()
    first = filled.share_token
    assert filled.visibility == StudySet.Visibility.LINK and len(first) >= 32
    services.share_by_link(study_set=filled)  # sharing again keeps the same link
    filled.refresh_from_db()
    assert filled.share_token == first
    services.share_by_link(study_set=filled, regenerate=True)
    filled.refresh_from_db()
    assert filled.share_token not in (None, first)
    services.revoke_link(study_set=filled)
    filled.refresh_from_db()
    assert filled.share_token is None
    assert filled.visibility == StudySet.Visibility.PRIVATE


@pytest.mark.parametrize("before", [StudySet.Visibility.PRIVATE, StudySet.Visibility.TEAM])
def test_stopping_a_team_sets_link_restores_who_saw_it_before(alice, before):
    team = create_team(user=alice, name="Readers")
    draft = services.create_set(user=alice, title="Draft", team=team, visibility=before)
    services.share_by_link(study_set=draft)
    services.share_by_link(study_set=draft, regenerate=True)  # still shared: still remembered
    services.revoke_link(study_set=draft)
    draft.refresh_from_db()
    assert (draft.visibility, draft.share_token, draft.visibility_before_link) == (
        before, None, "")


def test_a_team_set_created_shared_stays_the_members_when_sharing_stops(alice):
    team = create_team(user=alice, name="Readers")
    shared = services.create_set(user=alice, title="Open", team=team,
                                 visibility=StudySet.Visibility.LINK)
    assert shared.share_token
    services.revoke_link(study_set=shared)
    shared.refresh_from_db()
    assert shared.visibility == StudySet.Visibility.TEAM


def test_a_copy_leaves_out_hidden_questions_and_their_notes(alice, bob):
    from tests.factories import QuestionFactory

    source = services.create_set(user=alice, title="Src")
    kept, hidden = QuestionFactory(), QuestionFactory(status=Question.Status.DRAFT)
    services.add_questions(study_set=source, questions=[kept])
    SetItem.objects.create(study_set=source, question=hidden, position=2,
                           note="secret note on draft")
    copy = services.copy_set(source=source, user=bob)
    assert list(copy.items.values_list("question_id", "position", "note")) == [
        (kept.pk, 1, "")]


def test_leaving_link_visibility_by_editing_drops_the_token(filled):
    services.update_set(study_set=filled, title="t", description="",
                        visibility=StudySet.Visibility.LINK)
    filled.refresh_from_db()
    assert filled.share_token
    services.update_set(study_set=filled, title="t", description="",
                        visibility=StudySet.Visibility.PRIVATE)
    filled.refresh_from_db()
    assert filled.share_token is None


def test_a_description_longer_than_the_form_allows_is_refused(alice):
    from qa.services.sets import DESCRIPTION_MAX, SetError, create_set

    with pytest.raises(SetError, match="at most 4000 characters"):
        create_set(user=alice, title="Long", description="x" * (DESCRIPTION_MAX + 1))
    assert create_set(user=alice, title="Fits", description="x" * DESCRIPTION_MAX).pk
