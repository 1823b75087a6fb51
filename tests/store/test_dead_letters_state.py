"""Dead letters dedupe into attempts; stream state; the run log."""

from __future__ import annotations

import pytest

from synchub.store import DeadLetterIn, Store
from tests.store.conftest import make_order


def quarantine(store: Store, *letters: DeadLetterIn, stream: str = "orders") -> int:
    return store.write_page(connection="shop", stream=stream, records=[],
                            dead_letters=list(letters)).quarantined


def test_same_record_same_reason_counts_attempts(store: Store) -> None:
    letter = DeadLetterIn(entity="order", record_id="123", reason="total is not a number",
                          field="total", raw={"id": 123, "total": "abc"})
    assert quarantine(store, letter) == 1
    assert quarantine(store, letter) == 1
    rows = store.dead_letters()
    assert len(rows) == 1
    assert rows[0]["attempts"] == 2
    assert rows[0]["raw"] == {"id": 123, "total": "abc"}
    assert (rows[0]["record_id"], rows[0]["field"], rows[0]["stream"]) == ("123", "total",
                                                                          "orders")


@pytest.mark.parametrize(("second", "rows_expected"), [
    (DeadLetterIn(entity="order", record_id="123", reason="other reason", raw={}), 2),
    (DeadLetterIn(entity="order", record_id="124", reason="bad total", raw={}), 2),
    (DeadLetterIn(entity="order", record_id="123", reason="bad total", raw={"v": 2}), 1),
])
def test_dedupe_key_is_record_and_reason(
    store: Store, second: DeadLetterIn, rows_expected: int
) -> None:
    quarantine(store, DeadLetterIn(entity="order", record_id="123", reason="bad total", raw={}))
    quarantine(store, second)
    assert len(store.dead_letters()) == rows_expected


def test_records_without_id_dedupe_by_raw_content(store: Store) -> None:
    a = DeadLetterIn(entity=None, record_id=None, reason="no id", raw={"x": 1, "y": [1, 2]})
    same = DeadLetterIn(entity=None, record_id=None, reason="no id", raw={"y": [1, 2], "x": 1})
    other = DeadLetterIn(entity=None, record_id=None, reason="no id", raw={"x": 2})
    assert quarantine(store, a, same, other) == 3  # repeats within one page also count
    rows = sorted(store.dead_letters(), key=lambda r: r["attempts"])
    assert [(r["raw"], r["attempts"]) for r in rows] == [({"x": 2}, 1), ({"x": 1, "y": [1, 2]}, 2)]


def test_dead_letters_filter_by_connection_and_land_with_the_page(store: Store) -> None:
    res = store.write_page(
        connection="shop", stream="orders", records=[make_order(1)],
        dead_letters=[DeadLetterIn(entity="order", record_id="2", reason="bad", raw=None)],
        state={"cursor": "c1"})
    assert (res.stored, res.quarantined) == (1, 1)
    store.write_page(connection="other", stream="orders", records=[],
                     dead_letters=[DeadLetterIn(entity="order", record_id="2", reason="bad")])
    assert [r["connection"] for r in store.dead_letters(connection="shop")] == ["shop"]
    assert len(store.dead_letters()) == 2
    assert store.dead_letters(connection="nobody") == []


def test_state_set_get_reset(store: Store) -> None:
    assert store.get_state("shop", "orders") is None
    store.set_state("shop", "orders", {"cursor": "2025-01-01T00:00:00Z", "ids": [1, 2]})
    store.write_page(connection="shop", stream="orders", records=[], state={"cursor": "z"})
    assert store.get_state("shop", "orders") == {"cursor": "z"}
    assert store.get_state("shop", "customers") is None
    store.reset_state("shop", "orders")
    assert store.get_state("shop", "orders") is None


def test_run_log(store: Store) -> None:
    run_id = store.start_run("shop", "orders")
    assert store.runs()[0]["status"] == "running"
    store.finish_run(run_id, "success", fetched=10, stored=8, unchanged=1, quarantined=1,
                     cursor="2025-03-01T00:00:00Z", error=None)
    run = store.runs(connection="shop")[0]
    assert (run["id"], run["status"], run["fetched"], run["stored"], run["unchanged"],
            run["quarantined"], run["cursor"]) == (run_id, "success", 10, 8, 1, 1,
                                                   "2025-03-01T00:00:00Z")
    assert run["finished_at"] is not None
