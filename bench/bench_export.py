"""A whole bank's downloads (JSON in the fixture format, CSV, an Anki package) at 100k
questions: seconds and size of each, built in this process as the download view builds them.

    .venv/bin/python bench/bench_export.py            # 100,000 questions
    .venv/bin/python bench/bench_export.py --quick    # 10,000 questions

The bank comes from `generate_scale_data` (synthetic Chinese questions with tags) in a
database of its own (mianshi_bench_export), dropped at the end. Each format is built --runs
times; the table gives the fastest and the slowest run. The last line is the slowest format's
fastest run, against the gunicorn timeout of 30 s a download must stay well within.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    create_database,
    drop_database,
    fill_bank,
    log,
    setup_django,
    time_limit,
)

DB_NAME = "mianshi_bench_export"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 questions")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    questions = 10_000 if args.quick else 100_000
    url = create_database(DB_NAME)
    try:
        with time_limit(1800):
            fill_bank(url, questions)
            setup_django(url)
            from django.db import connection

            from qa import anki, exporters
            from qa.models import Bank

            bank = Bank.objects.get(slug="scale")
            builders = {
                "json": lambda: exporters.bank_to_json(bank),
                "csv": lambda: exporters.rows_to_csv(exporters.bank_rows(bank)),
                "apkg": lambda: anki.bank_to_apkg(bank),
            }
            rows = []
            for name, build in builders.items():
                times, size = [], 0
                for _ in range(args.runs):
                    started = time.perf_counter()
                    size = len(build())
                    times.append(time.perf_counter() - started)
                rows.append((name, min(times), max(times), size))
                log(f"{name}: {min(times):.1f} s")
            connection.close()
    finally:
        drop_database(DB_NAME)

    print(f"Bank downloads, {questions:,} published questions, {args.runs} runs each")
    print(f"{'format':<6} {'fastest s':>9} {'slowest s':>9} {'size MB':>8}")
    for name, fastest, slowest, size in rows:
        print(f"{name:<6} {fastest:>9.1f} {slowest:>9.1f} {size / 1e6:>8.1f}")
    worst = max(rows, key=lambda row: row[1])
    print(f"slowest format ({worst[0]}): {worst[1]:.1f} s of the 30 s timeout "
          f"({worst[1] / 30:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
