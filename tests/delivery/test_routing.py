"""Routing: cursors, initial: new, when, ownership, feed consumers, versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from synchub.canonical import Shipment, SourceRef
from synchub.config.loader import ConfigErrors
from synchub.delivery import routing
from synchub.delivery.engine import route_sink
from synchub.delivery.routes import build_routes, sink_names
from synchub.delivery.routing import idempotency_key
from synchub.errors import ConfigError
from tests.delivery.conftest import PushWorld
from tests.store.conftest import make_order

ORDERS = {"erp": {"orders": {"from": ["shop"]}}}


def shipment(ext: int, order_conn: str, order_ext: int) -> Shipment:
    return Shipment(source=SourceRef(connection="erp", system="odoo", external_id=str(ext)),
                    external_id=str(ext), order_connection=order_conn,
                    order_external_id=str(order_ext), tracking_number=f"TN{ext}")


def test_routing_resumes_from_its_cursor_while_writes_continue(
        push_world: Callable[..., PushWorld], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "PAGE_SIZE", 2)
    w = push_world(ORDERS)
    for i in range(1, 6):
        w.put(make_order(i))
    assert route_sink(w.store, w.hub, "erp")["orders"]["routed"] == 5
    assert w.store.get_state("erp", "route:orders") == {"cursor": 5}
    # more writes, one of them a change of a record already routed
    w.put(make_order(6))
    w.put(make_order(2, total="20.00"))
    counts = route_sink(w.store, w.hub, "erp")["orders"]
    assert counts == {"routed": 2, "unchanged": 0, "filtered": 0}
    assert w.store.get_state("erp", "route:orders") == {"cursor": 7}
    rows = w.rows()
    assert len(rows) == 6
    assert rows[make_order(2).id].change_seq == 7
    assert rows[make_order(2).id].idempotency_key == idempotency_key(
        "erp", "orders", make_order(2).id, make_order(2, total="20.00").content_hash)
    assert route_sink(w.store, w.hub, "erp")["orders"]["routed"] == 0


def test_only_the_routes_sources_are_read(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ORDERS)
    w.put(make_order(1))
    w.put(make_order(2, connection="woo"), connection="woo")
    summary = w.push()
    assert summary["routed"] == 1
    assert list(w.rows()) == [make_order(1).id]


def test_initial_new_sends_no_history(push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"erp": {"orders": {"from": ["shop"], "initial": "new"}}})
    w.put(make_order(1), make_order(2))
    first = w.push()
    assert (first["routed"], first["delivered"]) == (0, 0)
    w.put(make_order(3))
    w.put(make_order(1, total="15.00"))     # a change to an old record is news too
    second = w.push()
    assert (second["routed"], second["delivered"]) == (2, 2)


def test_when_filters_and_a_pending_version_that_no_longer_qualifies_is_dropped(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"erp": {"orders": {"from": ["shop"], "when": "status == 'open'"}}})
    w.put(make_order(1), make_order(2, status="cancelled"))
    w.sink().script = ["5xx"]
    summary = w.push()
    assert (summary["routed"], summary["skipped"], summary["retried"]) == (1, 1, 1)
    # order 1 is cancelled before it got through: the waiting version is not sent
    w.put(make_order(1, status="cancelled"))
    w.later(60)
    again = w.push()
    assert (again["delivered"], again["skipped"]) == (0, 1)
    assert w.rows()[make_order(1).id].status == "skipped"
    assert w.sink().creates == 0


def test_back_to_the_version_the_sink_holds_is_not_sent(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ORDERS)
    w.put(make_order(1))
    w.push()
    w.put(make_order(1, total="11.00"))
    route_sink(w.store, w.hub, "erp", now=w.now)
    w.put(make_order(1))                       # back before the change went out
    summary = w.push()
    assert summary["delivered"] == 0
    assert w.rows()[make_order(1).id].status == "delivered"
    assert w.sink().calls == 1


def test_tracking_goes_back_only_to_the_channel_that_sold(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"shop": {"tracking": {"from": ["erp"]}}})
    w.put(make_order(1))
    w.put(shipment(10, "shop", 1), shipment(11, "woo", 9), connection="erp")
    summary = w.push("shop")
    assert (summary["routed"], summary["delivered"], summary["skipped"]) == (1, 1, 1)
    box = w.sink("shop")
    # the order came from the shop itself: its sink id is its own id there (a binding)
    assert box.remote("shipment", shipment(10, "shop", 1).id)["parents"] == {"order": "1"}


def test_feed_consumers_with_webhooks_are_sinks(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ORDERS, feeds={"consumers": {
        "bi": {"entities": ["order", "customer", "stock_alert"], "connections": ["shop"],
               "webhook": {"conn_id": "bi_hook", "max_attempts": 3, "batch_size": 50}},
        "reader": {"entities": ["order"]}}})
    assert sink_names(w.hub) == ["bi", "erp"]
    routes = build_routes(w.hub, "bi")
    # the stock feeds go by the API and exports only
    assert [r.name for r in routes] == ["customer", "order"]
    order = routes[1]
    assert (order.writer.type, order.writer.batch_size, order.config.max_attempts) == \
        ("signed_webhook", 50, 3)
    assert order.writer.options == {"conn_id": "bi_hook", "consumer": "bi"}
    assert order.sources == ("shop",) and order.system is None


def test_unknown_sinks_and_routes_are_named(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ORDERS)
    with pytest.raises(ConfigError, match="unknown sink 'nope'; sinks: erp"):
        build_routes(w.hub, "nope")
    with pytest.raises(ConfigError, match="no enabled route 'refunds'; routes: orders"):
        build_routes(w.hub, "erp", only="refunds")
    with pytest.raises(ConfigErrors, match="no writer 'invoices'"):
        push_world({"erp": {"invoices": {}}})


@pytest.mark.postgres
def test_a_large_routing_keeps_the_deliveries_statistics_current(
        tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the per-page lookup of existing deliveries needs planner statistics."""
    import sqlalchemy as sa

    from synchub.plan import load_hub
    from synchub.store import Store
    from tests.delivery.conftest import fake_writers, write_push_hub

    monkeypatch.setattr(routing, "PAGE_SIZE", 2)
    monkeypatch.setattr(routing, "ANALYZE_FIRST", 3)
    fake_writers(monkeypatch)
    store = Store.from_url(pg_url)
    store.migrate()
    w = PushWorld(load_hub(write_push_hub(tmp_path, ORDERS)), store)

    def reltuples() -> float:
        with store.engine.connect() as conn:
            return float(conn.execute(sa.text(
                "select reltuples from pg_class where oid = 'deliveries'::regclass")
            ).scalar_one())

    try:
        for i in range(1, 3):
            w.put(make_order(i))
        route_sink(store, w.hub, "erp")
        assert reltuples() <= 0          # 2 routed: below the threshold, never analyzed
        for i in range(3, 8):
            w.put(make_order(i))
        route_sink(store, w.hub, "erp")
        assert reltuples() >= 4          # analyzed once the run had routed 3
    finally:
        store.dispose()
