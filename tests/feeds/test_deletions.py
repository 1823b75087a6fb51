"""Deletions at the source: a tombstone after the reader's cursor, in the API, the exports
and the views; marking again changes nothing; a changed version brings the record back."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.feeds.api import consumers_of
from synchub.feeds.export import export_consumer
from synchub.feeds.keys import issue_key
from synchub.plan import Hub
from synchub.store import Store

from .conftest import line, make_customer, make_order

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
GONE = datetime(2025, 3, 2, 8, 30, tzinfo=UTC)


def read(client: TestClient, key: str, since: str) -> dict[str, Any]:
    resp = client.get("/api/v1/feeds/order", headers={"Authorization": f"Bearer {key}"},
                      params={"since": since})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_a_deleted_order_comes_as_a_tombstone_after_the_cursor(store: Store, hub: Hub) -> None:
    client = TestClient(create_app(lambda: store, lambda: hub))
    key = issue_key(store, "erp", consumers_of(hub)).key
    keep, gone = make_order("1"), make_order("2", lines=[line("L1", "SKU-1", 1, "5.00")])
    store.write_page(connection="shop", stream="orders", records=[keep, gone])
    first = read(client, key, "")
    assert sorted(r["external_id"] for r in first["records"]) == ["1", "2"]

    assert store.mark_deleted("order", "shop", ["2", "404"], deleted_at=GONE) == [gone.id]
    after = read(client, key, first["next_cursor"])
    assert after["records"] == [{
        "op": "delete", "entity": "order", "id": gone.id, "connection": "shop",
        "external_id": "2", "source": {"connection": "shop", "system": "shopify",
                                       "external_id": "2"},
        "deleted_at": "2025-03-02T08:30:00Z"}]
    # the store's own reader says the same
    page = store.read_feed("order", since=int(first["next_cursor"]))
    assert [r["op"] for r in page.records] == ["delete"]

    # marking it again is a no-op: no new change, nothing more in the feed
    assert store.mark_deleted("order", "shop", ["2"]) == []
    assert read(client, key, after["next_cursor"])["records"] == []

    # the views keep the row with its last version and say when it went
    with store.engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(sa.text(
            "SELECT external_id, deleted_at, total_e4 FROM feed_orders"))}
        lines = conn.execute(sa.text("SELECT deleted_at FROM feed_order_lines")).all()
    assert rows["1"].deleted_at is None and rows["2"].deleted_at == "2025-03-02T08:30:00.000000Z"
    assert rows["2"].total_e4 == 99000 and lines == [("2025-03-02T08:30:00.000000Z",)]


def test_the_same_content_again_stays_deleted_a_changed_version_comes_back(
        store: Store, hub: Hub) -> None:
    order = make_order("7")
    store.write_page(connection="shop", stream="orders", records=[order])
    (deleted_id,) = store.mark_deleted("order", "shop", ["7"])
    seq = store.read_feed("order").next_cursor
    # a stale re-read of the last version stores nothing and brings nothing back
    again = store.write_page(connection="shop", stream="orders", records=[make_order("7")])
    assert (again.stored, again.unchanged) == (0, 1)
    assert store.read_feed("order", since=seq).records == []
    # a changed version (e.g. restored from the trash) is a record again, with a new change
    restored = store.write_page(connection="shop", stream="orders",
                                records=[make_order("7", total="11.00")])
    assert restored.stored == 1
    (doc,) = store.read_feed("order", since=seq).records
    assert doc["id"] == deleted_id and "op" not in doc and doc["total"]["amount"] == "15.90"


def test_exports_write_the_tombstone(store: Store, hub: Hub) -> None:
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])
    export_consumer(store, hub, "erp", run_id="r1")
    store.mark_deleted("order", "shop", ["1"], deleted_at=GONE)
    store.mark_deleted("customer", "shop", ["c1"], deleted_at=GONE)
    summary = export_consumer(store, hub, "erp", run_id="r2")
    assert summary["records"] == 2
    out = hub.root / "exports" / "erp"
    (tomb,) = [json.loads(x) for x in (out / "order" / "r2.jsonl").read_text().splitlines()]
    assert (tomb["op"], tomb["entity"], tomb["external_id"], tomb["deleted_at"]) == (
        "delete", "order", "1", "2025-03-02T08:30:00Z")
    (row,) = csv.DictReader(io.StringIO((out / "order" / "r2.csv").read_text()))
    assert (row["external_id"], row["deleted_at"]) == ("1", "2025-03-02T08:30:00Z")
    (cust,) = [json.loads(x) for x in (out / "customer" / "r2.jsonl").read_text().splitlines()]
    assert cust["op"] == "delete" and ISO_Z.match(cust["deleted_at"])
    assert "c@example.com" not in (out / "customer" / "r2.jsonl").read_text()
