"""Quiz grade→next-card round trip and dashboard vs the stack's ceiling, under gunicorn +
PostgreSQL, at 1/10/50 concurrent clients, with few and with many reviews in the database.

    .venv/bin/python bench/bench_roundtrip.py            # 100k questions, 10k learners,
                                                         # 1,000 and 1,000,000 reviews
    .venv/bin/python bench/bench_roundtrip.py --quick    # 10k questions, 1k learners,
                                                         # 1,000 and 100,000 reviews

Each client is one learner (a generated account), logged in before the timed window, on its own
connection, sending its next request as soon as the previous answer arrives (closed loop, no
think time). Scenarios take turns, for the same clients on the same server, in --rounds rounds
(ceiling, dashboard, quiz, then again), so a slow spell of the machine falls on all of them
rather than on whichever ran at that moment:
- ceiling: GET /bench/ceiling/, a login-required view running one trivial query;
- dashboard: GET / (the learner's dashboard);
- quiz: what a learner does on each card: reveal the answer (HTMX POST), then grade it (HTMX
  POST, answered with the next card). "grade" is the grade→next-card round trip.
Correctness per run: grades acknowledged == Review rows gained, and 0 errors.
A second table splits each scenario's CPU per request between gunicorn, PostgreSQL, the
clients and the rest of the machine (read from /proc over the same timed windows): with the
two cores kept busy, req/s ratios follow these totals, so it shows where a page's cost is.

gunicorn runs as scripts/serve starts it, except that workers are not recycled after
GUNICORN_MAX_REQUESTS requests (see run_size).
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    CpuMeter,
    Server,
    create_database,
    drop_database,
    log,
    manage,
    production_env,
    query,
    settle,
    time_limit,
)
from _load import (
    Client,
    Stats,
    closed_loop,
    in_parallel,
    parse_card,
    start_quiz,
)

DB_NAME = "mianshi_bench_roundtrip"
PASSWORD = "scale-data-password-1"  # qa.scale_data.SCALE_PASSWORD


@dataclass
class Row:
    reviews: int
    clients: int
    scenario: str
    rate: float
    p50: float
    p99: float
    errors: int
    rate_ratio: float | None = None
    p99_ratio: float | None = None
    cpu: dict[str, float] | None = None  # CPU ms per request by part of the machine


class Learner(Client):
    def __init__(self, port: int, number: int, section_id: int) -> None:
        super().__init__(port)
        self.email = f"learner{number:06d}@scale.example.com"
        self.section_id = section_id
        self.quiz = 0
        self.card = None

    def begin(self) -> None:
        self.login(self.email, PASSWORD)
        self.quiz, self.card = start_quiz(self, section_id=self.section_id)

    def resync(self) -> None:
        page = self.get(f"/quiz/{self.quiz}/")
        self.card = parse_card(page.body) if page.status == 200 else None
        if self.card is None or self.card.finished or self.card.item is None:
            self.quiz, self.card = start_quiz(self, section_id=self.section_id)


class Acks:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def add(self) -> None:
        with self.lock:
            self.n += 1


def ceiling_step(client: Learner, stats: Stats, measuring: bool) -> None:
    r = client.get("/bench/ceiling/")
    stats.record("ceiling", r.seconds, r.status, r.status == 200 and r.body.startswith("ok"))


def dashboard_step(client: Learner, stats: Stats, measuring: bool) -> None:
    r = client.get("/")
    ok = r.status == 200 and "nav-user" in r.body
    stats.record("dashboard", r.seconds, r.status, ok)


def make_quiz_step(acks: Acks):
    def quiz_step(client: Learner, stats: Stats, measuring: bool) -> None:
        card = client.card
        if card is None or card.finished or card.item is None:
            client.resync()
            return
        if not card.revealed:
            r = client.post(f"/quiz/{client.quiz}/reveal/", {"item": card.item}, htmx=True)
            new = parse_card(r.body) if r.status == 200 else None
            ok = new is not None and new.revealed and new.token is not None
            stats.record("reveal", r.seconds, r.status, ok)
        else:
            r = client.post(f"/quiz/{client.quiz}/grade/",
                            card.grade_form("3"), htmx=True)
            new = parse_card(r.body) if r.status == 200 else None
            ok = new is not None and (new.finished or new.item != card.item)
            if ok:
                acks.add()
            stats.record("grade", r.seconds, r.status, ok)
        if ok:
            client.card = new
        else:
            client.resync()

    return quiz_step


def review_count(url: str) -> int:
    return query(url, "SELECT count(*) FROM qa_review")[0][0]


def run_size(args, *, reviews: int, questions: int, users: int) -> tuple[list[Row], list[str]]:
    url = create_database(DB_NAME)
    # Workers are not recycled during the run: a restart every 2,000 requests (scripts/serve's
    # memory guard) costs a worker's start-up, about a second of CPU, landing at random in
    # one scenario or another; it swung the 50-client ceiling by a third between runs.
    env = production_env(url, GUNICORN_MAX_REQUESTS="0")
    notes: list[str] = []
    try:
        log(f"[{reviews:,} reviews] migrate + generate_scale_data ...")
        manage("migrate", "--noinput", "-v0", env=env)
        out = manage("generate_scale_data", "--questions", str(questions), "--users", str(users),
                     "--reviews", str(reviews), "--teams", "50", "--sets", "200", env=env)
        notes.append(out.strip().splitlines()[-1])
        settle(url)
        sections = [r[0] for r in query(
            url, "SELECT s.id FROM qa_section s JOIN qa_bank b ON b.id = s.bank_id "
            "WHERE b.slug = 'scale' ORDER BY s.position")]
        rows: list[Row] = []
        with Server(env, workers=args.workers) as server:
            log(f"[{reviews:,} reviews] gunicorn on 127.0.0.1:{server.port}, "
                f"{len(server.worker_pids())} workers; logging in {max(args.levels)} learners")
            learners = [Learner(server.port, n, sections[n % len(sections)])
                        for n in range(1, max(args.levels) + 1)]
            in_parallel(lambda c: c.begin(), learners, workers=4)
            meter = CpuMeter(server, DB_NAME)
            for level in args.levels:
                group = learners[:level]
                acks = Acks()
                scenarios = (("ceiling", ceiling_step), ("dashboard", dashboard_step),
                             ("quiz", make_quiz_step(acks)))
                rounds: dict[str, list[Stats]] = {name: [] for name, _step in scenarios}
                before = review_count(url)
                for _round in range(args.rounds):
                    for name, step in scenarios:
                        rounds[name].append(closed_loop(
                            group, step, seconds=args.seconds / args.rounds, warmup=args.warmup,
                            cpu=meter,
                        ))
                gained = review_count(url) - before
                results = {name: Stats.combined(parts) for name, parts in rounds.items()}
                if gained != acks.n:
                    notes.append(f"MISMATCH at {level} clients: {acks.n} grades acknowledged, "
                                 f"{gained} review rows gained")
                notes.append(f"{reviews:,} reviews, {level} clients: grades acknowledged "
                             f"{acks.n} == review rows gained {gained}: {acks.n == gained}")
                ceiling = results["ceiling"]
                c_rate, c_p99 = ceiling.rate("ceiling"), ceiling.percentile("ceiling", 99)
                for scenario, stats, kinds in (
                    ("ceiling", ceiling, ["ceiling"]),
                    ("dashboard", results["dashboard"], ["dashboard"]),
                    ("quiz (reveal+grade)", results["quiz"], ["reveal", "grade"]),
                    ("  grade→next card", results["quiz"], ["grade"]),
                ):
                    # CPU is measured per scenario, not per kind of request: the grades alone
                    # have no CPU figure of their own.
                    cpu = None if kinds == ["grade"] else {
                        part: seconds * 1e3 for part, seconds in stats.cpu_per_request().items()
                    }
                    if len(kinds) == 1:
                        rate, p50, p99 = (stats.rate(kinds[0]), stats.percentile(kinds[0], 50),
                                          stats.percentile(kinds[0], 99))
                    else:
                        rate, p50, p99 = (stats.total_rate(), stats.percentile_all(50),
                                          stats.percentile_all(99))
                    errors = sum(stats.errors.get(k, 0) for k in kinds)
                    rows.append(Row(reviews, level, scenario, rate, p50 * 1e3, p99 * 1e3,
                                    errors, rate / c_rate if c_rate else None,
                                    p99 / c_p99 if c_p99 else None, cpu))
                log(f"[{reviews:,} reviews] {level} clients done")
        return rows, notes
    finally:
        drop_database(DB_NAME)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, shorter windows")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: scripts/serve's 2 x cores + 1)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="timed window per cell, all rounds together")
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns the scenarios take, each with its share of the window")
    parser.add_argument("--levels", default="1,10,50")
    args = parser.parse_args()
    args.levels = [int(x) for x in args.levels.split(",")]
    if args.quick:
        sizes, questions, users = [1_000, 100_000], 10_000, 1_000
        args.seconds = args.seconds or 5
        args.warmup = 1.0
    else:
        sizes, questions, users = [1_000, 1_000_000], 100_000, 10_000
        args.seconds = args.seconds or 15
        args.warmup = 1.5
    all_rows: list[Row] = []
    notes: list[str] = []
    with time_limit(900 if args.quick else 3600):
        for reviews in sizes:
            rows, size_notes = run_size(args, reviews=reviews, questions=questions, users=users)
            all_rows += rows
            notes += size_notes

    print(f"Round trip vs ceiling: gunicorn ({args.workers or 'scripts/serve default'} workers) "
          f"+ PostgreSQL, {questions:,} questions, {users:,} learners, "
          f"{args.seconds:.0f} s per cell in {args.rounds} rounds")
    print(f"{'reviews':>10} {'clients':>7}  {'scenario':<22} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'÷ceil req/s':>11} {'÷ceil p99':>9}")
    for r in all_rows:
        ratio = f"{r.rate_ratio:.2f}" if r.rate_ratio is not None else ""
        p99r = f"{r.p99_ratio:.2f}" if r.p99_ratio is not None else ""
        print(f"{r.reviews:>10,} {r.clients:>7}  {r.scenario:<22} {r.rate:>8.1f} {r.p50:>8.1f} "
              f"{r.p99:>8.1f} {r.errors:>6} {ratio:>11} {p99r:>9}")
    print()
    print("CPU per request (ms) in the same timed windows, from /proc: server = gunicorn's "
          "master and workers, database = PostgreSQL's backends of this database and its "
          "background processes, clients = this process, other = the rest of the machine's "
          "busy time; on a machine the load keeps busy, the ceiling's total ÷ a scenario's "
          "total predicts its req/s ratio")
    print(f"{'reviews':>10} {'clients':>7}  {'scenario':<22} {'server':>7} {'database':>8} "
          f"{'clients':>7} {'other':>6} {'total':>6} {'ceil ÷':>7}")
    ceiling_total: dict[tuple[int, int], float] = {}
    for r in all_rows:
        if not r.cpu:
            continue
        total = sum(r.cpu.values())
        if r.scenario == "ceiling":
            ceiling_total[(r.reviews, r.clients)] = total
        ratio = ceiling_total.get((r.reviews, r.clients), 0) / total if total else 0
        print(f"{r.reviews:>10,} {r.clients:>7}  {r.scenario:<22} {r.cpu['server']:>7.2f} "
              f"{r.cpu['database']:>8.2f} {r.cpu['clients']:>7.2f} {r.cpu['other']:>6.2f} "
              f"{total:>6.2f} {ratio:>7.2f}")
    print()
    for note in notes:
        print(note)
    errors = sum(r.errors for r in all_rows)
    mismatches = [n for n in notes if n.startswith("MISMATCH")]
    print(f"correctness: {errors} errors, {len(mismatches)} acknowledged/stored mismatches")

    def cell(reviews: int, clients: int, scenario: str) -> Row | None:
        return next((r for r in all_rows if (r.reviews, r.clients, r.scenario.strip())
                     == (reviews, clients, scenario)), None)

    parts = []
    for clients in (10, 50):
        for reviews in sizes:
            quiz = cell(reviews, clients, "quiz (reveal+grade)")
            grade = cell(reviews, clients, "grade→next card")
            if quiz and grade:
                parts.append(f"{clients} clients/{reviews:,} reviews: req/s {quiz.rate_ratio:.2f}×"
                             f" ceiling, grade p99 {grade.p99_ratio:.2f}× ceiling p99")
    print("KEY quiz vs ceiling — " + "; ".join(parts))
    return 1 if errors or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
