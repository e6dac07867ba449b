"""Reads for study sets and team progress: the one place that decides who sees which set.

Visibility:
- a personal set: its owner reads and edits it; with visibility "link" anyone holding the
  share token reads it through /s/<token>/ (never through the id URL);
- a team set: owners and curators of the team read and edit it whatever its visibility
  (a "private" team set is a curators' draft); members read and study it when its visibility
  is "team" or "link"; "link" also lets anyone holding the token read it through /s/<token>/.
Everyone else gets None here and a 404 from the view. Membership is read on every request, so
removing someone takes effect on their next request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Sqrt
from django.utils import timezone

from accounts.models import Membership, Team, User
from qa import expressions
from qa.models import Question, Review, SetItem, StudySet, StudyState
from qa.scheduling import default_retention
from qa.selectors.editorial import last_published

Visibility = StudySet.Visibility
Role = Membership.Role
CURATOR_ROLES = (Role.OWNER, Role.CURATOR)
MEMBER_VISIBLE = (Visibility.TEAM, Visibility.LINK)


@dataclass(frozen=True)
class SetAccess:
    study_set: StudySet
    can_edit: bool
    membership: Membership | None = None


def access_for(*, user: User, study_set: StudySet, membership: Membership | None = None,
               membership_known: bool = False) -> SetAccess | None:
    """What `user` may do with `study_set` through its id URL, or None (404)."""
    if not user.is_authenticated:
        return None
    if study_set.owner_id is not None:
        if study_set.owner_id == user.pk:
            return SetAccess(study_set=study_set, can_edit=True)
        return None
    if not membership_known:
        membership = Membership.objects.filter(user=user, team_id=study_set.team_id).first()
    if membership is None:
        return None
    if membership.role in CURATOR_ROLES:
        return SetAccess(study_set=study_set, can_edit=True, membership=membership)
    if study_set.visibility in MEMBER_VISIBLE:
        return SetAccess(study_set=study_set, can_edit=False, membership=membership)
    return None


def set_for_user(*, user: User, set_id: int) -> SetAccess | None:
    """The set `set_id` with what `user` may do with it, or None. Two queries at most."""
    if not user.is_authenticated:
        return None
    study_set = StudySet.objects.select_related("team", "owner").filter(pk=set_id).first()
    if study_set is None:
        return None
    return access_for(user=user, study_set=study_set)


def set_for_token(*, token: str) -> StudySet | None:
    """The link-shared set whose token is `token`, or None (unknown, revoked or not shared).

    Looked up through the unique index, then compared with `secrets.compare_digest` (see
    accounts.services.find_invitation for why that is enough)."""
    if not token or len(token) > 64:
        return None
    study_set = (
        StudySet.objects.select_related("team", "owner")
        .filter(share_token=token, visibility=Visibility.LINK)
        .first()
    )
    if study_set is None or not secrets.compare_digest(study_set.share_token, token):
        return None
    return study_set


def _readable_q(user: User) -> Q:
    return (
        Q(owner=user)
        | Q(team__memberships__user=user, team__memberships__role__in=CURATOR_ROLES)
        | Q(team__memberships__user=user, visibility__in=MEMBER_VISIBLE)
    )


def _with_counts(qs: QuerySet[StudySet]) -> QuerySet[StudySet]:
    return qs.annotate(
        item_count=Count(
            "items", filter=Q(items__question__status=Question.Status.PUBLISHED), distinct=True
        )
    )


def readable_sets(*, user: User) -> QuerySet[StudySet]:
    """Every set `user` may open: their own and their teams' (per the rules above)."""
    return _with_counts(
        StudySet.objects.filter(_readable_q(user)).select_related("team")
    ).order_by("team__name", "title", "pk")


def readable_set_count(*, user: User) -> int:
    """How many sets `user` may open (readable_sets), in one count."""
    return StudySet.objects.filter(_readable_q(user)).values("pk").distinct().count()


def editable_sets(*, user: User) -> QuerySet[StudySet]:
    """Sets `user` may change: their own and those of teams they curate."""
    return (
        StudySet.objects.filter(
            Q(owner=user)
            | Q(team__memberships__user=user, team__memberships__role__in=CURATOR_ROLES)
        )
        .select_related("team")
        .order_by("team__name", "title", "pk")
    )


