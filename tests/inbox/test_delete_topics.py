"""Delete topics: a webhook saying a record was deleted at the source makes its tombstone,
which the change feed serves after the reader's cursor and the exports write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from synchub.canonical import Product, SourceRef
from synchub.canonical.product import ParentProduct
from synchub.feeds.export import export_consumer
from synchub.inbox import WebhookReceiver, process_inbox
from synchub.plan import Hub
from synchub.sandbox.kit.http import dumps
from synchub.store import Store
from synchub.store.delivery_tables import inbox
from tests.feeds.conftest import write_hub as write_feeds_hub

from .conftest import secrets, shopify_headers, woo_headers


def send(rcv: WebhookReceiver, connection: str, topic: str, event: str,
         record: dict[str, Any]) -> None:
    body = dumps(record)
    headers = (shopify_headers(body, topic, event) if connection == "shop"
               else woo_headers(body, topic, event))
    assert rcv.receive(connection, headers, body).status == 200


def test_an_order_deleted_at_the_source_is_a_tombstone_in_feed_and_export(
        sandbox: Any, hub: Hub, store: Store, tmp_path: Path) -> None:
    sb, _srv = sandbox
    shop = sb.shopify("demo", orders=0, customers=1, products=3)
    sku = sorted(shop._by_sku)[0]
    oid = shop.place_order([{"sku": sku, "quantity": 1}])["id"]
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, "shop", "orders/create", "e1", shop.order(oid))
    stored = process_inbox(store, hub, "shop")
    assert stored.changed == {"order": 1}
    cursor = store.read_feed("order").next_cursor
    stale = json.loads(dumps(shop.order(oid)))

    send(rcv, "shop", "orders/delete", "e2", {"id": oid})
    summary = process_inbox(store, hub, "shop")
    assert (summary.processed, summary.deleted, summary.changed) == (1, 1, {"order": 1})
    (tomb,) = store.read_feed("order", since=cursor).records
    assert (tomb["op"], tomb["entity"], tomb["connection"], tomb["external_id"]) == (
        "delete", "order", "shop", str(oid))
    with store.engine.connect() as conn:
        received = conn.execute(sa.select(inbox.c.received_at).where(
            inbox.c.event_id == "e2")).scalar_one()
    moment = received if received.tzinfo else received.replace(tzinfo=UTC)
    assert datetime.fromisoformat(tomb["deleted_at"]) == moment

    # a late redelivery of the version before the deletion does not bring it back
    send(rcv, "shop", "orders/updated", "e1-late", stale)
    late = process_inbox(store, hub, "shop")
    assert late.stored == 0 and store.read_feed("order", since=cursor).records == [tomb]

    # the exports write the tombstone too
    (tmp_path / "feeds").mkdir()
    feeds_hub = write_feeds_hub(tmp_path / "feeds")
    export_consumer(store, feeds_hub, "erp", run_id="r1")
    out = feeds_hub.root / "exports" / "erp" / "order" / "r1.jsonl"
    assert [json.loads(x)["op"] for x in out.read_text().splitlines()] == ["delete"]


def test_a_product_deletion_tombstones_every_variant_and_a_bad_body_is_dead_lettered(
        hub: Hub, store: Store) -> None:
    def variant(ext: str, parent: str) -> Product:
        return Product(source=SourceRef(connection="shop", system="shopify", external_id=ext),
                       external_id=ext, sku=f"SKU-{ext}", title="Shirt",
                       parent=ParentProduct(external_id=parent), status="active")

    store.write_page(connection="shop", stream="products", records=[
        variant("v1", "100"), variant("v2", "100"), variant("v3", "200")])
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, "shop", "products/delete", "p1", {"id": 100})
    send(rcv, "shop", "orders/delete", "bad", {"name": "#1001"})
    summary = process_inbox(store, hub, "shop")
    assert (summary.deleted, summary.quarantined) == (2, 1)
    gone = [r for r in store.read_feed("product").records if r.get("op") == "delete"]
    assert sorted(r["external_id"] for r in gone) == ["v1", "v2"]
    (letter,) = store.dead_letters(connection="shop")
    assert "the body has no usable id" in letter["reason"]


def test_a_woocommerce_order_deleted_is_a_tombstone(hub: Hub, store: Store) -> None:
    from tests.feeds.conftest import make_order

    store.write_page(connection="woo", stream="orders", records=[make_order("55", "woo")])
    rcv = WebhookReceiver(hub, store, resolve=secrets)
    send(rcv, "woo", "order.deleted", "d1", {"id": 55})
    assert process_inbox(store, hub, "woo").deleted == 1
    assert [(r.get("op"), r["external_id"]) for r in store.read_feed("order").records] == [
        ("delete", "55")]
