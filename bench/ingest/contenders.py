"""The three contenders: synchub, dlt's rest_api source, and the hand-written floor.

Each takes the same ``Job`` and returns what it loaded and how long the load took; the timed
section starts after imports and database setup, as a scheduled run would find them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from procs import ORDERS_PATH, PAGE_SIZE, PG_URL, ROOT, pg_admin_url


@dataclass(frozen=True)
class Job:
    """One contender run: where the source is, which database, and where in it to load."""

    shop_url: str
    token: str
    db: str  # "sqlite" or "postgresql"
    target: str  # SQLite file path, or PostgreSQL schema name
    workdir: str
    client_rate_limit: bool = True  # synchub only: keep the connector's own REST limiter

    @property
    def sqlalchemy_url(self) -> str:
        """The target as a SQLAlchemy URL (search_path pinned to the schema on PostgreSQL)."""
        if self.db == "sqlite":
            return f"sqlite:///{self.target}"
        return f"{PG_URL}?options=-csearch_path%3D{self.target}"


Result = dict[str, Any]


# -- synchub -------------------------------------------------------------------------------


def _write_hub(workdir: Path, client_rate_limit: bool) -> Path:
    import yaml

    connectors = ROOT / "connectors"
    if not client_rate_limit:
        # the connector paces REST calls at Shopify's 2/s itself; against the unthrottled
        # sandbox a copy without that limiter measures the engine, not the pacing
        spec = yaml.safe_load((connectors / "shopify" / "connector.yaml").read_text())
        limits = spec["http"].get("rate_limit", [])
        spec["http"]["rate_limit"] = [x for x in limits if x.get("type") != "leaky_bucket"]
        connectors = workdir / "connectors"
        (connectors / "shopify").mkdir(parents=True)
        (connectors / "shopify" / "connector.yaml").write_text(yaml.safe_dump(spec))
    hub = {"version": 1, "connectors_dir": str(connectors),
           "mappings_dir": str(ROOT / "mappings"),
           "store": {"default_url": f"sqlite:///{workdir / 'unused.db'}"},
           "connections": {"bench": {"connector": "shopify", "conn_id": "bench",
                                     "streams": ["orders"]}}}
    path = workdir / "hub.yaml"
    path.write_text(yaml.safe_dump(hub, sort_keys=False))
    return path


def prepare_synchub(job: Job) -> Callable[[], Result]:
    """Load the hub and migrate a fresh store; return the timed run."""
    from synchub.pipeline import sync_stream
    from synchub.plan import load_hub
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

    hub = load_hub(_write_hub(Path(job.workdir), job.client_rate_limit))
    store = Store.from_url(job.sqlalchemy_url)
    store.migrate()
    conn = ConnectionInfo(conn_id="bench", conn_type="http", host=job.shop_url,
                          password=job.token)

    def run() -> Result:
        summary = sync_stream(hub, "bench", "orders", store=store, conn_info=conn)
        return {"rows": store.count("order"), "fetched": summary.fetched,
                "stored": summary.stored, "quarantined": summary.quarantined,
                "client_requests": summary.requests, "retries": summary.retries,
                "status": summary.status}

    return run


# -- dlt -----------------------------------------------------------------------------------


def _dlt_pg_credentials() -> str:
    # dlt insists on a password; under the server's trust authentication any one will do
    url = urlsplit(pg_admin_url())
    if url.password is None:
        url = url._replace(netloc=f"{url.username or 'postgres'}:bench@{url.hostname}:"
                                  f"{url.port or 5432}")
    return urlunsplit(url)


def prepare_dlt(job: Job) -> Callable[[], Result]:
    """Build dlt's rest_api source and pipeline for the job's database; return the timed run."""
    # no telemetry: the benchmark talks to loopback only
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt
    from dlt.sources.rest_api import rest_api_source

    if job.db == "postgresql":
        destination: Any = dlt.destinations.postgres(credentials=_dlt_pg_credentials())
        dataset = job.target
    else:
        destination = dlt.destinations.sqlalchemy(credentials=f"sqlite:///{job.target}")
        dataset = "main"
    source = rest_api_source({
        "client": {"base_url": job.shop_url,
                   "headers": {"X-Shopify-Access-Token": job.token},
                   "paginator": {"type": "header_link"}},
        "resources": [{"name": "orders",
                       "endpoint": {"path": ORDERS_PATH.lstrip("/"),
                                    "params": {"limit": PAGE_SIZE, "status": "any"},
                                    "data_selector": "orders"}}],
    })
    pipeline = dlt.pipeline(pipeline_name="bench_ingest",
                            pipelines_dir=str(Path(job.workdir) / "dlt"),
                            destination=destination, dataset_name=dataset)

    def run() -> Result:
        info = pipeline.run(source)
        info.raise_on_failed_jobs()
        trace = pipeline.last_trace
        normalized = trace.last_normalize_info if trace is not None else None
        counts = normalized.row_counts if normalized is not None else {}
        tables = {k: v for k, v in counts.items() if not k.startswith("_dlt")}
        return {"rows": counts.get("orders", 0), "tables": len(tables),
                "rows_all_tables": sum(tables.values())}

    return run


# -- floor ---------------------------------------------------------------------------------


def _order_row(order: dict[str, Any]) -> tuple[Any, ...]:
    return (order["id"], order.get("order_number"), order.get("currency"),
            order.get("total_price"), order.get("updated_at"),
            json.dumps(order, separators=(",", ":")))


def _pages(job: Job) -> Any:
    import requests

    session = requests.Session()
    session.headers["X-Shopify-Access-Token"] = job.token
    url: str | None = job.shop_url + ORDERS_PATH
    params: dict[str, Any] | None = {"limit": PAGE_SIZE, "status": "any"}
    while url:
        reply = session.get(url, params=params, timeout=120)
        reply.raise_for_status()
        yield reply.json()["orders"]
        url = reply.links.get("next", {}).get("url")
        params = None
    session.close()


def prepare_floor(job: Job) -> Callable[[], Result]:
    """Create the flat orders table; return the timed fetch-parse-flatten-load loop."""
    columns = "id, number, currency, total, updated_at, data"
    if job.db == "postgresql":
        import psycopg

        pg = psycopg.connect(pg_admin_url(), options=f"-csearch_path={job.target}")
        pg.execute("CREATE TABLE orders (id bigint PRIMARY KEY, number bigint, currency text, "
                   "total numeric, updated_at timestamptz, data jsonb NOT NULL)")
        pg.commit()

        def run_pg() -> Result:
            rows = 0
            with pg.cursor() as cur:
                for orders in _pages(job):
                    with cur.copy(f"COPY orders ({columns}) FROM STDIN") as copy:
                        for order in orders:
                            copy.write_row(_order_row(order))
                    rows += len(orders)
            pg.commit()  # one transaction for the whole load
            pg.close()
            return {"rows": rows}

        return run_pg

    lite = sqlite3.connect(job.target, isolation_level=None)
    # the same durability settings as the hub store's SQLite engine
    lite.execute("PRAGMA journal_mode=WAL")
    lite.execute("PRAGMA synchronous=NORMAL")
    lite.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, number INTEGER, currency TEXT, "
                 "total TEXT, updated_at TEXT, data TEXT NOT NULL)")

    def run_sqlite() -> Result:
        rows = 0
        lite.execute("BEGIN")
        for orders in _pages(job):
            lite.executemany(f"INSERT INTO orders ({columns}) VALUES (?, ?, ?, ?, ?, ?)",
                             [_order_row(o) for o in orders])
            rows += len(orders)
        lite.execute("COMMIT")
        lite.close()
        return {"rows": rows}

    return run_sqlite


CONTENDERS: dict[str, Callable[[Job], Callable[[], Result]]] = {
    "synchub": prepare_synchub, "dlt": prepare_dlt, "floor": prepare_floor}


def timed(run: Callable[[], Result]) -> Result:
    """Run a prepared contender and add its wall time."""
    started = time.perf_counter()
    result = run()
    result["seconds"] = time.perf_counter() - started
    return result
