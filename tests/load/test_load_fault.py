"""Load and fault tests against the production server (scripts/serve: gunicorn + PostgreSQL).

50 simulated learners grade cards as fast as the server answers (closed loop, loopback only):
- for LOAD_SECONDS (60): 0 responses 5xx, 0 errors, Review rows == grades acknowledged,
  no quiz item graded twice;
- then with faults mid-run: a gunicorn worker is SIGKILLed (the master replaces it), every
  database connection is terminated, and the database refuses connections for a while. A
  learner whose request fails retries it with the same submission token, as the quiz page
  does. No grade is lost or doubled; /healthz answers 503 while the database is unreachable
  and 200 again, by itself, once it is back.

Needs PostgreSQL on 127.0.0.1 (BENCH_PG); creates and drops its own database. The shared
server is never stopped: only this test's database is made to refuse connections.
Run: `.venv/bin/pytest -m slow tests/load/`.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _harness import (
    Server,
    create_database,
    drop_database,
    manage,
    production_env,
    query,
    set_connect_allowed,
    terminate_connections,
)
from _load import (
    Client,
    HTTPError,
    Stats,
    closed_loop,
    in_parallel,
    parse_card,
    start_quiz,
)

pytestmark = pytest.mark.slow

DB_NAME = "mianshi_load_fault"
LEARNERS = int(os.environ.get("LOAD_LEARNERS", "50"))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
FAULT_SECONDS = 45.0
RETRY_FOR = 90.0
PASSWORD = "scale-data-password-1"


def _postgres_available() -> bool:
    try:
        query(os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432") + "/postgres",
              "SELECT 1")
    except Exception:
        return False
    return True


class Ledger:
    """What the learners were told: every acknowledged grade's token, and every 5xx."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}  # token -> quiz item
        self.server_errors = 0
        self.retries = 0
        self.gave_up: list[str] = []

    def ack(self, token: str, item: int) -> None:
        with self.lock:
            assert token not in self.acked, f"token {token} acknowledged twice"
            self.acked[token] = item

    def error(self, status: int | None) -> None:
        with self.lock:
            self.retries += 1
            if status is not None and status >= 500:
                self.server_errors += 1


class Learner(Client):
    def __init__(self, port: int, number: int, section_id: int, ledger: Ledger) -> None:
        super().__init__(port, timeout=20)
        self.email = f"learner{number:06d}@scale.example.com"
        self.section_id = section_id
        self.ledger = ledger
        self.quiz = 0
        self.card = None

    def begin(self) -> None:
        self.login(self.email, PASSWORD)
        self.quiz, self.card = start_quiz(self, section_id=self.section_id, count=200)

    def _with_retries(self, send):
        """Send until the server answers below 500; a dropped connection, a timeout or a
        5xx is retried with the very same request (same submission token), backing off."""
        deadline = time.monotonic() + RETRY_FOR
        pause = 0.2
        while True:
            status = None
            try:
                response = send()
                status = response.status
                if status < 500:
                    return response
            except (OSError, http.client.HTTPException, HTTPError):
                pass  # HTTPError: starting a quiz met a 5xx on the way
            self.ledger.error(status)
            if time.monotonic() > deadline:
                return None
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 3.0)

    def resync(self) -> None:
        page = self._with_retries(lambda: self.get(f"/quiz/{self.quiz}/"))
        self.card = parse_card(page.body) if page is not None and page.status == 200 else None
        if self.card is None or self.card.finished or self.card.item is None:
            started = self._with_retries(
                lambda: _Started(*start_quiz(self, section_id=self.section_id, count=200))
            )
            if started is not None:
                self.quiz, self.card = started.quiz, started.card

    def step(self, stats: Stats) -> None:
        card = self.card
        if card is None or card.finished or card.item is None:
            self.resync()
            return
        if not card.revealed:
            response = self._with_retries(lambda: self.post(
                f"/quiz/{self.quiz}/reveal/", {"item": card.item}, htmx=True))
            kind = "reveal"
        else:
            token = card.token or uuid.uuid4().hex
            response = self._with_retries(lambda: self.post(
                f"/quiz/{self.quiz}/grade/", {**card.grade_form("3"), "token": token},
                htmx=True))
            kind = "grade"
            if response is None:
                self.ledger.gave_up.append(token)
            elif response.status == 200:
                self.ledger.ack(token, card.item)
        if response is None:
            self.resync()
            return
        stats.record(kind, response.seconds, response.status, response.status == 200)
        new = parse_card(response.body) if response.status == 200 else None
        if new is None or (kind == "reveal" and not new.revealed):
            self.resync()
        else:
            self.card = new


class _Started:
    status = 200

    def __init__(self, quiz, card) -> None:
        self.quiz, self.card = quiz, card


def _stored(url: str) -> tuple[dict[str, int], int]:
    rows = query(url, "SELECT token, quiz_item_id FROM qa_review "
                      "WHERE quiz_item_id IS NOT NULL")
    doubled = query(url, "SELECT count(*) FROM (SELECT quiz_item_id FROM qa_review "
                         "WHERE quiz_item_id IS NOT NULL GROUP BY quiz_item_id "
                         "HAVING count(*) > 1) d")[0][0]
    return dict(rows), doubled


