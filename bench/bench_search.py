"""Search latency at 100k questions: Chinese 2-, 3- and 5-character queries and English ones,
through the search selector (qa.selectors.search.search_questions, what /search/ runs), with the
search indexes vs without them (same queries, same connection, index scans turned off).

    .venv/bin/python bench/bench_search.py            # 100,000 questions
    .venv/bin/python bench/bench_search.py --quick    # 20,000 questions, fewer repetitions

It creates its own PostgreSQL database (mianshi_bench_search), fills it with
generate_scale_data, and drops it at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    create_database,
    drop_database,
    fill_bank,
    log,
    percentile,
    setup_django,
    time_limit,
)

DB_NAME = "mianshi_bench_search"

QUERIES = {
    "zh 2 chars": ["微调", "显存", "幻觉", "剪枝"],
    "zh 3 chars": ["预训练", "分词器", "困惑度", "优化器"],
    "zh 5 chars": ["注意力机制", "灾难性遗忘", "多头注意力", "字节对编码"],
    "english": ["LoRA", "attention", "beam search", "FlashAttention"],
    "no match": ["量子纠缠", "kubernetes"],
    # Found by no question as typed: the questions sharing most of their words instead.
    "near": ["参数高效微调为什么能省显存", "what is the beam search"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--questions", type=int, default=None)
    args = parser.parse_args()
    questions = args.questions or (20_000 if args.quick else 100_000)
    repeats = 15 if args.quick else 60

    with time_limit(900 if args.quick else 2400):
        url = create_database(DB_NAME)
        try:
            fill_bank(url, questions)
            rows, plans = measure(url, repeats)
        finally:
            drop_database(DB_NAME)

    print(f"Search latency, {questions:,} questions, PostgreSQL, {repeats} runs per query "
          "(selector call: the search query + the tags of the results)")
    print(f"{'kind':<11} {'query':<16} {'hits':>5} {'idx p50':>8} {'idx p99':>8} "
          f"{'noidx p50':>9} {'noidx p99':>9} {'speedup':>7}  plan (indexed)")
    for row in rows:
        print(f"{row['kind']:<11} {row['query']:<16} {row['hits']:>5} "
              f"{row['p50'] * 1e3:>8.1f} {row['p99'] * 1e3:>8.1f} "
              f"{row['base_p50'] * 1e3:>9.1f} {row['base_p99'] * 1e3:>9.1f} "
              f"{row['base_p50'] / row['p50']:>6.1f}×  {plans.get(row['query'], '')}")
    summary = []
    for kind in QUERIES:
        mine = [r for r in rows if r["kind"] == kind]
        p50 = statistics.median(r["p50"] for r in mine) * 1e3
        base = statistics.median(r["base_p50"] for r in mine) * 1e3
        summary.append(f"{kind} {p50:.1f} ms (unindexed {base:.1f} ms)")
    print("KEY search p50 indexed at " f"{questions // 1000}k questions: " + "; ".join(summary))
    return 0


def measure(url: str, repeats: int) -> tuple[list[dict], dict[str, str]]:
    setup_django(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qa.selectors.search import search_questions

    def run(query: str) -> tuple[float, int]:
        started = time.perf_counter()
        results = search_questions(query=query)
        return time.perf_counter() - started, len(results.results)

    def plan_of(query: str) -> str:
        with CaptureQueriesContext(connection) as ctx:
            search_questions(query=query)
        sql = ctx.captured_queries[0]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            lines = [r[0] for r in cursor.fetchall()]
        scans = [line.strip().removeprefix("->").strip().split("  (")[0] for line in lines
                 if "Scan" in line]
        return "; ".join(dict.fromkeys(scans))[:90]

    rows: list[dict] = []
    plans: dict[str, str] = {}
    for kind, queries in QUERIES.items():
        for query in queries:
            for _ in range(3):
                run(query)  # warm the caches
            timings, hits = [], 0
            for _ in range(repeats):
                seconds, hits = run(query)
                timings.append(seconds)
            plans[query] = plan_of(query)
            # A prepared statement keeps the plan it was prepared with, whatever the settings
            # say afterwards: the baseline runs unprepared, planned with index scans off.
            with connection.cursor() as cursor:
                cursor.execute("DEALLOCATE ALL")  # psycopg forgets its prepared statements too
            threshold = connection.connection.prepare_threshold
            connection.connection.prepare_threshold = None
            with connection.cursor() as cursor:
                cursor.execute("SET enable_indexscan = off")
                cursor.execute("SET enable_bitmapscan = off")
                cursor.execute("SET enable_indexonlyscan = off")
            base, base_hits = [], 0
            for _ in range(3):
                run(query)
            for _ in range(max(5, repeats // 6)):
                seconds, base_hits = run(query)
                base.append(seconds)
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_indexscan")
                cursor.execute("RESET enable_bitmapscan")
                cursor.execute("RESET enable_indexonlyscan")
            connection.connection.prepare_threshold = threshold
            if base_hits != hits:
                raise AssertionError(f"{query!r}: {hits} hits indexed, {base_hits} without")
            rows.append({"kind": kind, "query": query, "hits": hits,
                         "p50": percentile(timings, 50), "p99": percentile(timings, 99),
                         "base_p50": percentile(base, 50), "base_p99": percentile(base, 99)})
            log(f"{kind}: {query} done")
    connection.close()
    return rows, plans


if __name__ == "__main__":
    sys.exit(main())
