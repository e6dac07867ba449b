"""`python manage.py generate_scale_data`: a synthetic bank and activity of a given size."""

from __future__ import annotations

import re
import time

from django.core.management.base import BaseCommand, CommandError

from qa.models.bank import KEY_PATTERN
from qa.scale_data import SCALE_PASSWORD, ScaleDataError, ScaleSpec, format_timings, generate


class Command(BaseCommand):
    help = (
        "Generate synthetic questions, learners with study histories, teams and study sets "
        "for benchmarks (fixed seed: the same arguments give the same data). Uses COPY on "
        f"PostgreSQL. Every generated learner's password is {SCALE_PASSWORD!r}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--questions", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument("--reviews", type=int, default=1_000_000)
        parser.add_argument("--teams", type=int, default=50)
        parser.add_argument("--sets", type=int, default=200)
        parser.add_argument("--sections", type=int, default=20)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--bank-slug", default="scale")

    def handle(self, *args, **options) -> None:
        for name in ("questions", "users", "reviews", "teams", "sets"):
            if options[name] < 0:
                raise CommandError(f"--{name} must be 0 or more.")
        if options["sections"] < 1 or options["questions"] < 1:
            raise CommandError("--questions and --sections must be at least 1.")
        if options["reviews"] and not options["users"]:
            raise CommandError("Reviews need learners: give --users.")
        if not re.fullmatch(KEY_PATTERN, options["bank_slug"]):
            raise CommandError("--bank-slug must be lowercase ASCII letters and digits, with "
                               "single - or _ between them (a bank's slug is in its URLs).")
        spec = ScaleSpec(
            questions=options["questions"], users=options["users"], reviews=options["reviews"],
            teams=options["teams"], sets=options["sets"], sections=options["sections"],
            seed=options["seed"], bank_slug=options["bank_slug"],
        )
        started = time.perf_counter()
        try:
            timings = generate(spec, log=lambda line: self.stdout.write(f"  {line}"))
        except ScaleDataError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(format_timings(timings))
        self.stdout.write(self.style.SUCCESS(
            f"Generated in {time.perf_counter() - started:.1f} s."
        ))
