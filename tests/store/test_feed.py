"""The change feed: change order, resumable cursor, exactly-once under concurrent writers."""

from __future__ import annotations

import random
import threading
import time

import pytest

from synchub.store import Store
from synchub.store import writer as writer_module
from tests.store.conftest import make_order


def read_all(
    store: Store, entity: str, since: int | None, limit: int
) -> tuple[list[str], int | None]:
    ids: list[str] = []
    while True:
        page = store.read_feed(entity, since=since, limit=limit)
        if not page.records:
            return ids, since
        ids += [r["id"] for r in page.records]
        since = page.next_cursor


def test_feed_order_and_resumable_cursor(store: Store) -> None:
    a, b, c = make_order(1), make_order(2), make_order(3)
    store.write_page(connection="shop", stream="orders", records=[a, b])
    store.write_page(connection="shop", stream="orders", records=[c])
    ids, cursor = read_all(store, "order", None, limit=2)
    assert sorted(ids[:2]) == sorted([a.id, b.id]) and ids[2] == c.id
    assert store.read_feed("order", since=cursor).records == []
    assert store.read_feed("order", since=cursor).next_cursor == cursor

    # a changed record moves to the end of the feed; unchanged ones do not come back
    a2 = make_order(1, total="11.00")
    store.write_page(connection="shop", stream="orders", records=[a2, b])
    page = store.read_feed("order", since=cursor)
    assert [r["id"] for r in page.records] == [a.id]
    assert page.records[0]["total"]["amount"] == "11.00"
    assert page.next_cursor is not None and cursor is not None and page.next_cursor > cursor

    # from the start, every record appears once, in change order
    ids, _ = read_all(store, "order", None, limit=1)
    assert ids == [b.id, c.id, a.id]


def test_feed_rejects_bad_limit_and_unknown_entity(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.read_feed("order", limit=0)
    with pytest.raises(KeyError, match="unknown entity"):
        store.read_feed("widget")


@pytest.mark.postgres
def test_concurrent_writers_reader_sees_every_row_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers commit pages of orders while a reader follows the feed: no gaps, no repeats."""
    store = Store.from_url(pg_url, pool_size=6)
    store.upgrade()
    real = writer_module._store_entity

    def slow_store_entity(*args, **kwargs):  # type: ignore[no-untyped-def]
        # widen the window between a page's writes and its commit, where an early
        # sequence number would let a later-committed page overtake it
        out = real(*args, **kwargs)
        time.sleep(random.uniform(0, 0.02))
        return out

    monkeypatch.setattr(writer_module, "_store_entity", slow_store_entity)
    pages, per_page = 25, 8
    expected: set[str] = set()
    batches: dict[int, list[list]] = {}
    for w in range(2):
        batches[w] = []
        for p in range(pages):
            orders = [make_order(f"{w}-{p}-{i}") for i in range(per_page)]
            expected |= {o.id for o in orders}
            batches[w].append(orders)
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            for orders in batches[w]:
                store.write_page(connection="shop", stream=f"s{w}", records=orders)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    seen: list[str] = []
    cursor: int | None = None
    try:
        while any(t.is_alive() for t in threads):
            page = store.read_feed("order", since=cursor, limit=5)
            seen += [r["id"] for r in page.records]
            cursor = page.next_cursor
        for t in threads:
            t.join()
        rest, _ = read_all(store, "order", cursor, limit=50)
        seen += rest
    finally:
        store.dispose()
    assert not errors
    assert len(seen) == len(set(seen))
    assert set(seen) == expected
