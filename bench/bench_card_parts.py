"""Where a quiz card's CPU goes: the card's two requests (reveal, then grade → next card)
against two requests of the stack's ceiling, and the parts of the card's own work measured
one by one, in one process on one database connection.

    .venv/bin/python bench/bench_card_parts.py            # 10,000 questions, 20 rounds
    .venv/bin/python bench/bench_card_parts.py --quick    # 6 rounds

bench_roundtrip.py measures throughput under gunicorn; this one says what a card costs and
where, so that a change aimed at the round trip can be sized before it is made. CPU is this
process's (process_time) plus its PostgreSQL backend's (from /proc), per operation; each
operation runs in every round for a short window (WINDOW seconds), the rounds interleaved,
and the table keeps each one's cheapest window: the machine's pace changes from second to
second, and the cheapest of many short windows is each operation on a quiet machine.

The requests go through Django's test client in this process: no HTTP server, so the stack's
share of a request is smaller than under gunicorn, and the card's own work a larger share of
it. The last rows are differences of measured ones (the card's requests less the views called
directly, say), so they carry the noise of both and can come out slightly below zero when the
part is close to nothing. The ratio the round trip is judged by (req/s ÷ the ceiling's) is,
with the machine's CPU saturated, the ceiling's CPU per request ÷ the quiz's; the last lines
say how much of the card's own work has to go for it to reach 0.5, under gunicorn (from the
round trip's own CPU table, when given with --stack-ms) and here.

It creates its own PostgreSQL database (mianshi_bench_card_parts) and drops it at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    create_database,
    drop_database,
    log,
    manage,
    process_cpu,
    production_env,
    settle,
    setup_django,
    time_limit,
)
from _load import parse_card

DB_NAME = "mianshi_bench_card_parts"
WINDOW = 0.25  # seconds each operation runs for in a round
PASSWORD = "scale-data-password-1"  # qa.scale_data.SCALE_PASSWORD


class Meter:
    """CPU per call of an operation: this process's and its database backend's."""

    def __init__(self, backend_pid: int) -> None:
        self.backend_pid = backend_pid
        self.best: dict[str, tuple[float, float]] = {}

    def measure(self, name: str, fn) -> None:
        fn()  # warm: prepared statements, caches (and counted in no window)
        py0, db0 = time.process_time(), process_cpu(self.backend_pid)
        end, calls = time.monotonic() + WINDOW, 0
        while calls < 10 or time.monotonic() < end:
            fn()
            calls += 1
        self.keep(name, (time.process_time() - py0) / calls * 1e6,
                  (process_cpu(self.backend_pid) - db0) / calls * 1e6)

    def keep(self, name: str, py: float, db: float) -> None:
        """Keep this window's figures for `name` if they are its cheapest yet."""
        if name not in self.best or py + db < sum(self.best[name]):
            self.best[name] = (py, db)

    def total(self, name: str) -> float:
        return sum(self.best[name])


