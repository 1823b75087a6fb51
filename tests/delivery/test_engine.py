"""The delivery engine against a fake sink: order, exactly once in effect, retries, dead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from synchub.canonical import Money, Order, Refund, SourceRef
from synchub.canonical.common import PartyRef
from synchub.store.delivery_tables import delivery_attempts, delivery_runs
from synchub.store.tables import bindings
from tests.delivery.conftest import PushWorld
from tests.store.conftest import make_customer, make_order

ERP = {"erp": {"customers": {"from": ["shop"]}, "orders": {"from": ["shop"]},
               "refunds": {"from": ["shop"]}}}
ERP_ORDERS = {"erp": {"orders": {"from": ["shop"]}}}


def order_of(ext: int, customer: int | None = None, total: str = "10.00") -> Order:
    order = make_order(ext, total=total)
    if customer is None:
        return order
    # id and hash are derived again from the new content
    return Order.model_validate({**order.model_dump(), "id": "", "content_hash": "",
                                 "customer": PartyRef(external_id=str(customer))})


def refund_of(ext: int, order_ext: int) -> Refund:
    return Refund(source=SourceRef(connection="shop", system="shopify", external_id=str(ext)),
                  external_id=str(ext), order_external_id=str(order_ext),
                  created_at=datetime(2025, 3, 2, tzinfo=UTC),
                  amount=Money(amount=Decimal("5.00"), currency="EUR"))


def test_customers_go_before_their_orders_and_bindings_keep_the_sink_ids(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    # the order is stored first, its customer later: rank puts the customer first anyway
    w.put(order_of(1, customer=7), order_of(2, customer=7), order_of(3))
    w.put(make_customer(7, "a@example.com"))
    summary = w.push()
    assert summary["status"] == "success"
    assert (summary["routed"], summary["delivered"], summary["dead"]) == (4, 4, 0)
    assert summary["routes"]["orders"]["delivered"] == 3
    box = w.sink()
    assert box.order[0][0] == "customer"
    cust_rid = box.by_ref[("customer", make_customer(7, "x").id)]
    assert box.remote("order", order_of(1, customer=7).id)["parents"] == {"customer": cust_rid}
    assert box.remote("order", order_of(3).id)["parents"] == {}
    rows = w.rows()
    assert {r.status for r in rows.values()} == {"delivered"}
    with w.store.engine.connect() as c:
        bound = {(r.entity, r.canonical_id): r.external_id for r in c.execute(
            sa.select(bindings).where(bindings.c.connection == "erp"))}
        run = c.execute(sa.select(delivery_runs)).one()
    assert bound[("customer", make_customer(7, "x").id)] == cust_rid
    assert run.status == "success" and run.summary["delivered"] == 4


def test_unchanged_records_are_not_sent_again_and_changes_are(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(order_of(1), order_of(2))
    w.push()
    again = w.push()
    assert (again["routed"], again["delivered"]) == (0, 0)
    assert w.sink().calls == 1
    w.put(order_of(1, total="12.00"), order_of(2))   # one changed, one the same
    third = w.push()
    assert (third["routed"], third["delivered"], third["skipped"]) == (1, 1, 0)
    box = w.sink()
    assert (box.creates, box.updates) == (2, 1)


def test_a_reply_lost_after_the_sink_committed_creates_nothing_twice(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(order_of(1), order_of(2))
    w.sink().script = ["lost_reply"]
    first = w.push()
    assert (first["retried"], first["delivered"]) == (2, 0)
    assert w.sink().creates == 2                     # the sink did commit
    w.later(30)                                      # the first backoff
    second = w.push()
    assert second["delivered"] == 0 and second["skipped"] == 2   # found there by reference
    assert (w.sink().creates, w.sink().updates) == (2, 0)
    assert {r.status for r in w.rows().values()} == {"delivered"}
    assert all(r.remote_id for r in w.rows().values())
    with w.store.engine.connect() as c:
        outcomes = sorted(r.outcome for r in c.execute(sa.select(delivery_attempts)))
    assert outcomes == ["retry", "retry", "skipped", "skipped"]


def test_5xx_bursts_back_off_exponentially_then_deliver(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"erp": {"orders": {"from": ["shop"], "backoff": "10s",
                                       "max_backoff": "25s"}}})
    w.put(order_of(1))
    w.sink().script = ["5xx", "5xx", "5xx"]
    assert w.push()["retried"] == 1
    row = w.rows()[order_of(1).id]
    assert row.attempts == 1 and "503" in row.last_error
    w.later(9)
    assert w.push()["retried"] == 0                  # not due yet: 10 s after attempt 1
    w.later(1)
    assert w.push()["retried"] == 1                  # attempt 2, next in 20 s
    w.later(20)
    assert w.push()["retried"] == 1                  # attempt 3, next in min(40, 25) s
    w.later(24)
    assert w.push()["delivered"] == 0
    w.later(1)
    assert w.push()["delivered"] == 1
    assert w.rows()[order_of(1).id].attempts == 0


def test_429_waits_for_retry_after(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(order_of(1))
    w.sink().script = ["429"]
    w.sink().retry_after = 120
    w.push()
    w.later(119)
    assert w.push()["delivered"] == 0
    w.later(1)
    assert w.push()["delivered"] == 1


def test_dead_after_max_attempts_and_refusals_at_once(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"erp": {"orders": {"from": ["shop"], "max_attempts": 2,
                                       "backoff": "1s"}}})
    for i in (1, 2, 3):                      # one page each: change_seq 1, 2, 3
        w.put(order_of(i))
    w.sink().refuse = {order_of(3).id}
    w.sink().script = ["5xx", "ok", "5xx"]   # batches of 2: [1, 2], [3]
    first = w.push()
    assert (first["retried"], first["dead"]) == (2, 1)
    assert w.rows()[order_of(3).id].last_error == "field x is invalid"
    w.later(2)
    second = w.push()
    assert second["dead"] == 2
    rows = w.rows()
    assert {rows[order_of(i).id].status for i in (1, 2, 3)} == {"dead"}
    assert rows[order_of(1).id].attempts == 2


def test_a_refund_waits_for_its_order(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    # the refund arrives before its order: not in the store, the writer defers it
    w.put(refund_of(50, 1))
    first = w.push()
    assert first["deferred"] == 1 and w.sink().creates == 0
    row = w.rows()[refund_of(50, 1).id]
    assert (row.status, row.attempts) == ("deferred", 0)   # no attempt used
    # the order arrives but the sink is down: the refund is held by the engine
    w.put(order_of(1))
    w.sink().script = ["5xx"]
    w.later(30)
    second = w.push()
    assert (second["retried"], second["deferred"]) == (1, 1)
    assert w.sink().calls == 2                            # the refund was never sent
    assert "waiting for order" in w.rows()[refund_of(50, 1).id].last_error
    w.later(30)
    third = w.push()
    assert third["delivered"] == 2
    box = w.sink()
    assert box.order == [("order", order_of(1).id), ("refund", refund_of(50, 1).id)]
    order_rid = box.by_ref[("order", order_of(1).id)]
    assert box.remote("refund", refund_of(50, 1).id)["parents"] == {"order": order_rid}


def test_deferred_too_long_is_dead(push_world: Callable[..., PushWorld]) -> None:
    w = push_world({"erp": {"refunds": {"from": ["shop"], "max_defer": "1h",
                                        "backoff": "10m"}}})
    w.put(refund_of(50, 1))
    w.push()
    w.later(3600)
    assert w.push()["dead"] == 1
    row = w.rows()[refund_of(50, 1).id]
    assert row.status == "dead" and "max_defer" in row.last_error


def test_a_spent_time_budget_stops_the_drain_after_one_batch(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    for i in (1, 2, 3):
        w.put(make_order(i))
    first = w.push(budget=0)                 # orders go 2 per batch
    assert (first["delivered"], first["status"], first["stopped"]) == (2, "partial", "budget")
    second = w.push(budget=0)
    assert (second["delivered"], second["status"], second["stopped"]) == (1, "success", None)


ORDER_EXPORT = """
entity: order
when: "status != 'pending'"
fields:
  ref: id
  number: {path: external_id, transform: to_int}
  total: total.amount
only_create: [ref]
"""


def test_the_write_mapping_builds_the_payload_and_its_errors_are_dead(
        push_world: Callable[..., PushWorld]) -> None:
    writers = {"orders": {"type": "fake", "entity": "order", "mapping": "test_orders"}}
    w = push_world(ERP_ORDERS, erp_writers=writers, erp_exports={"test_orders": ORDER_EXPORT})
    w.put(make_order(1), make_order("abc"), make_order(2, status="pending"))
    summary = w.push()
    assert (summary["routed"], summary["delivered"], summary["dead"], summary["skipped"]) == \
        (2, 1, 1, 1)
    assert w.sink().remote("order", make_order(1).id)["payload"] == {
        "ref": make_order(1).id, "number": 1, "total": "10.00"}
    dead = w.rows()[make_order("abc").id]
    assert dead.status == "dead" and "number" in dead.last_error
    # an update leaves out the create-only fields
    w.put(make_order(1, total="12.00"))
    w.push()
    assert w.sink().remote("order", make_order(1).id)["payload"] == {
        "number": 1, "total": "12.00"}
