"""Writes for study sets. Callers have already checked (through qa.selectors.sets) that the
user may edit the set; functions that put a set into a team check the user curates it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Team, User
from qa.importer.files import normal_text
from qa.models import Question, Quiz, QuizItem, SetItem, StudySet
from qa.selectors import quizzes
from qa.selectors.cards import MAX_ID
from qa.selectors.sets import CURATOR_ROLES, MEMBER_VISIBLE

Visibility = StudySet.Visibility

MAX_SET_ITEMS = 1000
TITLE_MAX = 120
DESCRIPTION_MAX = 4000  # Markdown, rendered on every view of the set (a shared link's too)
NOTE_MAX = 2000


class SetError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


def _require_curator(*, user: User, team: Team) -> None:
    if not Membership.objects.filter(
        user=user, team=team, role__in=[Membership.Role.OWNER, Membership.Role.CURATOR]
    ).exists():
        raise PermissionDenied(_("Only owners and curators of the team can do that."))


def _check_visibility(*, visibility: str, team: Team | None) -> None:
    if visibility not in Visibility.values:
        raise SetError(_("Unknown visibility."))
    if team is None and visibility == Visibility.TEAM:
        raise SetError(_("Only a team's set can be visible to a team."))


def _lock(study_set: StudySet) -> StudySet:
    """The set's row, locked: every change of a set or its items takes this lock first. 404
    if another request deleted the set after this one read it."""
    locked = StudySet.objects.select_for_update().filter(pk=study_set.pk).first()
    if locked is None:
        raise Http404
    return locked


@transaction.atomic
def create_set(
    *,
    user: User,
    title: str,
    description: str = "",
    team: Team | None = None,
    visibility: str | None = None,
) -> StudySet:
    title, description = title.strip(), _checked_description(description)
    if not title:
        raise SetError(_("A set needs a title."))
    if team is not None:
        _require_curator(user=user, team=team)
    if visibility is None:
        visibility = Visibility.TEAM if team is not None else Visibility.PRIVATE
    _check_visibility(visibility=visibility, team=team)
    study_set = StudySet(
        title=title[:TITLE_MAX],
        description=description,
        owner=None if team is not None else user,
        team=team,
        # What "Stop sharing" returns a set created as shared to: a team's set stays its
        # members', as sharing it afterwards would have left it.
        visibility=Visibility.TEAM if team is not None else Visibility.PRIVATE,
        created_by=user,
    )
    _apply_visibility(study_set, visibility)
    study_set.save()
    return study_set


@transaction.atomic
def update_set(
    *, study_set: StudySet, title: str, description: str, visibility: str
) -> StudySet:
    study_set = _lock(study_set)
    title, description = title.strip(), _checked_description(description)
    if not title:
        raise SetError(_("A set needs a title."))
    _check_visibility(visibility=visibility, team=study_set.team)
    study_set.title = title[:TITLE_MAX]
    study_set.description = description
    old_token = study_set.share_token
    _apply_visibility(study_set, visibility)
    study_set.save()
    _let_go_of_outsiders(study_set, old_token=old_token)
    return study_set


def _checked_description(description: str) -> str:
    description = normal_text(description)
    if len(description) > DESCRIPTION_MAX:
        raise SetError(_("A description can be at most %(max)d characters.")
                       % {"max": DESCRIPTION_MAX})
    return description


_VISIBILITY_FIELDS = ["visibility", "share_token", "visibility_before_link"]


def _apply_visibility(study_set: StudySet, visibility: str) -> None:
    if visibility == Visibility.LINK:
        if study_set.visibility != Visibility.LINK:
            study_set.visibility_before_link = study_set.visibility
        study_set.share_token = study_set.share_token or new_share_token()
    else:
        # Leaving "link" kills the old URL for good: sharing again makes a new one.
        study_set.share_token = None
        study_set.visibility_before_link = ""
    study_set.visibility = visibility


@transaction.atomic
def share_by_link(*, study_set: StudySet, regenerate: bool = False) -> StudySet:
    study_set = _lock(study_set)
    old_token = study_set.share_token
    if regenerate:
        study_set.share_token = None
    _apply_visibility(study_set, Visibility.LINK)
    study_set.save(update_fields=[*_VISIBILITY_FIELDS, "updated_at"])
    _let_go_of_outsiders(study_set, old_token=old_token)
    return study_set


@transaction.atomic
def revoke_link(*, study_set: StudySet) -> StudySet:
    study_set = _lock(study_set)
    if study_set.visibility == Visibility.LINK:
        # Back to what it was before it was shared; if that is unknown, the narrowest.
        fallback = study_set.visibility_before_link or Visibility.PRIVATE
        if fallback == Visibility.TEAM and not study_set.team_id:
            fallback = Visibility.PRIVATE
        old_token = study_set.share_token
        _apply_visibility(study_set, fallback)
        study_set.save(update_fields=[*_VISIBILITY_FIELDS, "updated_at"])
        _let_go_of_outsiders(study_set, old_token=old_token)
    return study_set


def _let_go_of_outsiders(study_set: StudySet, *, old_token: str | None) -> None:
    """After a change of who may see the set (made private, its link stopped or replaced),
    the quizzes on it of people it no longer admits let go of it, as an ex-member's do. A link
    that stays the same goes on admitting whoever holds it."""
    if study_set.share_token and study_set.share_token == old_token:
        return
    if study_set.team_id is None:
        admitted = [study_set.owner_id]
    else:
        members = Membership.objects.filter(team_id=study_set.team_id)
        if study_set.visibility not in MEMBER_VISIBLE:
            members = members.filter(role__in=CURATOR_ROLES)
        admitted = members.values("user_id")
    let_go_of(Quiz.objects.filter(study_set=study_set).exclude(user_id__in=admitted))


def let_go_of(quizzes) -> None:
    """`quizzes` (a Quiz queryset) forget their set, whose owner no longer admits their
    learner; the unfinished ones end where they are. The grades given stay."""
    quizzes.filter(finished_at__isnull=True).update(finished_at=timezone.now(),
                                                    ended=Quiz.Ended.SET_CLOSED)
    quizzes.update(study_set=None)


def end_quizzes_on(sets) -> None:
    """Unfinished quizzes on `sets` (a StudySet queryset) end where they are: the sets are
    going; the grades given stay."""
    Quiz.objects.filter(study_set__in=sets, finished_at__isnull=True).update(
        finished_at=timezone.now(), ended=Quiz.Ended.SET_DELETED)


@transaction.atomic
def delete_set(*, study_set: StudySet) -> None:
    sets = StudySet.objects.filter(pk=study_set.pk)
    end_quizzes_on(sets)
    sets.delete()


@transaction.atomic
def add_questions(
    *, study_set: StudySet, questions: Iterable[Question], notes: dict[int, str] | None = None
) -> int:
    """Append the published `questions` not yet in the set, in the given order.

    Returns how many were added; adding a question twice adds it once."""
    study_set = _lock(study_set)
    notes = notes or {}
    existing = set(
        SetItem.objects.filter(study_set=study_set).values_list("question_id", flat=True)
    )
    fresh: list[Question] = []
    seen: set[int] = set()
    for question in questions:
        if question.status != Question.Status.PUBLISHED:
            continue
        if question.pk in existing or question.pk in seen:
            continue
        seen.add(question.pk)
        fresh.append(question)
    if not fresh:
        return 0
    if len(existing) + len(fresh) > MAX_SET_ITEMS:
        raise SetError(
            _("A set can hold at most %(max)d questions.") % {"max": MAX_SET_ITEMS}
        )
    start = (
        SetItem.objects.filter(study_set=study_set).aggregate(m=Max("position"))["m"] or 0
    ) + 1
    SetItem.objects.bulk_create(
        SetItem(
            study_set=study_set,
            question=question,
            position=start + i,
            note=notes.get(question.pk, "")[:NOTE_MAX],
        )
        for i, question in enumerate(fresh)
    )
    study_set.save(update_fields=["updated_at"])
    return len(fresh)


def add_question_ids(*, study_set: StudySet, question_ids: Sequence[int]) -> tuple[int, int]:
    """Like add_questions, for ids from a form: (how many were added, how many are not
    published questions, which are left out)."""
    question_ids = list(dict.fromkeys(question_ids))
    by_id = Question.objects.published().in_bulk(
        [i for i in question_ids if 0 < i <= MAX_ID])  # SQLite stores 64 bits
    added = add_questions(
        study_set=study_set, questions=[by_id[i] for i in question_ids if i in by_id]
    )
    return added, len(question_ids) - len(by_id)


@transaction.atomic
def remove_question(*, study_set: StudySet, question: Question) -> bool:
    _lock(study_set)
    deleted, _rows = SetItem.objects.filter(study_set=study_set, question=question).delete()
    _leave_running_quizzes(study_set_id=study_set.pk, question_id=question.pk)
    return bool(deleted)


@transaction.atomic
def remove_item(*, item: SetItem) -> bool:
    _lock(item.study_set)
    deleted, _rows = SetItem.objects.filter(pk=item.pk).delete()
    _leave_running_quizzes(study_set_id=item.study_set_id, question_id=item.question_id)
    return bool(deleted)


def _leave_running_quizzes(*, study_set_id: int, question_id: int) -> None:
    """A question taken out of a set leaves the quizzes running on it (the members' too): its
    cards still to come go, so no one is asked what the set no longer holds and the quiz counts
    as the set does. The card on screen stays, to be graded or not. Questions added join a
    running quiz after its last card when it is taken up again from the set (study.start_quiz);
    a new order waits for the next quiz of the set: a running one keeps the order it began
    with."""
    # The card on screen: the first item left to grade from the quiz's position on (an item
    # at the position itself may have been passed over, its question retired).
    on_screen = QuizItem.objects.filter(
        quiz_id=OuterRef("quiz_id"), position__gte=OuterRef("quiz__position"),
        **quizzes.LEFT_TO_GRADE,
    ).order_by("position").values("position")[:1]
    later = QuizItem.objects.filter(
        quiz__study_set_id=study_set_id, quiz__finished_at__isnull=True,
        question_id=question_id, review__isnull=True,
    ).annotate(on_screen=Subquery(on_screen)).filter(position__gt=F("on_screen"))
    QuizItem.objects.filter(pk__in=list(later.values_list("pk", flat=True))).delete()


@transaction.atomic
def move_item(*, item: SetItem, direction: str) -> bool:
    """Swap the item with its neighbour above ("up") or below ("down") as the set's page
    shows it: items whose question is not published (retired, or back in draft) are not
    shown, so they are skipped, and keep their places.

    Order is (position, pk), so the swap is stable even if positions ever had gaps or ties;
    moving the first item up or the last one down changes nothing. Returns whether it moved.
    Moving writes the two items' rows, or every row of the set to undo a tie.
    """
    if direction not in ("up", "down"):
        raise SetError(_("Unknown direction."))
    _lock(item.study_set)
    ordered = list(
        SetItem.objects.filter(study_set_id=item.study_set_id)
        .order_by("position", "pk")
        .values_list("pk", "question__status", "position")
    )
    ids = [pk for pk, _status, _position in ordered]
    shown = [n for n, (_pk, status, _position) in enumerate(ordered)
             if status == Question.Status.PUBLISHED]
    try:
        index = ids.index(item.pk)
        place = shown.index(index)
    except ValueError:
        return False
    neighbour = place - 1 if direction == "up" else place + 1
    if not 0 <= neighbour < len(shown):
        return False
    other = shown[neighbour]
    mine, theirs = ordered[index][2], ordered[other][2]
    if mine != theirs and sum(1 for *_rest, p in ordered if p in (mine, theirs)) == 2:
        # Their positions are their own: the two trade them, and no other row is written.
        SetItem.objects.bulk_update(
            [SetItem(pk=ids[index], position=theirs), SetItem(pk=ids[other], position=mine)],
            ["position"],
        )
        return True
    # A tie (positions are not unique): renumber the set 1..n in its order with the two
    # swapped, which also repairs the ties.
    ids[index], ids[other] = ids[other], ids[index]
    items = [SetItem(pk=pk, position=i) for i, pk in enumerate(ids, start=1)]
    SetItem.objects.bulk_update(items, ["position"])
    return True


@transaction.atomic
def set_item_note(*, item: SetItem, note: str) -> SetItem:
    # Browsers submit a textarea's line breaks as CRLF but count them as one character
    # against its maxlength: count them as the browser does.
    note = normal_text(note)
    if len(note) > NOTE_MAX:
        raise SetError(_("A note can be at most %(max)d characters.") % {"max": NOTE_MAX})
    item.note = note
    # An item removed meanwhile (another editor, another tab) has nothing left to annotate:
    # nothing is written, and the set's page shows the list as it is now.
    SetItem.objects.filter(pk=item.pk).update(note=note)
    return item


@dataclass(frozen=True)
class ImportedItem:
    question: Question
    note: str = ""


@transaction.atomic
def create_set_with_items(
    *,
    user: User,
    title: str,
    description: str = "",
    team: Team | None = None,
    items: Sequence[ImportedItem],
) -> StudySet:
    """A new set holding `items` in order: all of it or, on any error, nothing."""
    if len(items) > MAX_SET_ITEMS:
        raise SetError(_("A set can hold at most %(max)d questions.") % {"max": MAX_SET_ITEMS})
    study_set = create_set(user=user, title=title, description=description, team=team)
    add_questions(
        study_set=study_set,
        questions=[item.question for item in items],
        notes={item.question.pk: item.note for item in items},
    )
    return study_set


def copy_title(source: StudySet) -> str:
    """"<title> (copy)", the title shortened so that the whole fits in TITLE_MAX."""
    suffix = _("%(title)s (copy)") % {"title": ""}
    return _("%(title)s (copy)") % {"title": source.title[:TITLE_MAX - len(suffix)].rstrip()}


@transaction.atomic
def copy_set(
    *, source: StudySet, user: User, team: Team | None = None, title: str | None = None
) -> StudySet:
    """A deep, independent copy of `source` (title, description, items with notes and order)
    owned by `user` or by `team` (which `user` must curate). The copy is never link-shared."""
    if team is not None:
        _require_curator(user=user, team=team)
    copy = StudySet.objects.create(
        title=(title or copy_title(source))[:TITLE_MAX],
        description=source.description,
        owner=None if team is not None else user,
        team=team,
        visibility=Visibility.TEAM if team is not None else Visibility.PRIVATE,
        share_token=None,
        created_by=user,
    )
    # Only the questions the copier sees in it: a hidden one (a draft, retired) and the
    # curator's note on it stay the source's.
    items = SetItem.objects.filter(study_set=source, question__status=Question.Status.PUBLISHED
                                   ).order_by("position", "pk")
    SetItem.objects.bulk_create(
        SetItem(study_set=copy, question_id=item.question_id, position=i, note=item.note)
        for i, item in enumerate(items, start=1)
    )
    return copy