def team_sets(*, team: Team, membership: Membership) -> QuerySet[StudySet]:
    qs = StudySet.objects.filter(team=team)
    if membership.role not in CURATOR_ROLES:
        qs = qs.filter(visibility__in=MEMBER_VISIBLE)
    return _with_counts(qs).order_by("title", "pk")


def set_items(*, study_set: StudySet) -> QuerySet[SetItem]:
    """The set's items that learners may see (published questions), in order."""
    return (
        SetItem.objects.filter(study_set=study_set, question__status=Question.Status.PUBLISHED)
        .select_related("question", "question__section", "question__bank")
        .order_by("position", "pk")
    )


def hidden_set_items(*, study_set: StudySet) -> QuerySet[SetItem]:
    """The set's items that learners do not see: questions an editor retired or took back into
    draft. They keep their place (a draft comes back when it is published again) and count
    toward the set's size; its editors may remove them. Each carries `published_prompt`, its
    prompt as it was last published (a draft's current text is the editors' own)."""
    return (
        SetItem.objects.filter(study_set=study_set)
        .exclude(question__status=Question.Status.PUBLISHED)
        .select_related("question__section__bank")
        .only("pk", "study_set_id", "position", "question__number", "question__status",
              "question__section__title", "question__section__bank__language")
        .annotate(published_prompt=last_published("prompt"))
        .order_by("position", "pk")
    )


def set_items_with_tags(*, study_set: StudySet) -> QuerySet[SetItem]:
    return set_items(study_set=study_set).prefetch_related(
        Prefetch("question__tags")
    )


@dataclass(frozen=True)
class QuestionSets:
    containing: list[StudySet]
    addable: list[StudySet]

    def __bool__(self) -> bool:
        return bool(self.containing or self.addable)


def sets_for_question(*, user: User, question: Question) -> QuestionSets:
    """The sets `user` may edit, split by whether `question` is in them. One query."""
    if not user.is_authenticated:
        return QuestionSets(containing=[], addable=[])
    sets = list(
        editable_sets(user=user).annotate(
            has_question=Exists(
                SetItem.objects.filter(study_set=OuterRef("pk"), question=question)
            )
        )
    )
    return QuestionSets(
        containing=[s for s in sets if s.has_question],
        addable=[s for s in sets if not s.has_question],
    )


# --- Team dashboard ---------------------------------------------------------------------------


@dataclass
class SetProgress:
    study_set: StudySet
    total: int
    by_member: dict[int, int] = field(default_factory=dict)  # user id -> reviewed

    def reviewed_by(self, user_id: int) -> int:
        return self.by_member.get(user_id, 0)

    @property
    def started(self) -> int:
        return sum(1 for n in self.by_member.values() if n)

    def started_besides(self, user_id: int) -> int:
        return sum(1 for member, n in self.by_member.items() if n and member != user_id)

    @property
    def finished(self) -> int:
        return sum(1 for n in self.by_member.values() if self.total and n >= self.total)


def share_percent(part: int, whole: int) -> int:
    """`part` of `whole` as a whole percent that says 100 only when it is all of it and 0 only
    when it is none (199 of 200 is 99%, 1 of 201 is 1%)."""
    if not whole:
        return 0
    percent = round(100 * part / whole)
    if part < whole:
        percent = min(percent, 99)
    if part > 0:
        percent = max(percent, 1)
    return percent


@dataclass
class WeakSpot:
    question: Question
    reviews: int = 0
    again: int = 0
    people: int = 0
    mean_retrievability: float | None = None
    studied_by: int = 0  # members with a study state for it

    @property
    def again_percent(self) -> int:
        return share_percent(self.again, self.reviews)

    @property
    def mean_retrievability_percent(self) -> int | None:
        if self.mean_retrievability is None:
            return None
        return round(100 * self.mean_retrievability)


@dataclass
class Dashboard:
    members: list[Membership]
    sets: list[SetProgress]
    by_again: list[WeakSpot]
    by_retrievability: list[WeakSpot]


WEAK_SPOT_LIMIT = 10


def _surely_again(*, again: str, total: str, z: float = 1.96):
    """The share of "Again" a question has at least, with 95% confidence (the lower bound of
    Wilson's score interval): 1 "Again" of 1 grade ranks below 9 of 10, which says more."""
    a, n = Cast(again, FloatField()), Cast(total, FloatField())
    spread = Sqrt(a * (n - a) / n + Value(z * z / 4))
    return (a + Value(z * z / 2) - Value(z) * spread) / (n + Value(z * z))


