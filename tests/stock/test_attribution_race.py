"""Processes racing for the last units on PostgreSQL: the orders placed last are short.

Each worker ingests its orders in an order unrelated to when they were placed, so pages
commit in no particular order; attribution must still end exactly as if the orders had
arrived in placement order, and the counters at exactly the units sold.
"""

from __future__ import annotations

import multiprocessing as mp
import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from synchub.store import Store
from synchub.store.stock_tables import stock_exceptions, stock_positions
from tests.stock.conftest import NOW, ingest, level, order

WORKERS = 4
PER_WORKER = 8
STOCK = {"HOT-A": 10, "HOT-B": 5}
# passed to the workers: each spawned process has a NOW of its own
BASE = NOW - timedelta(hours=2)


def _orders_of(worker: int) -> list[tuple[str, str, int]]:
    """(connection, order id, second placed) of a worker's orders, in the order it sends
    them; workers 0 and 1 also both send the same four shared orders."""
    own = [("shop" if n % 2 else "woo", f"w{worker}-{n}", n * WORKERS + worker)
           for n in range(PER_WORKER)]
    shared = [("shop", f"shared-{n}", 7 * n + 3) for n in range(4)]
    batch = own + (shared if worker in (0, 1) else [])
    random.Random(worker).shuffle(batch)
    return batch


def _ingest_worker(url: str, worker: int, base: datetime) -> None:
    store = Store.from_url(url)
    ing = ingest()
    for connection, ext, second in _orders_of(worker):
        page = [order(ext, {"HOT-A": 1, "HOT-B": 1}, connection=connection,
                      placed=base + timedelta(seconds=second))]
        store.write_page(connection=connection, stream="orders", records=page,
                         hooks=ing.hooks_for(connection))
    store.dispose()


@pytest.mark.postgres
def test_racing_workers_leave_the_latest_placed_orders_short(pg_url: str) -> None:
    store = Store.from_url(pg_url)
    store.migrate()
    store.write_page(connection="erp", stream="levels",
                     records=[level(s, "WH", n) for s, n in STOCK.items()],
                     hooks=ingest().hooks_for("erp"))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_ingest_worker, args=(pg_url, w, BASE)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    placed: dict[tuple[str, str], int] = {}
    for w in range(WORKERS):
        for connection, ext, second in _orders_of(w):
            placed[(connection, ext)] = second
    queue = sorted(placed, key=lambda k: (placed[k], k))
    with store.engine.connect() as conn:
        reserved = {r.sku: int(r.reserved) for r in conn.execute(sa.select(stock_positions))}
        short = {(r.connection, r.order_external_id, r.sku): int(r.shortfall)
                 for r in conn.execute(sa.select(stock_exceptions).where(
                     stock_exceptions.c.resolved_at.is_(None)))}
    store.dispose()
    assert reserved == {sku: len(queue) for sku in STOCK}
    expected = {(c, e, sku): 1 for sku, n in STOCK.items() for c, e in queue[n:]}
    assert short == expected
