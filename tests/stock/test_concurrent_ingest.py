"""Concurrent ingest on PostgreSQL: reservations end exactly at the units sold."""

from __future__ import annotations

import multiprocessing as mp
import random

import pytest
import sqlalchemy as sa

from synchub.store import Store
from synchub.store.stock_tables import stock_positions, stock_reservations
from tests.stock.conftest import ingest, level, order

SKUS = [f"HOT-{n}" for n in range(5)]
WORKERS = 4
ORDERS = 60


def _orders_of(worker: int) -> list[tuple[str, dict[str, int]]]:
    """Each worker's orders; workers 0 and 1 also ingest the same shared batch."""
    r = random.Random(worker)
    own = [(f"w{worker}-{n}", {s: r.randint(1, 3) for s in r.sample(SKUS, 2)})
           for n in range(ORDERS)]
    shared = [(f"shared-{n}", {SKUS[n % 5]: 2, SKUS[(n + 1) % 5]: 1}) for n in range(20)]
    return own + (shared if worker in (0, 1) else [])


def _ingest_worker(url: str, worker: int) -> None:
    store = Store.from_url(url)
    ing = ingest()
    batch = _orders_of(worker)
    for start in range(0, len(batch), 5):
        page = [order(ext, lines) for ext, lines in batch[start:start + 5]]
        store.write_page(connection="shop", stream="orders", records=page,
                         hooks=ing.hooks_for("shop"))
    store.dispose()


@pytest.mark.postgres
def test_concurrent_workers_reserve_exactly_what_was_sold(pg_url: str) -> None:
    store = Store.from_url(pg_url)
    store.migrate()
    store.write_page(connection="erp", stream="levels",
                     records=[level(s, "WH", 10_000) for s in SKUS],
                     hooks=ingest().hooks_for("erp"))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_ingest_worker, args=(pg_url, w)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    sold: dict[str, int] = {}
    seen: set[str] = set()
    for w in range(WORKERS):
        for ext, lines in _orders_of(w):
            if ext in seen:
                continue
            seen.add(ext)
            for sku, q in lines.items():
                sold[sku] = sold.get(sku, 0) + q
    with store.engine.connect() as conn:
        counters = {r.sku: r.reserved for r in conn.execute(sa.select(stock_positions))}
        rows = dict(conn.execute(sa.select(stock_reservations.c.sku,
                                           sa.func.sum(stock_reservations.c.open_qty))
                                 .group_by(stock_reservations.c.sku)).all())
    store.dispose()
    assert counters == sold
    assert {k: int(v) for k, v in rows.items()} == sold
