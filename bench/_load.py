"""Load on the server _harness.Server starts: HTTP clients with sessions, the quiz as a client
sees it, and closed loops of clients sending their next request as soon as the previous
answer arrives. Loopback only.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from _harness import HOST, CpuMeter, percentile

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
_VERSION = re.compile(r'name="answer_version" value="(\d+)"')
_QUIZ_URL = re.compile(r"/quiz/(\d+)/$")


@dataclass
class Card:
    item: int | None
    token: str | None
    revealed: bool
    finished: bool
    answer_version: str = ""  # of the answer the revealed card shows

    def grade_form(self, rating: str) -> dict[str, str | int | None]:
        """The grade form as the revealed card sends it."""
        return {"item": self.item, "token": self.token, "answer_version": self.answer_version,
                "rating": rating}


def parse_card(html: str) -> Card:
    item = _ITEM.search(html)
    token = _TOKEN.search(html)
    version = _VERSION.search(html)
    revealed = "data-rating=" in html
    finished = "card summary" in html
    return Card(int(item.group(1)) if item else None, token.group(1) if token else None,
                revealed, finished, version.group(1) if version else "")


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
    # CPU seconds per part of the machine over the timed window (_harness.CpuMeter.used).
    cpu: dict[str, float] = field(default_factory=dict)
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

    @classmethod
    def combined(cls, parts: list[Stats]) -> Stats:
        """The finalized Stats of several timed windows taken as one (rounds of the same
        scenario): their requests together over the sum of their windows."""
        total = cls()
        for part in parts:
            total.window += part.window
            for name, seconds in part.cpu.items():
                total.cpu[name] = total.cpu.get(name, 0.0) + seconds
            for kind, values in part.latencies.items():
                total.latencies.setdefault(kind, []).extend(values)
            for kind, n in part.errors.items():
                total.errors[kind] = total.errors.get(kind, 0) + n
            for status, n in part.statuses.items():
                total.statuses[status] = total.statuses.get(status, 0) + n
        return total

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def cpu_per_request(self) -> dict[str, float]:
        """CPU seconds per request counted, by part of the machine."""
        n = self.requests
        return {name: seconds / n for name, seconds in self.cpu.items()} if n else {}

    def count(self, kind: str) -> int:
        return len(self.latencies.get(kind, []))

    def rate(self, kind: str) -> float:
        return self.count(kind) / self.window if self.window else 0.0

    def total_rate(self) -> float:
        return self.requests / self.window if self.window else 0

    def percentile(self, kind: str, p: float) -> float:
        return percentile(self.latencies.get(kind, []), p)

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    def percentile_all(self, p: float) -> float:
        return percentile(self.all_latencies(), p)

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
    cpu: CpuMeter | None = None,
) -> Stats:
    """Every client runs `step` back to back (no think time) for warmup + seconds. `step`
    records its requests in the Stats given (the bool says whether the window is open);
    the result counts what finished inside the timed window, and with a `cpu` meter, the CPU
    each part of the machine used in it."""
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
    before = cpu.read() if cpu else None
    measuring.set()
    started = time.perf_counter()
    time.sleep(seconds)
    ended = time.perf_counter()
    if cpu:
        stats.cpu = cpu.used(before, cpu.read())
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
