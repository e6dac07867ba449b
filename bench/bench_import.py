"""`import_bank` throughput at 100k questions vs Django's `loaddata` of the same bank.

    .venv/bin/python bench/bench_import.py            # 100,000 questions
    .venv/bin/python bench/bench_import.py --quick    # 10,000 questions
    .venv/bin/python bench/bench_import.py --import-only   # skip dumpdata/loaddata

Writes a bank file of N synthetic questions in the fixture format (fixtures/README.md), imports
it into an empty database (mianshi_bench_import) with `manage.py import_bank`, dumps the bank
with `dumpdata` (qa.bank, qa.section, qa.tag, qa.question), and loads that dump into a second
empty database (mianshi_bench_loaddata) with `manage.py loaddata`. Both commands are timed as
an operator runs them (wall clock, process start included; the start-up of a bare
`manage.py check` is shown for reference). Both databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ROOT,
    create_database,
    drop_database,
    log,
    manage,
    production_env,
    query,
    time_limit,
)

IMPORT_DB = "mianshi_bench_import"
LOADDATA_DB = "mianshi_bench_loaddata"
SLUG = "bench"


def write_bank_file(path: Path, questions: int, *, sections: int = 20, seed: int = 42) -> None:
    """A bank file in the fixture format, written directly (a YAML emitter takes minutes)."""
    sys.path.insert(0, str(ROOT))
    from qa.synthetic_text import TAGS, TextMaker

    rng = random.Random(seed)
    maker = TextMaker(rng)
    per_section = -(-questions // sections)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"format: 1\nbank:\n  slug: {SLUG}\n  title: 合成题库（导入测试）\n"
                  "  language: zh-hans\n  description: 用于导入速度测试的合成题目。\n"
                  "sections:\n")
        for n in range(1, sections + 1):
            out.write(f"  - key: s{n:02d}\n    title: 第{n}部分\n")
        out.write("questions:\n")
        for i in range(questions):
            section = i // per_section + 1
            number = i % per_section + 1
            prompt, answer, _ = maker.question(i + 1)
            tags = ", ".join(rng.sample(TAGS, rng.randint(1, 2)))
            body = "\n".join(("      " + line) if line else "" for line in answer.split("\n"))
            out.write(
                f"  - key: {SLUG}/s{section:02d}/{number:05d}\n"
                f"    section: s{section:02d}\n"
                f"    prompt: {prompt}\n"
                f"    tags: [{tags}]\n"
                f"    answer: |\n{body}\n"
            )


def print_import(n: int, size_mb: float, startup: float, import_seconds: float,
                 reimport_seconds: float, imported: int) -> None:
    print(f"Import of {n:,} questions into an empty PostgreSQL database "
          f"(bank file {size_mb:.0f} MB; wall clock incl. ~{startup:.1f} s process start)")
    print(f"{'command':<42} {'seconds':>8} {'questions/s':>12} {'rows':>9}")
    print(f"{'import_bank (YAML, history, search tokens)':<42} {import_seconds:>8.1f} "
          f"{imported / import_seconds:>12,.0f} {imported:>9,}")
    print(f"{'import_bank again (no changes)':<42} {reimport_seconds:>8.1f} "
          f"{imported / reimport_seconds:>12,.0f} {imported:>9,}")


def timed(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    manage(*args, env=env, timeout=3600)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--import-only", action="store_true",
                        help="Time import_bank only (loaddata of 100k takes ~13 minutes).")
    args = parser.parse_args()
    n = args.questions or (10_000 if args.quick else 100_000)

    with time_limit(1200 if args.quick else 3600), tempfile.TemporaryDirectory() as tmp:
        bank_file = Path(tmp) / f"{SLUG}.yaml"
        dump_file = Path(tmp) / f"{SLUG}-dumpdata.json"
        log(f"writing {n:,} questions to {bank_file.name} ...")
        write_bank_file(bank_file, n)
        size_mb = bank_file.stat().st_size / 1e6
        try:
            import_env = production_env(create_database(IMPORT_DB))
            manage("migrate", "--noinput", "-v0", env=import_env)
            startup = timed("check", env=import_env)
            log("import_bank ...")
            import_seconds = timed("import_bank", str(bank_file), env=import_env)
            imported = query(import_env["DATABASE_URL"], "SELECT count(*) FROM qa_question")[0][0]
            history = query(import_env["DATABASE_URL"],
                            "SELECT count(*) FROM qa_historicalquestion")[0][0]
            log("import_bank again (nothing changed) ...")
            reimport_seconds = timed("import_bank", str(bank_file), env=import_env)
            if args.import_only:
                print_import(n, size_mb, startup, import_seconds, reimport_seconds, imported)
                print(f"import_bank also wrote {history:,} revision rows.")
                print(f"KEY import_bank {n:,} questions in {import_seconds:.1f} s "
                      f"({imported / import_seconds:,.0f}/s); loaddata not run (--import-only)")
                return 0 if imported == n else 1
            log("dumpdata ...")
            dump_seconds = timed("dumpdata", "qa.bank", "qa.section", "qa.tag", "qa.question",
                                 "--output", str(dump_file), env=import_env)

            load_env = production_env(create_database(LOADDATA_DB))
            manage("migrate", "--noinput", "-v0", env=load_env)
            log("loaddata ...")
            load_seconds = timed("loaddata", str(dump_file), env=load_env)
            loaded = query(load_env["DATABASE_URL"], "SELECT count(*) FROM qa_question")[0][0]
        finally:
            drop_database(IMPORT_DB)
            drop_database(LOADDATA_DB)

    print_import(n, size_mb, startup, import_seconds, reimport_seconds, imported)
    print(f"{'dumpdata (for reference)':<42} {dump_seconds:>8.1f} {'':>12} {'':>9}")
    print(f"{'loaddata of the same bank (JSON)':<42} {load_seconds:>8.1f} "
          f"{loaded / load_seconds:>12,.0f} {loaded:>9,}")
    print(f"import_bank also wrote {history:,} revision rows; loaddata writes none.")
    ok = imported == loaded == n
    print(f"correctness: {imported:,} imported, {loaded:,} loaded, expected {n:,}: {ok}")
    print(f"KEY import_bank {n:,} questions in {import_seconds:.1f} s "
          f"({imported / import_seconds:,.0f}/s) vs loaddata {load_seconds:.1f} s: "
          f"{load_seconds / import_seconds:.2f}× faster than loaddata")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