@pytest.fixture(scope="module")
def stack():
    if not _postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1")
    url = create_database(DB_NAME)
    try:
        env = production_env(url, DB_POOL_TIMEOUT="3")
        manage("migrate", "--noinput", "-v0", env=env)
        manage("generate_scale_data", "--questions", "3000", "--users", str(LEARNERS + 10),
               "--reviews", "5000", "--teams", "3", "--sets", "5", "--sections", "10", env=env)
        sections = [r[0] for r in query(
            url, "SELECT s.id FROM qa_section s JOIN qa_bank b ON b.id = s.bank_id "
                 "WHERE b.slug = 'scale' ORDER BY s.position")]
        # A second, idle server on the same database answers the health checks during the
        # outage: on the loaded one they queue behind fifty learners' retries.
        with Server(env, workers=4) as server, Server(env, workers=1) as probe:
            yield url, server, probe, sections
    finally:
        set_connect_allowed(DB_NAME, True)
        drop_database(DB_NAME)


def _learners(server: Server, sections: list[int], ledger: Ledger) -> list[Learner]:
    learners = [Learner(server.port, n, sections[n % len(sections)], ledger)
                for n in range(1, LEARNERS + 1)]
    in_parallel(lambda c: c.begin(), learners, workers=5)
    return learners


def test_fifty_learners_grade_for_a_minute_without_errors(stack):
    url, server, _probe, sections = stack
    ledger = Ledger()
    learners = _learners(server, sections, ledger)
    stored_before, _ = _stored(url)

    stats = closed_loop(learners, lambda c, s, _m: c.step(s), seconds=LOAD_SECONDS, warmup=0)

    stored, doubled = _stored(url)
    new_rows = {t: i for t, i in stored.items() if t not in stored_before}
    assert stats.count("grade") > 0
    assert ledger.server_errors == 0, ledger.server_errors
    assert ledger.retries == 0, ledger.retries
    assert not stats.errors, stats.errors
    assert not any(status >= 500 for status in stats.statuses), stats.statuses
    assert set(new_rows) == set(ledger.acked)
    assert len(new_rows) == len(ledger.acked)
    assert doubled == 0
    print(f"\n{len(learners)} learners, {LOAD_SECONDS:.0f} s: {stats.count('grade')} grades "
          f"({stats.rate('grade'):.0f}/s), {stats.count('reveal')} reveals, p99 grade "
          f"{stats.percentile('grade', 99) * 1e3:.0f} ms, 0 errors")


def _health(server: Server) -> int | None:
    try:
        status, _ = server.get_status("/healthz")
        return status
    except (OSError, http.client.HTTPException):
        return None


def _page_status(client: Client) -> int | None:
    try:
        return client.get("/").status
    except (OSError, http.client.HTTPException):
        return None


def test_no_grade_is_lost_or_doubled_through_worker_and_database_failures(stack):
    url, server, probe, sections = stack
    ledger = Ledger()
    learners = _learners(server, sections, ledger)
    stored_before, _ = _stored(url)
    workers_before = len(server.worker_pids())
    events: dict[str, object] = {}
    # A learner's page, asked on the probe server while the database is away.
    onlooker = Learner(probe.port, LEARNERS + 1, sections[0], Ledger())
    onlooker.login(onlooker.email, PASSWORD)

    def faults() -> None:
        time.sleep(5)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        events["killed worker"] = victim
        time.sleep(7)
        events["terminated connections"] = terminate_connections(DB_NAME)
        time.sleep(7)
        # The database goes away: new connections refused, existing ones cut.
        set_connect_allowed(DB_NAME, False)
        terminate_connections(DB_NAME)
        time.sleep(1)
        events["health while down"] = [_health(probe) for _ in range(3)]
        events["page while down"] = _page_status(onlooker)
        set_connect_allowed(DB_NAME, True)
        back = time.monotonic()
        while _health(probe) != 200 and time.monotonic() - back < 30:
            time.sleep(0.25)
        events["probe recovered after"] = round(time.monotonic() - back, 1)
        while _health(server) != 200 and time.monotonic() - back < 60:
            time.sleep(0.25)
        events["server recovered after"] = round(time.monotonic() - back, 1)
        events["health after"] = (_health(probe), _health(server))

    chaos = threading.Thread(target=faults)
    chaos.start()
    stats = closed_loop(learners, lambda c, s, _m: c.step(s), seconds=FAULT_SECONDS, warmup=0)
    chaos.join(timeout=60)

    stored, doubled = _stored(url)
    new_rows = {t: i for t, i in stored.items() if t not in stored_before}
    lost = set(ledger.acked) - set(new_rows)
    unacknowledged = set(new_rows) - set(ledger.acked) - set(ledger.gave_up)
    print(f"\nfaults: {events}; {len(ledger.acked)} grades acknowledged, {len(new_rows)} "
          f"stored, {ledger.retries} retried requests ({ledger.server_errors} answered 5xx)")
    assert events.get("killed worker")
    assert events["terminated connections"] >= 1
    assert all(status == 503 for status in events["health while down"]), events
    assert events["page while down"] == 503, events  # an outage to wait out, not a bug
    assert events["health after"] == (200, 200), events
    assert not ledger.gave_up, ledger.gave_up
    assert not lost, lost
    assert not unacknowledged, unacknowledged
    assert doubled == 0
    assert len(new_rows) == len(ledger.acked) > 0
    # The killed worker was replaced.
    deadline = time.monotonic() + 20
    while len(server.worker_pids()) < workers_before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(server.worker_pids()) == workers_before
    assert stats.count("grade") > 0