def team_dashboard(
    *, team: Team, membership: Membership, min_people: int = 0, now: datetime | None = None
) -> Dashboard:
    """Progress per set and member, and the team's weak spots, in a fixed number of queries.

    Only current members count; only sets the viewer may see; only published questions. A
    weak spot is a question at least `min_people` members besides the viewer have graded
    (by "Again") or studied (by recall): the viewer's own part, taken out of a figure, would
    leave the others' bare.
    """
    now = now or timezone.now()
    viewer = membership.user_id
    members = list(
        Membership.objects.filter(team=team).select_related("user").order_by("joined_at", "pk")
    )
    member_ids = Membership.objects.filter(team=team).values("user_id")
    sets = list(team_sets(team=team, membership=membership))
    progress = {s.pk: SetProgress(study_set=s, total=s.item_count) for s in sets}
    set_questions = SetItem.objects.filter(
        study_set__in=[s.pk for s in sets], question__status=Question.Status.PUBLISHED
    ).values("question_id")

    if sets:
        rows = (
            SetItem.objects.filter(
                study_set__in=[s.pk for s in sets],
                question__status=Question.Status.PUBLISHED,
                question__study_states__user_id__in=member_ids,
            )
            .values("study_set_id", "question__study_states__user_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            progress[row["study_set_id"]].by_member[row["question__study_states__user_id"]] = (
                row["n"]
            )

    spots: dict[int, WeakSpot] = {}
    again_rows = []
    if sets:
        again_rows = list(
            # Grades on the answer as it is now: failures of an answer since corrected say
            # nothing of how hard the question is.
            Review.objects.filter(user_id__in=member_ids, question_id__in=set_questions,
                                  answer_version=F("question__answer_version"))
            .values("question_id")
            .annotate(
                total=Count("pk"),
                again=Count("pk", filter=Q(rating=Review.Rating.AGAIN)),
                people=Count("user_id", distinct=True),
                others=Count("user_id", distinct=True, filter=~Q(user_id=viewer)),
            )
            .annotate(surely=_surely_again(again="again", total="total"))
            .filter(again__gt=0, others__gte=min_people)
            .order_by("-surely", "-again", "question_id")[:WEAK_SPOT_LIMIT]
        )

    mean_r: dict[int, float] = {}
    studied_by: dict[int, int] = {}
    studied_by_others: dict[int, int] = {}
    if sets:
        # Every member's state of every question in the sets: the database averages them.
        recall = (
            StudyState.objects.filter(
                user_id__in=member_ids, question_id__in=set_questions, stability__isnull=False
            )
            .values("question_id")
            .annotate(mean=Avg(expressions.recall_probability(now)), n=Count("pk"),
                      others=Count("pk", filter=~Q(user_id=viewer)))
            .values_list("question_id", "mean", "n", "others")
            .order_by()
        )
        for question_id, mean, n, others in recall:
            mean_r[question_id] = mean
            studied_by[question_id] = n
            studied_by_others[question_id] = others

    # A question is weak when the team's mean recall is below the retention FSRS aims for.
    target = default_retention()
    low = [qid for qid, r in mean_r.items()
           if r < target and studied_by_others[qid] >= min_people]
    by_r_ids = sorted(low, key=lambda qid: (mean_r[qid], qid))[:WEAK_SPOT_LIMIT]
    wanted = {row["question_id"] for row in again_rows} | set(by_r_ids)
    questions = Question.objects.select_related("bank").in_bulk(wanted) if wanted else {}
    for qid, question in questions.items():
        spots[qid] = WeakSpot(
            question=question,
            mean_retrievability=mean_r.get(qid),
            studied_by=studied_by.get(qid, 0),
        )
    for row in again_rows:
        spot = spots[row["question_id"]]
        spot.reviews, spot.again, spot.people = row["total"], row["again"], row["people"]
    by_again = [spots[row["question_id"]] for row in again_rows]
    by_retrievability = [spots[qid] for qid in by_r_ids]
    return Dashboard(
        members=members,
        sets=[progress[s.pk] for s in sets],
        by_again=by_again,
        by_retrievability=by_retrievability,
    )
