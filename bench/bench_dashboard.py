"""The learner's dashboard against the size of their own history: CPU and queries of the
dashboard's reads (qa.selectors.study.dashboard, what / runs for a learner) for learners who
studied 100, 1,000 and 10,000 questions, and what reading a timestamp costs through the
project's database backend (config.postgresql) against Django's own loader, in the same run.

    .venv/bin/python bench/bench_dashboard.py            # 20,000 questions
    .venv/bin/python bench/bench_dashboard.py --quick    # fewer repetitions

It creates its own PostgreSQL database (mianshi_bench_dashboard), fills it with
generate_scale_data and, for each learner, that many StudyStates and twice as many reviews
over the last year, and drops it at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    create_database,
    drop_database,
    log,
    manage,
    production_env,
    query,
    settle,
    setup_django,
    time_limit,
)

DB_NAME = "mianshi_bench_dashboard"
HISTORIES = [100, 1_000, 10_000]
QUESTIONS = 20_000

# One learner's history: `n` published questions studied (a mix of FSRS states, stabilities,
# last reviews and due dates) and two reviews of each over the last year.
HISTORY_SQL = """
WITH picked AS (
    SELECT q.id, row_number() OVER (ORDER BY q.id) AS n
    FROM qa_question q WHERE q.status = 'published' ORDER BY q.id LIMIT %(n)s
), states AS (
    INSERT INTO qa_studystate (user_id, question_id, state, step, stability, difficulty, due,
                               last_review, last_answer_version, reps, lapses,
                               changed_since_review)
    SELECT %(user)s, id, CASE WHEN n %% 5 = 0 THEN 1 ELSE 2 END, NULL,
           0.5 + (n * 7919 %% 6000) / 100.0, 5.0,
           now() + ((n %% 61) - 20) * interval '1 day',
           now() - (n %% 97) * interval '1 day' - (n %% 23) * interval '1 hour', 1, 2,
           CASE WHEN n %% 13 = 0 THEN 4 ELSE 0 END, false
    FROM picked
    RETURNING question_id
)
INSERT INTO qa_review (user_id, question_id, rating, reviewed_at, answer_version, typed_answer,
                       token)
SELECT %(user)s, s.question_id, CASE WHEN k = 1 AND s.question_id %% 9 = 0 THEN 1 ELSE 3 END,
       now() - ((s.question_id * k) %% 360) * interval '1 day', 1, '',
       md5(%(user)s || ':' || s.question_id || ':' || k)
FROM states s CROSS JOIN generate_series(1, 2) k
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 5 if args.quick else 15

    with time_limit(1200):
        url = create_database(DB_NAME)
        try:
            env = production_env(url)
            log(f"migrate + generate_scale_data --questions {QUESTIONS} ...")
            manage("migrate", "--noinput", "-v0", env=env)
            manage("generate_scale_data", "--questions", str(QUESTIONS), "--users",
                   str(len(HISTORIES)), "--reviews", "0", "--teams", "0", "--sets", "0",
                   env=env)
            users = [r[0] for r in query(url, "SELECT id FROM accounts_user ORDER BY id")]
            with psycopg.connect(url, autocommit=True) as conn:
                for user, n in zip(users, HISTORIES, strict=True):
                    conn.execute(HISTORY_SQL, {"user": user, "n": n})
            settle(url)
            rows, loader = measure(url, dict(zip(HISTORIES, users, strict=True)), repeats)
        finally:
            drop_database(DB_NAME)

    print(f"Dashboard reads by history size, PostgreSQL, {QUESTIONS:,} questions, "
          f"best of {repeats} (CPU of this process: the app's side of the work)")
    print(f"{'studied':>8} {'reviews':>8} {'queries':>8} {'CPU ms':>8} {'wall ms':>8}")
    for row in rows:
        print(f"{row['n']:>8,} {2 * row['n']:>8,} {row['queries']:>8} "
              f"{row['cpu'] * 1e3:>8.1f} {row['wall'] * 1e3:>8.1f}")
    print(f"timestamptz read: {loader['ours'] * 1e6:.2f} µs a value through config.postgresql, "
          f"{loader['django'] * 1e6:.2f} µs through Django's loader "
          f"({loader['django'] / loader['ours']:.1f}×)")
    first, last = rows[0], rows[-1]
    print(f"KEY dashboard CPU at {last['n']:,} studied questions ÷ at {first['n']:,}: "
          f"{last['cpu'] / first['cpu']:.2f} (queries {first['queries']} and {last['queries']}); "
          f"timestamp read {loader['django'] / loader['ours']:.1f}× faster than Django's loader")
    return 0


def measure(url: str, users: dict[int, int], repeats: int) -> tuple[list[dict], dict]:
    setup_django(url)
    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from qa.selectors.study import dashboard

    rows = []
    for n, pk in users.items():
        user = User.objects.get(pk=pk)
        dashboard(user=user)  # warm: section totals cached, statements prepared
        with CaptureQueriesContext(connection) as ctx:
            dashboard(user=user)
        cpu, wall = [], []
        for _ in range(repeats):
            c, w = time.process_time(), time.perf_counter()
            dashboard(user=user)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        rows.append({"n": n, "queries": len(ctx.captured_queries), "cpu": min(cpu),
                     "wall": min(wall)})

    sql = ("SELECT now() - g * interval '1 minute', now() + g * interval '1 second' "
           "FROM generate_series(1, 20000) g")
    values = 40_000

    def per_value(django_loader: bool) -> float:
        with connection.cursor() as cursor:
            if django_loader:
                register_tzloader(connection.timezone, cursor.cursor)
            cursor.execute(sql)
            cursor.fetchall()
            started = time.process_time()
            cursor.execute(sql)
            cursor.fetchall()
            return (time.process_time() - started) / values

    ours, djangos = [], []
    for _ in range(repeats):
        ours.append(per_value(False))
        djangos.append(per_value(True))
    return rows, {"ours": min(ours), "django": min(djangos)}


if __name__ == "__main__":
    sys.exit(main())
