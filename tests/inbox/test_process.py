"""Processing the inbox: webhook records land as a poll would store them, once, newest wins."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.errors import RetriableAPIError
from synchub.inbox import WebhookReceiver, process_inbox
from synchub.inbox.process import MAX_ATTEMPTS
from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.sandbox.kit.http import dumps
from synchub.store import Store
from synchub.store.delivery_tables import inbox
from synchub.store.stock_tables import stock_reservations
from synchub.store.tables import change_counters

from .conftest import body_of, secrets, shopify_headers, write_hub


def shop_info(sb: Any, srv: Any) -> ConnectionInfo:
    return ConnectionInfo(conn_id="shop", conn_type="http", host=srv.shopify_url("demo"),
                          password=sb.shopify("demo").access_token)


def place(sb: Any, quantity: int = 2) -> tuple[int, str]:
    shop = sb.shopify("demo", orders=0, customers=1, products=6)
    sku = sorted(shop._by_sku)[0]
    return shop.place_order([{"sku": sku, "quantity": quantity}])["id"], sku


def send(rcv: WebhookReceiver, record: dict[str, Any] | None, event: str,
         topic: str = "orders/updated", raw: bytes | None = None) -> None:
    body = raw if raw is not None else dumps(record)
    assert rcv.receive("shop", shopify_headers(body, topic, event), body).status == 200


def statuses(store: Store) -> list[tuple[str, str, str | None]]:
    with store.engine.connect() as conn:
        return [(r.event_id, r.status, r.error) for r in conn.execute(
            sa.select(inbox.c.event_id, inbox.c.status, inbox.c.error).order_by(inbox.c.id))]


def order_doc(store: Store, oid: int) -> dict[str, Any]:
    from synchub.store.tables import entity_table

    table = entity_table("order")
    with store.engine.connect() as conn:
        data = conn.execute(sa.select(table.c.data).where(
            table.c.connection == "shop", table.c.external_id == str(oid))).scalar_one()
    return data if isinstance(data, dict) else json.loads(data)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def reservations(store: Store) -> list[tuple[str, str, int]]:
    with store.engine.connect() as conn:
        return sorted((r.order_external_id, r.sku, r.open_qty) for r in conn.execute(
            sa.select(stock_reservations)))


def test_webhook_order_is_stored_and_reserved_exactly_as_a_poll_would(
        sandbox: Any, tmp_path: Path, store: Store) -> None:
    sb, srv = sandbox
    hub = write_hub(tmp_path, stock=True)
    oid, sku = place(sb, quantity=3)
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, sb.shopify("demo").order(oid), "e1", "orders/create")

    summary = process_inbox(store, hub, "shop")
    assert (summary.status, summary.events, summary.processed) == ("success", 1, 1)
    assert summary.changed.get("order") == 1 and summary.stored >= 1
    assert summary.stock.get("reservation_changes") == 1
    assert reservations(store) == [(str(oid), sku, 3)]
    assert statuses(store) == [("e1", "processed", None)]
    assert order_doc(store, oid)["lines"][0]["quantity"] == 3

    # the poll reads the same order from the API: same document, nothing to change
    polled = sync_stream(hub, "shop", "orders", store=store, conn_info=shop_info(sb, srv))
    assert polled.fetched == 1 and polled.unchanged == polled.fetched and polled.stored == 0
    assert polled.stock.get("reservation_changes", 0) == 0
    assert reservations(store) == [(str(oid), sku, 3)]


def test_older_version_never_overwrites_a_newer_one(sandbox: Any, hub: Hub,
                                                    store: Store) -> None:
    sb, _srv = sandbox
    oid, _sku = place(sb)
    shop = sb.shopify("demo")
    v1 = json.loads(dumps(shop.order(oid)))   # a snapshot: the store changes its row
    shop.mutate(orders_updated=1)
    v2 = json.loads(dumps(shop.order(oid)))
    assert v2["updated_at"] != v1["updated_at"]
    rcv = WebhookReceiver(hub, store, resolve=secrets)

    # out of order inside one page: the newer wins
    send(rcv, v2, "e2")
    send(rcv, v1, "e1")
    first = process_inbox(store, hub, "shop")
    assert first.processed == 2 and first.changed.get("order") == 1
    assert when(order_doc(store, oid)["updated_at"]) == when(v2["updated_at"])
    newest = order_doc(store, oid)

    # a late redelivery of the old version in a later run is skipped
    send(rcv, v1, "e1-late")
    late = process_inbox(store, hub, "shop")
    assert (late.processed, late.older, late.stored) == (1, 1, 0)
    assert order_doc(store, oid) == newest


def test_unrouted_topics_are_ignored_and_broken_records_dead_lettered(
        hub: Hub, store: Store) -> None:
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, {"id": 1, "title": "a product"}, "p1", topic="products/update")
    send(rcv, {"name": "#1001"}, "bad-1", topic="orders/create")       # no id
    send(rcv, None, "bad-2", topic="orders/create", raw=b"{not json")
    summary = process_inbox(store, hub, "shop")
    assert (summary.events, summary.ignored, summary.processed) == (3, 1, 2)
    # the id-less order fails both mappings of the stream (orders, refunds), as in a poll
    assert summary.quarantined == 3 and summary.stored == 0
    found = {e: (s, err) for e, s, err in statuses(store)}
    assert found["p1"] == ("ignored", "topic 'products/update' is not routed")
    assert found["bad-1"][0] == "processed" and "no id" in found["bad-1"][1]
    assert "not JSON" in found["bad-2"][1]
    letters = store.dead_letters(connection="shop")
    assert {d["stream"] for d in letters} == {"orders"}
    assert any("bad-2" in d["reason"] for d in letters)
    # nothing is pending any more: a second run has nothing to do
    assert process_inbox(store, hub, "shop").events == 0


def test_refund_topic_rereads_its_order_from_the_api(sandbox: Any, hub: Hub,
                                                     store: Store) -> None:
    sb, srv = sandbox
    oid, _sku = place(sb)
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, {"id": 777, "order_id": oid, "note": "damaged"}, "r1", topic="refunds/create")
    before = len(sb.shopify("demo").requests)
    summary = process_inbox(store, hub, "shop", conn_info=shop_info(sb, srv))
    assert summary.changed.get("order") == 1 and summary.fetched == 1
    paths = [r.path for r in sb.shopify("demo").requests[before:]]
    assert f"/admin/api/2025-07/orders/{oid}.json" in paths
    assert order_doc(store, oid)["external_id"] == str(oid)


def test_api_error_leaves_the_event_pending_for_the_retry(sandbox: Any, hub: Hub,
                                                          store: Store) -> None:
    sb, srv = sandbox
    oid, _sku = place(sb)
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, sb.shopify("demo").order(oid), "ok-1", topic="orders/create")
    send(rcv, {"id": 1, "order_id": oid}, "r1", topic="refunds/create")
    client = ConnectorClient(hub.connection("shop").connector, shop_info(sb, srv),
                             sleep=lambda _s: None)
    client.context()  # the shop currency is known; then the shop starts failing
    sb.shopify("demo").faults(rate_5xx=1.0)
    with pytest.raises(RetriableAPIError):
        process_inbox(store, hub, "shop", client=client)
    # the event before the failure is committed; the failed one waits, with its error
    found = {e: (s, err) for e, s, err in statuses(store)}
    assert found["ok-1"] == ("processed", None)
    assert found["r1"][0] == "pending" and "HTTP 5" in (found["r1"][1] or "")
    sb.shopify("demo").faults()
    assert process_inbox(store, hub, "shop", client=client).processed == 1

    # an event the API keeps failing on is dead-lettered at the last attempt, not retried
    send(rcv, {"id": 2, "order_id": oid}, "r2", topic="refunds/create")
    with store.transaction() as conn:
        conn.execute(sa.update(inbox).where(inbox.c.event_id == "r2").values(
            attempts=MAX_ATTEMPTS - 1))
    sb.shopify("demo").faults(rate_5xx=1.0)
    summary = process_inbox(store, hub, "shop", client=client)
    sb.shopify("demo").faults()
    client.close()
    assert (summary.status, summary.processed, summary.quarantined) == ("success", 1, 1)
    status, error = {e: (s, err) for e, s, err in statuses(store)}["r2"]
    assert status == "processed" and "gave up after" in (error or "")
    assert any("r2" in d["reason"] and d["stream"] == "orders"
               for d in store.dead_letters(connection="shop"))


def test_missed_webhook_is_recovered_by_the_poll_and_a_late_duplicate_changes_nothing(
        sandbox: Any, hub: Hub, store: Store) -> None:
    sb, srv = sandbox
    oid, _sku = place(sb)
    # no webhook arrived: the scheduled poll stores the order
    polled = sync_stream(hub, "shop", "orders", store=store, conn_info=shop_info(sb, srv))
    assert polled.changed.get("order") == 1
    with store.engine.connect() as conn:
        changes_before = conn.execute(sa.select(sa.func.sum(change_counters.c.value))).scalar()
    assert changes_before
    # the webhook finally arrives (twice): same content, nothing changes
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    body = body_of(sb.shopify("demo").order(oid))
    for _ in range(2):
        rcv.receive("shop", shopify_headers(body, "orders/create", "late"), body)
    summary = process_inbox(store, hub, "shop")
    assert (summary.processed, summary.stored, summary.unchanged) == (1, 0, 1)
    assert summary.changed == {}
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.sum(change_counters.c.value))).scalar() == \
            changes_before


def test_an_order_deleted_by_webhook_releases_its_reservation(sandbox: Any, tmp_path: Path,
                                                               store: Store) -> None:
    sb, _srv = sandbox
    hub = write_hub(tmp_path, stock=True)
    oid, sku = place(sb, quantity=3)
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, sb.shopify("demo").order(oid), "e1", "orders/create")
    process_inbox(store, hub, "shop")
    assert reservations(store) == [(str(oid), sku, 3)]

    body = dumps({"id": oid})
    assert rcv.receive("shop", shopify_headers(body, "orders/delete", "e2"), body).status == 200
    summary = process_inbox(store, hub, "shop")
    assert summary.deleted == 1 and summary.stock.get("reservation_changes") == 1
    assert reservations(store) == [(str(oid), sku, 0)]
