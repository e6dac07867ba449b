"""Revision diffs (qa.diff.diff_text, what the admin's compare and revert pages, the public
"what changed" page and a learner's changed card show) on long Chinese answers with scattered
edits: milliseconds per diff, in this process, no database.

    .venv/bin/python bench/bench_diff.py

Texts are drawn from the 20 most common characters of Chinese prose (the worst case for a
token-by-token comparison: every token recurs), in 200-character paragraphs or as one
paragraph, and each edit replaces one character.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMMON = "的一是在不了有和人这中大为上个国我以要他"
CASES = [  # (characters, edits, characters per paragraph; 0: one paragraph)
    (2_000, 20, 0),
    (10_000, 50, 200),
    (10_000, 50, 0),
    (20_000, 200, 200),
]


def _texts(size: int, edits: int, paragraph: int, rng: random.Random) -> tuple[str, str]:
    text = "".join(rng.choice(COMMON) for _ in range(size))
    if paragraph:
        text = "\n".join(text[i:i + paragraph] for i in range(0, size, paragraph))
    changed = list(text)
    for _ in range(edits):
        at = rng.randrange(len(changed))
        if changed[at] != "\n":
            changed[at] = rng.choice(COMMON)
    return text, "".join(changed)


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from qa.diff import diff_text

    rng = random.Random(7)
    print(f"{'characters':>10} {'edits':>6} {'paragraph':>9} {'ms':>8} {'highlighted':>11}")
    slowest = 0.0
    for size, edits, paragraph in CASES:
        old, new = _texts(size, edits, paragraph, rng)
        started = time.perf_counter()
        result = diff_text(old, new)
        elapsed = (time.perf_counter() - started) * 1000
        slowest = max(slowest, elapsed)
        print(f"{size:>10,} {edits:>6} {paragraph or 'one':>9} {elapsed:>8.1f} "
              f"{result.inserted:>11,}")
    print(f"KEY slowest diff {slowest:.1f} ms")


if __name__ == "__main__":
    main()
