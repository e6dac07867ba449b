"""What the benchmarks and the load test share: a database of their own, the production server
(scripts/serve) on a random loopback port, HTTP clients with sessions, closed-loop load.

Nothing here talks to anything but 127.0.0.1. Every server and database it creates is
removed when the run ends (unless KEEP_BENCH_DB=1).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"


# --- Databases ---------------------------------------------------------------------------------


def db_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(db_url("postgres"), autocommit=True)


def create_database(name: str) -> str:
    """A fresh, empty UTF-8 database `name` (dropped first if it exists)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    drop_database(name)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    return db_url(name)


def drop_database(name: str) -> None:
    if os.environ.get("KEEP_BENCH_DB") == "1" and database_exists(name):
        return
    with _admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def database_exists(name: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() \
            is not None


def terminate_connections(name: str) -> int:
    """Kill every backend connected to database `name` (as if the network dropped)."""
    with _admin() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
    return len(rows)


def set_connect_allowed(name: str, allowed: bool) -> None:
    """Refuse (or allow again) new connections to database `name` only: the shared server
    stays up for everyone else."""
    with _admin() as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}')


def query(url: str, sql: str, params: list | None = None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "DEBUG"}}
    env.update({
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_HOST": "smtp.invalid",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "BENCH_CEILING_VIEW": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 1800) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


# --- The server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """scripts/serve (gunicorn, production settings) on a random loopback port."""

    def __init__(self, env: dict[str, str], *, workers: int | None = None,
                 log_path: Path | None = None) -> None:
        self.port = free_port()
        self.env = dict(env)
        self.env.update({"BIND": f"{HOST}:{self.port}", "SKIP_MIGRATE": "1"})
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"mianshi-bench-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> Server:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "serve")], cwd=ROOT, env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                status, _ = self.get_status("/healthz")
                if status == 200 and len(self.worker_pids()) >= int(
                    self.env.get("WEB_CONCURRENCY", "1")
                ):
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not become healthy; see {self.log_path}")

    def get_status(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=15)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    @property
    def master_pid(self) -> int:
        assert self.process is not None
        # scripts/serve execs gunicorn, so the shell's pid is the gunicorn master's.
        return self.process.pid

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        self.process = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- Clients -------------------------------------------------------------------------------------


class HTTPError(Exception):
    pass


@dataclass
class Response:
    status: int
    body: str
    location: str
    seconds: float


class Client:
    """One browser: its own connection, cookies and CSRF token."""

    def __init__(self, port: int, *, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept-Language": "en", "Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if extra:
            headers.update(extra)
        return headers

    def request(self, method: str, path: str, *, data: dict | None = None,
                headers: dict[str, str] | None = None) -> Response:
        body = None
        headers = self._headers(headers)
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            # A dropped connection (a killed worker): reconnect for the next request.
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            raise
        seconds = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.will_close:
            self.conn.close()
        return Response(response.status, payload.decode("utf-8", "replace"),
                        response.headers.get("Location", ""), seconds)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, *, htmx: bool = False) -> Response:
        headers = {"HX-Request": "true"} if htmx else None
        return self.request("POST", path, data=data, headers=headers)

    def login(self, email: str, password: str) -> None:
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {
            "login": email, "password": password,
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
        })
        if response.status != 302 or "sessionid" not in self.cookies:
            raise HTTPError(f"login of {email} failed: {response.status}")


# --- The quiz, as a client sees it -----------------------------------------------------------

_ITEM = re.compile(r'name="item" value="(\d+)"')
_TOKEN = re.compile(r'name="token" value="([0-9a-f]+)"')
_QUIZ_URL = re.compile(r"/quiz/(\d+)/$")


@dataclass
class Card:
    item: int | None
    token: str | None
    revealed: bool
    finished: bool


def parse_card(html: str) -> Card:
    item = _ITEM.search(html)
    token = _TOKEN.search(html)
    revealed = "data-rating=" in html
    finished = "card summary" in html
    return Card(int(item.group(1)) if item else None, token.group(1) if token else None,
                revealed, finished)


def start_quiz(client: Client, *, section_id: int, count: int = 200) -> tuple[int, Card]:
    response = client.post("/quiz/start/", {
        "mode": "section", "section": section_id, "count": count,
        "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
    })
    match = _QUIZ_URL.search(response.location)
    if response.status != 302 or not match:
        raise HTTPError(f"quiz start: {response.status} {response.location}")
    quiz = int(match.group(1))
    page = client.get(f"/quiz/{quiz}/")
    if page.status != 200:
        raise HTTPError(f"quiz page: {page.status}")
    return quiz, parse_card(page.body)


# --- Closed-loop load ------------------------------------------------------------------------


@dataclass
class Stats:
    """Requests seen by a closed loop. Only requests that finish inside the timed window
    count (finalize), so neither the warm-up nor requests still running at the end skew it."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    window: float = 0.0
    events: list[tuple[float, str, float, int, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int, ok: bool) -> None:
        with self.lock:
            self.events.append((time.perf_counter(), kind, seconds, status, ok))

    def finalize(self, start: float, end: float) -> Stats:
        self.window = end - start
        self.latencies, self.errors, self.statuses = {}, {}, {}
        for finished, kind, seconds, status, ok in self.events:
            if not start <= finished <= end:
                continue
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if ok:
                self.latencies.setdefault(kind, []).append(seconds)
            else:
                self.errors[kind] = self.errors.get(kind, 0) + 1
        return self

    def count(self, kind: str) -> int:
        return len(self.latencies.get(kind, []))

    def rate(self, kind: str) -> float:
        return self.count(kind) / self.window if self.window else 0.0

    def total_rate(self) -> float:
        return sum(len(v) for v in self.latencies.values()) / self.window if self.window else 0

    def percentile(self, kind: str, p: float) -> float:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return float("nan")
        index = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
        return values[index]

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def percentile_all(self, p: float) -> float:
        values = sorted(self.all_latencies())
        if not values:
            return float("nan")
        index = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
        return values[index]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def closed_loop(
    clients: list[Client],
    step: Callable[[Client, Stats, bool], None],
    *,
    seconds: float,
    warmup: float = 1.0,
    drain: float = 120.0,
) -> Stats:
    """Every client runs `step` back to back (no think time) for warmup + seconds. `step`
    records its requests in the Stats given (the bool says whether the window is open);
    the result counts what finished inside the timed window."""
    stats = Stats()
    measuring = threading.Event()
    stop = threading.Event()
    failures: list[BaseException] = []

    def run(client: Client) -> None:
        try:
            while not stop.is_set():
                step(client, stats, measuring.is_set())
        except BaseException as exc:  # surfaced below: a bench must not hide a crash
            failures.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    time.sleep(warmup)
    measuring.set()
    started = time.perf_counter()
    time.sleep(seconds)
    ended = time.perf_counter()
    stop.set()
    # Let every client finish the step it is in (a retried request may take a while).
    deadline = time.monotonic() + drain
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise TimeoutError("clients still busy after the run")
    stats.finalize(started, ended)
    if failures:
        raise failures[0]
    return stats


def in_parallel(fn: Callable, items: list, *, workers: int = 8) -> list:
    """fn(item) for every item, a few at a time (logins before a timed window)."""
    results: list = [None] * len(items)
    errors: list[BaseException] = []
    index = iter(range(len(items)))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                i = next(index, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Abort the whole run if it takes longer than `seconds` (a bench must end)."""

    def expired(signum, frame):
        raise TimeoutError(f"the run exceeded its {seconds:.0f} s limit")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(int(seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
