"""Synthetic data at production scale, for benchmarks and query-count checks.

`generate_scale_data` builds a bank of Chinese-looking interview questions from a fixed
vocabulary (so search has real words to find), learners with consistent study histories
(every StudyState agrees with the reviews behind it), teams, memberships and study sets.
Everything comes from one seeded random generator, so the same arguments give the same data.

Rows go in through qa.rows: PostgreSQL's COPY when the database is PostgreSQL and
bulk inserts otherwise. Ids are assigned here (after the current maximum) so that rows can
refer to each other without a round trip; sequences are reset at the end.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Membership, Team, User
from qa.models import (
    Bank,
    Bookmark,
    Note,
    Question,
    Review,
    Section,
    SetItem,
    StudySet,
    StudyState,
    Tag,
)
from qa.rows import insert_rows
from qa.synthetic_text import TAGS, TextMaker

SCALE_PASSWORD = "scale-data-password-1"  # noqa: S105 - synthetic accounts for benchmarks
EMAIL_DOMAIN = "scale.example.com"

@dataclass
class Timings:
    steps: list[tuple[str, int, float]] = field(default_factory=list)

    def record(self, name: str, rows: int, started: float) -> None:
        self.steps.append((name, rows, time.perf_counter() - started))


@dataclass
class ScaleSpec:
    questions: int = 100_000
    users: int = 10_000
    reviews: int = 1_000_000
    teams: int = 50
    sets: int = 200
    sections: int = 20
    bookmarks_per_user: int = 5
    seed: int = 42
    bank_slug: str = "scale"


# --- Writing rows ------------------------------------------------------------------------------


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _foreign_key_triggers_off() -> bool:
    """Skip PostgreSQL's row-by-row foreign-key triggers for this transaction, if the role may
    (a superuser may; anyone else keeps the triggers and pays for them at the end). The keys
    are then checked in one set-based query each (_check_foreign_keys)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def _check_foreign_keys(models_: Sequence[type[models.Model]]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            for f in model._meta.concrete_fields:
                if not f.is_relation or not f.db_constraint:
                    continue
                target = f.target_field
                # Identifiers from the models' own metadata, quoted.
                sql = (
                    f"SELECT count(*) FROM {qn(model._meta.db_table)} c "  # noqa: S608
                    f"WHERE c.{qn(f.column)} IS NOT NULL AND NOT EXISTS ("
                    f"SELECT 1 FROM {qn(target.model._meta.db_table)} p "
                    f"WHERE p.{qn(target.column)} = c.{qn(f.column)})"
                )
                cursor.execute(sql)
                (broken,) = cursor.fetchone()
                if broken:
                    raise ScaleDataError(
                        f"{broken} rows of {model._meta.label}.{f.name} refer to nothing."
                    )


@contextmanager
def _without_secondary_indexes(
    models_: Sequence[type[models.Model]],
    loaded_models: Sequence[type[models.Model]],
    timings: Timings,
) -> Iterator[None]:
    """On PostgreSQL, drop the indexes that back no constraint while loading and build them
    again afterwards: one sort per index instead of millions of index insertions. Inside the
    caller's transaction, so an error leaves them as they were."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    triggers_off = _foreign_key_triggers_off()
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if triggers_off:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            _check_foreign_keys(loaded_models)
        else:
            # Django's foreign keys are checked at commit, row by row; PostgreSQL builds no
            # index on a table with checks pending, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    timings.record("foreign-key checks", 0, started)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
    timings.record(f"rebuild {len(indexes)} secondary indexes", 0, started)


# --- The generator -------------------------------------------------------------------------------


class ScaleDataError(Exception):
    pass


def generate(spec: ScaleSpec, *, log: Callable[[str], None] = print) -> Timings:
    if Bank.objects.filter(slug=spec.bank_slug).exists():
        raise ScaleDataError(
            f"A bank with slug {spec.bank_slug!r} exists: scale data was generated here "
            "already. Use a fresh database (or another --bank-slug)."
        )
    if User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).exists():
        raise ScaleDataError(f"Accounts @{EMAIL_DOMAIN} exist already. Use a fresh database.")
    rng = random.Random(spec.seed)
    timings = Timings()
    now = timezone.now().replace(microsecond=0)
    big_tables = [Question, Review, StudyState]
    with transaction.atomic():
        loaded = [Section, Question, Question.tags.through, EmailAddress, Review, StudyState,
                  Team, Membership, StudySet, SetItem, Bookmark, Note]
        with _without_secondary_indexes(big_tables, loaded, timings):
            question_ids = _bank(spec, rng, now, timings, log)
            user_ids = _users(spec, rng, now, timings, log)
            _reviews(spec, rng, now, question_ids, user_ids, timings, log)
            _extras(spec, rng, now, question_ids, user_ids, timings, log)
        started = time.perf_counter()
        _reset_sequences([Bank, Section, Tag, Question, User, EmailAddress, Review, StudyState,
                          Team, Membership, StudySet, SetItem, Bookmark, Note])
        timings.record("reset sequences", 0, started)
        started = time.perf_counter()
    timings.record("commit", 0, started)
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Question, Review, StudyState, User, SetItem, Bookmark):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        timings.record("analyze", 0, started)
    return timings


def _bank(spec, rng, now, timings, log) -> list[int]:
    started = time.perf_counter()
    bank = Bank.objects.create(
        slug=spec.bank_slug, title="合成题库（规模测试）", language="zh-hans",
        description="Synthetic questions generated for benchmarks.", source="generate_scale_data",
    )
    sections = [
        Section(bank=bank, key=f"s{n:02d}", title=f"第{n}部分", position=n)
        for n in range(1, spec.sections + 1)
    ]
    Section.objects.bulk_create(sections)
    sections = list(Section.objects.filter(bank=bank).order_by("position"))
    tags = {t.name: t for t in Tag.objects.filter(name__in=TAGS)}
    Tag.objects.bulk_create([Tag(name=n) for n in TAGS if n not in tags])
    tag_ids = list(Tag.objects.filter(name__in=TAGS).values_list("pk", flat=True))
    timings.record("bank, sections, tags", len(sections) + len(TAGS), started)

    started = time.perf_counter()
    maker = TextMaker(rng)
    first_id = _next_id(Question)
    per_section = -(-spec.questions // len(sections))
    ids = list(range(first_id, first_id + spec.questions))

    def question_rows() -> Iterator[tuple]:
        for i, pk in enumerate(ids):
            section = sections[i // per_section]
            number = i % per_section + 1
            prompt, answer, search_text = maker.question(i + 1)
            yield (pk, f"{bank.slug}/{section.key}/{number:05d}", bank.pk, section.pk, number,
                   prompt, answer, Question.Status.PUBLISHED, 1, 1, "", search_text, now, now)

    n = insert_rows(
        Question,
        ["id", "key", "bank_id", "section_id", "number", "prompt", "answer", "status",
         "answer_version", "revision", "import_hash", "search_text", "created_at",
         "updated_at"],
        question_rows(),
    )
    timings.record("questions (text + search tokens + insert)", n, started)
    log(f"questions: {n:,}")

    started = time.perf_counter()
    through = Question.tags.through
    n = insert_rows(
        through, ["question_id", "tag_id"],
        ((pk, t) for pk in ids for t in rng.sample(tag_ids, rng.randint(1, 2))),
    )
    timings.record("question tags", n, started)
    return ids


def _users(spec, rng, now, timings, log) -> list[int]:
    started = time.perf_counter()
    password = make_password(SCALE_PASSWORD)  # one hash for all: hashing 10k is minutes
    first_id = _next_id(User)
    ids = list(range(first_id, first_id + spec.users))
    emails = [f"learner{n:06d}@{EMAIL_DOMAIN}" for n in range(1, spec.users + 1)]
    n = insert_rows(
        User,
        ["id", "password", "last_login", "is_superuser", "first_name", "last_name", "is_staff",
         "is_active", "date_joined", "email", "display_name", "desired_retention",
         "daily_new_limit", "credit_in_corrections"],
        (
            (pk, password, None, False, "", "", False, True,
             now - timedelta(days=rng.randint(30, 400)), email, f"学员{pk}",
             rng.choice([0.85, 0.9, 0.9, 0.95]), 20, True)
            for pk, email in zip(ids, emails, strict=True)
        ),
    )
    insert_rows(
        EmailAddress, ["user_id", "email", "verified", "primary"],
        ((pk, email, True, True) for pk, email in zip(ids, emails, strict=True)),
    )
    timings.record("users + verified email addresses", n, started)
    log(f"users: {n:,}")
    return ids


_RATINGS = [1] * 10 + [2] * 15 + [3] * 60 + [4] * 15
# Days until the next review after a grade, by rating, scaled by how many reviews came before.
_INTERVAL = {1: 0.01, 2: 1.2, 3: 3.0, 4: 6.0}


def _reviews(spec, rng, now, question_ids, user_ids, timings, log) -> None:
    """Reviews spread over the users; each (user, question) pair gets 1-5 reviews in time
    order, and one StudyState that agrees with them (reps, lapses, last review, due)."""
    started = time.perf_counter()
    base, extra = divmod(spec.reviews, max(1, len(user_ids)))
    states: list[tuple] = []
    token_bits = rng.getrandbits

    def review_rows() -> Iterator[tuple]:
        for index, user_id in enumerate(user_ids):
            remaining = base + (1 if index < extra else 0)
            if not remaining:
                continue
            pairs = []
            while remaining:
                k = min(remaining, rng.randint(1, 5))
                pairs.append(k)
                remaining -= k
            questions = rng.sample(question_ids, min(len(pairs), len(question_ids)))
            for question_id, k in zip(questions, pairs, strict=False):
                when = now - timedelta(days=rng.uniform(1, 365))
                stability, difficulty, lapses, state = 0.5, rng.uniform(3, 8), 0, 1
                for rep in range(1, k + 1):
                    rating = rng.choice(_RATINGS)
                    yield (user_id, question_id, None, rating, when,
                           rng.randint(2000, 90000), 1, "", f"{token_bits(128):032x}")
                    if rating == 1:
                        lapses += state == 2
                        stability = max(0.1, stability * 0.5)
                        state = 3 if state == 2 else 1
                    else:
                        stability = stability * (1 + _INTERVAL[rating]) + rep
                        state = 2
                    last = when
                    when = min(now, when + timedelta(days=stability))
                due = last + timedelta(days=stability)
                # FSRS: learning and relearning cards are at a step; review cards are not.
                step = None if state == 2 else 0
                states.append((user_id, question_id, state, step, round(stability, 3),
                               round(difficulty, 3), due, last, 1, k, lapses, False, None))

    n = insert_rows(
        Review,
        ["user_id", "question_id", "quiz_item_id", "rating", "reviewed_at", "duration_ms",
         "answer_version", "typed_answer", "token"],
        review_rows(),
    )
    timings.record("reviews", n, started)
    log(f"reviews: {n:,}")
    started = time.perf_counter()
    m = insert_rows(
        StudyState,
        ["user_id", "question_id", "state", "step", "stability", "difficulty", "due",
         "last_review", "last_answer_version", "reps", "lapses", "changed_since_review",
         "mistake_cleared_at"],
        states,
    )
    timings.record("study states (one per reviewed pair)", m, started)
    log(f"study states: {m:,}")


def _extras(spec, rng, now, question_ids, user_ids, timings, log) -> None:
    started = time.perf_counter()
    team_first = _next_id(Team)
    team_ids = list(range(team_first, team_first + spec.teams))
    insert_rows(
        Team, ["id", "name", "description", "created_by_id", "created_at"],
        ((pk, f"学习小组 {pk}", "", rng.choice(user_ids) if user_ids else None, now)
         for pk in team_ids),
    )
    members: list[tuple] = []
    team_owner: dict[int, int] = {}
    for pk in team_ids:
        if not user_ids:
            break
        people = rng.sample(user_ids, min(len(user_ids), rng.randint(5, 40)))
        team_owner[pk] = people[0]
        for i, user_id in enumerate(people):
            role = "owner" if i == 0 else "curator" if i < 3 else "member"
            members.append((user_id, pk, role, now))
    insert_rows(Membership, ["user_id", "team_id", "role", "joined_at"], members)
    timings.record("teams + memberships", len(team_ids) + len(members), started)

    started = time.perf_counter()
    set_first = _next_id(StudySet)
    sets, items = [], []
    for i in range(spec.sets):
        pk = set_first + i
        if team_ids and (i % 4 != 3 or not user_ids):
            team_id = rng.choice(team_ids)
            sets.append((pk, f"题单 {pk}", "", None, team_id, "team", None,
                         team_owner.get(team_id), now, now))
        elif user_ids:
            owner = rng.choice(user_ids)
            sets.append((pk, f"我的题单 {pk}", "", owner, None, "private", None, owner, now, now))
        else:
            continue
        for position, question_id in enumerate(
            rng.sample(question_ids, min(len(question_ids), rng.randint(10, 50)))
        ):
            items.append((pk, question_id, position, ""))
    insert_rows(
        StudySet,
        ["id", "title", "description", "owner_id", "team_id", "visibility", "share_token",
         "created_by_id", "created_at", "updated_at"],
        sets,
    )
    insert_rows(SetItem, ["study_set_id", "question_id", "position", "note"], items)
    timings.record("study sets + items", len(sets) + len(items), started)

    started = time.perf_counter()
    bookmarks, notes = [], []
    for user_id in user_ids:
        for question_id in rng.sample(question_ids,
                                      min(len(question_ids), spec.bookmarks_per_user)):
            bookmarks.append((user_id, question_id, now))
        notes.append((user_id, rng.choice(question_ids), "我的笔记：先复习**基础概念**。", now))
    insert_rows(Bookmark, ["user_id", "question_id", "created_at"], bookmarks)
    insert_rows(Note, ["user_id", "question_id", "body", "updated_at"], notes)
    timings.record("bookmarks + notes", len(bookmarks) + len(notes), started)
    log(f"teams {len(team_ids)}, sets {len(sets)}, bookmarks {len(bookmarks):,}")


def format_timings(timings: Timings) -> str:
    lines = [f"{'step':<44} {'rows':>10} {'seconds':>9} {'rows/s':>10}"]
    total = 0.0
    for name, rows, seconds in timings.steps:
        total += seconds
        rate = f"{rows / seconds:,.0f}" if rows and seconds else ""
        lines.append(f"{name:<44} {rows:>10,} {seconds:>9.2f} {rate:>10}")
    lines.append(f"{'total':<44} {'':>10} {total:>9.2f}")
    return "\n".join(lines)
