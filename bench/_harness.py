"""What the benchmarks and the load test share: a database of their own, the production server
(scripts/serve) on a random loopback port. HTTP clients and closed-loop load: _load.py.

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
import time
from collections.abc import Iterator
from pathlib import Path

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


def settle(url: str) -> None:
    """Leave a freshly loaded database as a long-running one is: vacuumed and analysed, its
    dirty pages written out. Otherwise autovacuum and a checkpoint, both due after a bulk load,
    run during the first timed windows and land on whichever scenario is measured then."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            log("(no CHECKPOINT: the benchmark's database role may not run one)")


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


def setup_django(database_url: str) -> None:
    """Django in this process, with production settings on `database_url` (for benchmarks
    that call the app's code directly rather than through a server)."""
    os.environ.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings",
                       "DEBUG": "false", "SECRET_KEY": "x" * 60, "EMAIL_HOST": "smtp.invalid",
                       "LOG_LEVEL": "WARNING"})
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(*args: str, env: dict[str, str], timeout: float = 1800) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


# --- The server ----------------------------------------------------------------------------------


def fill_bank(url: str, questions: int) -> None:
    """Migrate the database at `url` and fill it with a bank of `questions` questions (10
    learners, no reviews, teams or sets), settled: what the search and export benchmarks
    read."""
    env = production_env(url)
    log(f"migrate + generate_scale_data --questions {questions:,} ...")
    manage("migrate", "--noinput", "-v0", env=env)
    manage("generate_scale_data", "--questions", str(questions), "--users", "10",
           "--reviews", "0", "--teams", "0", "--sets", "0", env=env)
    settle(url)


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


# --- Where the CPU goes --------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) process `pid` has used so far; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _machine_busy() -> float:
    """CPU seconds all cores have spent outside idle and I/O wait since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _CLOCK_TICKS


class CpuMeter:
    """The CPU time used so far by each part of a run on this machine, read from /proc:
    the server (gunicorn's master and workers), the database (PostgreSQL's backends serving
    `database`, and its background processes: WAL writer, checkpointer...), the clients (this
    process) and the machine as a whole (busy time of all cores). A reading is a dict of
    {part: {pid: seconds}}; `used` turns two readings into seconds per part, counting only
    processes present in both (a backend that came or went meanwhile is left out)."""

    PARTS = ("server", "database", "clients")

    def __init__(self, server: Server, database: str) -> None:
        self.server = server
        self.database = database

    def read(self) -> dict[str, dict[int, float]]:
        backends = [row[0] for row in query(
            db_url("postgres"),
            "SELECT pid FROM pg_stat_activity WHERE (datname = %s OR datname IS NULL) "
            "AND pid <> pg_backend_pid()", [self.database],
        )]
        pids = {
            "server": [self.server.master_pid, *self.server.worker_pids()],
            "database": backends,
            "clients": [os.getpid()],
        }
        reading = {part: {pid: cpu for pid in group if (cpu := process_cpu(pid)) is not None}
                   for part, group in pids.items()}
        reading["machine"] = {0: _machine_busy()}
        return reading

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        used = {part: sum(after[part][pid] - before[part][pid]
                          for pid in after[part] if pid in before[part])
                for part in after}
        used["other"] = used.pop("machine") - sum(used[part] for part in CpuMeter.PARTS)
        return used


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


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of `values` (nearest rank); NaN when there are none."""
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
