"""Processes and resources of the ingest benchmark: sandbox, warm-up, PostgreSQL schemas, RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PG_URL = os.environ.get("SYNCHUB_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STORE_NAME = "bench"
ORDERS_PATH = "/admin/api/2025-07/orders.json"
PAGE_SIZE = 250


@dataclass(frozen=True)
class SandboxInfo:
    """Where the pages are served and how to authenticate to the shop serving them."""

    base_url: str
    shop_url: str
    token: str
    pid: int
    stats_url: str = ""

    def stats(self) -> dict[str, Any]:
        """The server's request counters for the bench shop."""
        url = self.stats_url or f"{self.base_url}/_sandbox/shopify/{STORE_NAME}/stats"
        reply = requests.get(url, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def requests_served(self) -> int:
        """How many API requests the bench store has answered so far."""
        return int(self.stats()["requests"])


class SandboxProcess:
    """``python -m synchub.sandbox`` in a process of its own, so it does not share our GIL."""

    def __init__(self, orders: int, workdir: Path) -> None:
        self.orders = orders
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: SandboxInfo | None = None

    def __enter__(self) -> SandboxInfo:
        ready = self.workdir / f"sandbox-{self.orders}.json"
        log = (self.workdir / f"sandbox-{self.orders}.log").open("wb")
        spec = f"shopify:{STORE_NAME}:orders={self.orders},customers=10,products=5"
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "synchub.sandbox", "--no-rate-limits", "--host", "127.0.0.1",
             "--port", "0", "--store", spec, "--ready-file", str(ready)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 120
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                self._stop()
                raise RuntimeError("sandbox did not become ready within 120 s")
            time.sleep(0.1)
        desc = json.loads(ready.read_text())
        store = desc["stores"][0]
        self.info = SandboxInfo(base_url=desc["base_url"], shop_url=store["url"],
                                token=store["credentials"]["access_token"], pid=desc["pid"])
        return self.info

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        stop_process(self.proc, timeout=20)


class PageServerProcess:
    """The sandbox's pages captured once, then served pre-encoded (``pageserver.py``).

    The capture of a volume is kept in ``workdir`` and reused while the workdir lives.
    """

    def __init__(self, orders: int, workdir: Path) -> None:
        self.orders = orders
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SandboxInfo:
        from pageserver import capture

        pages = self.workdir / f"pages-{self.orders}"
        with SandboxProcess(self.orders, self.workdir) as sandbox:
            captured = capture(sandbox.shop_url, sandbox.token, pages)
        if captured != self.orders:
            raise RuntimeError(f"captured {captured} orders of {self.orders}")
        ready = self.workdir / f"pageserver-{self.orders}.json"
        log = (self.workdir / f"pageserver-{self.orders}.log").open("wb")
        self.proc = subprocess.Popen(
            [PYTHON, str(Path(__file__).with_name("pageserver.py")), "--pages", str(pages),
             "--token", sandbox.token, "--ready", str(ready)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                stop_process(self.proc)
                raise RuntimeError(f"page server did not start; see {log.name}")
            time.sleep(0.05)
        desc = json.loads(ready.read_text())
        base = desc["base_url"]
        return SandboxInfo(base_url=base, shop_url=base, token=sandbox.token, pid=desc["pid"],
                           stats_url=f"{base}/_bench/stats")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        stop_process(self.proc, timeout=20)


def walk_orders(shop_url: str, token: str, params: dict[str, str]) -> int:
    """Fetch every page of orders.json (discarding the bodies); return the order count."""
    session = requests.Session()
    session.headers["X-Shopify-Access-Token"] = token
    url: str | None = shop_url + ORDERS_PATH
    query: dict[str, str] | None = {"limit": str(PAGE_SIZE), **params}
    total = 0
    while url:
        reply = session.get(url, params=query, timeout=120)
        reply.raise_for_status()
        total += len(reply.json()["orders"])
        url = reply.links.get("next", {}).get("url")
        query = None  # the next link carries its own page_info
    session.close()
    return total


def warm(info: SandboxInfo) -> int:
    """Walk all pages once so that every contender reads pages the sandbox already encoded."""
    # the sandbox caches each encoded order, shared by every query; this walk fills it
    return walk_orders(info.shop_url, info.token, {"status": "any"})


def pg_admin_url() -> str:
    """The plain libpq URL of the benchmark's PostgreSQL server (for psycopg and dlt)."""
    return PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)


def new_pg_schema(prefix: str) -> str:
    """Create a fresh schema on the benchmark server and return its name."""
    import psycopg

    name = f"bench_{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return name


def drop_pg_schemas(names: list[str]) -> None:
    """Drop the given schemas (and dlt's ``<name>_staging`` twins) if they exist."""
    import psycopg

    if not names:
        return
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        for name in names:
            for schema in (name, f"{name}_staging"):
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pg_reachable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any failure means the PostgreSQL rows are not measured
        return f"{exc.__class__.__name__}: {exc}"
    return None


def new_workdir() -> Path:
    """A private temporary directory for one benchmark run."""
    return Path(tempfile.mkdtemp(prefix="synchub-bench-"))


class RssSampler:
    """Peak resident memory and CPU time of this process and its children (mapping workers).

    Sampled in a thread (and at start and stop); children are summed, so work moved to
    other processes is still counted. CPU is each process's user + system time, taken at
    its last sample (a child that exits between two samples loses at most one interval).
    """

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._cpu: dict[int, float] = {}
        self._cpu_start: dict[int, float] = {}
        self.start_bytes = 0
        self.peak_bytes = 0

    def _total(self) -> int:
        import psutil

        total = 0
        for proc in [self._proc, *self._proc.children(recursive=True)]:
            try:
                with proc.oneshot():
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
            except psutil.Error:  # a child that just exited
                continue
            self._cpu[proc.pid] = times.user + times.system
        return total

    @property
    def cpu_seconds(self) -> float:
        """CPU time spent since the start by this process and its children."""
        return sum(v - self._cpu_start.get(pid, 0.0) for pid, v in self._cpu.items())

    def _sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, self._total())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        self.start_bytes = self._total()
        self._cpu_start = dict(self._cpu)
        self.peak_bytes = self.start_bytes
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 30) -> None:
    """Terminate a child process, killing it when it does not exit within ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def versions(*dists: str) -> dict[str, str]:
    """Versions of what the figures depend on: Python, SQLite, PostgreSQL and ``dists``."""
    import platform
    import sqlite3
    from importlib.metadata import version

    out = {"python": platform.python_version(), "platform": platform.platform(),
           "sqlite": sqlite3.sqlite_version}
    for dist in dists:
        out[dist] = version(dist)
    try:
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=3) as conn:
            out["postgresql"] = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
    except Exception:  # the server version is informative only
        out["postgresql"] = "unreachable"
    return out