class RenderClock:
    """Inside a block, the CPU the quiz views spend in django.shortcuts.render, as they render
    a card's fragments in a request: a fresh context each time, after the card's own reads
    and writes, rather than the same one again and again. `caught`: each fragment rendered,
    as (template, context)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.caught: list[tuple[str, dict]] = []

    def __enter__(self) -> RenderClock:
        import qa.views.quiz as views

        self.views, self.render = views, views.render

        def timed(request, template, context, **kwargs):
            self.caught.append((template, dict(context)))
            started = time.process_time()
            try:
                return self.render(request, template, context, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        views.render = timed
        return self

    def __exit__(self, *exc) -> None:
        self.views.render = self.render


class Learner:
    """One logged-in learner going through a section quiz, card by card."""

    def __init__(self, section_id: int) -> None:
        from django.test import Client

        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.section_id = section_id
        self.quiz = self.item = 0
        self.revealed = parse_card("")

    def login(self, email: str) -> None:
        response = self.client.post("/accounts/login/", {"login": email, "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"login of {email}: {response.status_code}")
        self.start()

    def post(self, path: str, data: dict) -> str:
        response = self.client.post(path, urlencode(data), HTTP_HX_REQUEST="true",
                                    content_type="application/x-www-form-urlencoded")
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
        return response.content.decode()

    def start(self) -> None:
        response = self.client.post("/quiz/start/", {"mode": "section", "count": 200,
                                                     "section": self.section_id})
        self.quiz = int(re.search(r"/quiz/(\d+)/", response["Location"]).group(1))
        self.item = parse_card(self.client.get(f"/quiz/{self.quiz}/").content.decode()).item

    def ceiling(self) -> None:
        if self.client.get("/bench/ceiling/").status_code != 200:
            raise RuntimeError("the ceiling view did not answer 200")

    def reveal(self) -> None:
        self.revealed = parse_card(self.post(f"/quiz/{self.quiz}/reveal/", {"item": self.item}))

    def grade(self) -> None:
        self.next_card(self.post(f"/quiz/{self.quiz}/grade/", self.revealed.grade_form("3")))

    def next_card(self, body: str) -> None:
        card = parse_card(body)
        if card.finished or card.item is None:
            self.start()
        else:
            self.item = card.item

    def card(self) -> None:
        self.reveal()
        self.grade()

    def card_views(self, user) -> None:
        """The same card through the two views called directly: no middleware."""
        from django.test import RequestFactory
        from django_htmx.middleware import HtmxDetails

        import qa.views.quiz as views

        def call(view, data: dict) -> str:
            request = RequestFactory().post("/", urlencode(data), HTTP_HX_REQUEST="true",
                                            content_type="application/x-www-form-urlencoded")
            request.user, request.htmx = user, HtmxDetails(request)
            response = view(request, pk=self.quiz)
            if response.status_code != 200:
                raise RuntimeError(f"{view.__name__}: {response.status_code}")
            return response.content.decode()

        revealed = parse_card(call(views.quiz_reveal, {"item": self.item}))
        self.next_card(call(views.quiz_grade, revealed.grade_form("3")))

    def card_services(self, user) -> None:
        """The same card through the services alone: no request, no rendering."""
        from qa.services import answering

        answering.reveal_item(user=user, quiz_id=self.quiz, item_id=self.item)
        graded = answering.grade(user=user, quiz_id=self.quiz, item_id=self.item, rating=3,
                                 token=uuid.uuid4().hex)
        if graded.next_item is None:
            self.start()
        else:
            self.item = graded.next_item.pk


def parts(learner: Learner, user) -> dict:
    """The card's own work, part by part, as functions of no arguments (on the learner's
    current card, which none of them changes)."""
    from django.db import connection, transaction
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from qa import scheduling
    from qa.models import Quiz, StudyState
    from qa.selectors import cards

    # The two fragments as the views render them: their contexts, caught on one card.
    with RenderClock() as clock:
        learner.card()
    quiz = Quiz.objects.get(pk=learner.quiz)  # after the card: it may have begun a new quiz
    request = RequestFactory().post("/", HTTP_HX_REQUEST="true")
    request.user = user
    state = StudyState.objects.filter(user=user).order_by("-pk").first()
    now = state.last_review

    def item_read(lock: bool = False):
        return cards.quiz_item(user_id=user.pk, quiz_id=learner.quiz, item_id=learner.item,
                               lock=lock)

    def locked_read() -> None:
        with transaction.atomic():
            item_read(lock=True)

    def sql(text: str, params: list):
        def run() -> None:
            with connection.cursor() as cursor:
                cursor.execute(text, params)
                cursor.fetchall()
        return run

    def atomic_select() -> None:
        with transaction.atomic():
            sql("SELECT 1", [])()

    return {
        "the item read (reveal; grade's is locked)": item_read,
        "the item read locked, in a transaction": locked_read,
        "  a transaction around a read": atomic_select,
        "  one trivial statement": sql("SELECT 1", []),
        "the next card's read": lambda: cards.card_item(quiz=quiz, start=quiz.position),
        "  its progress counts alone": sql(cards.PROGRESS_SQL, [cards.PUBLISHED, quiz.pk]),
        "FSRS: the grade and the four buttons' intervals": lambda: (
            scheduling.apply(state, 3, now, user.desired_retention),
            scheduling.preview_labels(state, now, user.desired_retention)),
        **{f"rendering {template.split('#')[1]}": (
            lambda t=template, c=context: render_to_string(t, c, request))
           for template, context in clock.caught},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--stack-ms", type=float, default=None,
                        help="the ceiling's CPU per request under gunicorn (bench_roundtrip's "
                             "CPU table, total) and --quiz-ms, a quiz request's there")
    parser.add_argument("--quiz-ms", type=float, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (6 if args.quick else 20)
    url = create_database(DB_NAME)
    try:
        env = production_env(url)
        log("migrate + generate_scale_data (10,000 questions, 20 learners) ...")
        manage("migrate", "--noinput", "-v0", env=env)
        manage("collectstatic", "--noinput", "-v0", env=env)  # the quiz page's stylesheet
        manage("generate_scale_data", "--questions", "10000", "--users", "20",
               "--reviews", "20000", "--teams", "0", "--sets", "0", env=env)
        settle(url)
        os.environ.update({"BENCH_CEILING_VIEW": "1", "ALLOWED_HOSTS": "testserver",
                           "SECURE_SSL_REDIRECT": "false"})
        with time_limit(900):
            return report(measure(url, rounds), rounds, args)
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database(DB_NAME)


def measure(url: str, rounds: int) -> Meter:
    setup_django(url)
    from django.db import connection

    from accounts.models import User
    from qa.models import Section

    section = Section.objects.filter(bank__slug="scale").order_by("position").first()
    learner = Learner(section.pk)
    learner.login("learner000001@scale.example.com")
    user = User.objects.get(email="learner000001@scale.example.com")
    for _ in range(30):
        learner.card()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        meter = Meter(cursor.fetchone()[0])
    for n in range(rounds):
        log(f"round {n + 1} of {rounds}")
        meter.measure("ceiling request", learner.ceiling)
        meter.measure("card: reveal + grade requests", learner.card)
        cards = 0

        def card_views() -> None:
            nonlocal cards
            learner.card_views(user)
            cards += 1

        with RenderClock() as clock:
            meter.measure("card: the two views alone (no middleware)", card_views)
        meter.keep("rendering both, inside the views (per card)",
                   clock.seconds / cards * 1e6, 0.0)
        meter.measure("card: the reveal and grade services alone",
                      lambda: learner.card_services(user))
        for name, fn in parts(learner, user).items():
            meter.measure(name, fn)
    return meter


def report(meter: Meter, rounds: int, args) -> int:
    ceiling, card = meter.total("ceiling request"), meter.total("card: reveal + grade requests")
    own = card - 2 * ceiling
    print(f"CPU per operation, µs (this process + its PostgreSQL backend), cheapest of "
          f"{rounds} rounds")
    print(f"{'operation':<50} {'python':>7} {'database':>8} {'total':>7} {'÷ card own':>10}")
    for name, (py, db) in meter.best.items():
        share = f"{(py + db) / own:.2f}" if not name.startswith(("ceiling", "card:")) else ""
        print(f"{name:<50} {py:>7.0f} {db:>8.0f} {py + db:>7.0f} {share:>10}")
    views = meter.total("card: the two views alone (no middleware)")
    services = meter.total("card: the reveal and grade services alone")
    renders = meter.total("rendering both, inside the views (per card)")
    for name, value in (
        ("card own work: the card less two ceiling requests", own),
        ("  the two views' own (no services, no rendering)", views - services - renders),
        ("  the two requests' middleware beyond the ceiling's", card - views - 2 * ceiling),
    ):
        print(f"{name:<50} {'':>7} {'':>8} {value:>7.0f} {value / own:>10.2f}")
    print()
    here = 2 * ceiling / card
    # A card is two requests: req/s ÷ the ceiling's = ceiling per request ÷ (card / 2), so
    # 0.5 needs card ≤ 4 × ceiling: own work ≤ 2 × ceiling.
    print(f"here: req/s ÷ ceiling {here:.2f}; 0.5 needs the card's own work ≤ "
          f"{2 * ceiling:.0f} µs, {max(0.0, 1 - 2 * ceiling / own):.0%} less than now")
    line = f"KEY card own work {own / 1e3:.2f} ms = {own / ceiling:.1f} ceiling requests here"
    if args.stack_ms and args.quiz_ms:
        stack, quiz = args.stack_ms, args.quiz_ms
        own_there = 2 * (quiz - stack)
        cut = max(0.0, 1 - 2 * stack / own_there)
        line += (f"; under gunicorn ({stack} / {quiz} ms a request) 0.5 needs "
                 f"{cut:.0%} of it gone")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
