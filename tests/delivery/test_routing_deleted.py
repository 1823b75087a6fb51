"""Routing leaves records deleted at their source alone: their tombstones go by the feeds."""

from __future__ import annotations

from collections.abc import Callable

from synchub.delivery.engine import route_sink
from tests.delivery.conftest import PushWorld
from tests.store.conftest import make_order

ORDERS = {"erp": {"orders": {"from": ["shop"]}}}


def test_a_record_deleted_before_it_went_out_is_not_sent(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ORDERS)
    w.put(make_order(1), make_order(2))
    w.store.mark_deleted("order", "shop", ["2"])
    counts = route_sink(w.store, w.hub, "erp", now=w.now)["orders"]
    assert (counts["routed"], counts["filtered"]) == (1, 1)
    assert list(w.rows()) == [make_order(1).id]
    # deleted after it was routed but before it got through: the waiting version is skipped
    w.store.mark_deleted("order", "shop", ["1"])
    summary = w.push()
    assert (summary["delivered"], summary["skipped"]) == (0, 1)
    assert w.sink().creates == 0
