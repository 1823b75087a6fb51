"""In-test sink writers backed by a dict that models a sink (no HTTP, no store).

``FakeSink`` holds records by remote id and an index by the hub's record id (the
"external reference" real writers look up before creating). ``script`` queues faults,
one per write call: ``lost_reply`` (applied, then the reply is lost), ``5xx`` (nothing
applied), ``429`` (nothing applied, retry after ``retry_after`` seconds), ``refuse``
(every item failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from synchub.canonical.base import canonical_id
from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.errors import RetriableAPIError


@dataclass
class FakeSink:
    """What one sink holds, and what it was asked."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)   # remote id -> record
    by_ref: dict[tuple[str, str], str] = field(default_factory=dict)   # (entity, hub id) -> rid
    creates: int = 0
    updates: int = 0
    calls: int = 0
    order: list[tuple[str, str]] = field(default_factory=list)         # (entity, hub id) written
    script: list[str] = field(default_factory=list)
    retry_after: float = 5.0
    refuse: set[str] = field(default_factory=set)                      # hub ids always refused

    def remote(self, entity: str, record_id: str) -> dict[str, Any] | None:
        rid = self.by_ref.get((entity, record_id))
        return None if rid is None else self.records[rid]


SINKS: dict[str, FakeSink] = {}


def sink(name: str) -> FakeSink:
    """The model of sink ``name`` (created on first use)."""
    return SINKS.setdefault(name, FakeSink())


class FakeWriter(SinkWriter):
    """Upserts by remote id, or by looking the hub id up first: exactly once in effect."""

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        box = sink(self.sink)
        box.calls += 1
        fault = box.script.pop(0) if box.script else "ok"
        if fault == "5xx":
            raise RetriableAPIError("sink answered 503", status=503)
        if fault == "429":
            raise RetriableAPIError("sink answered 429", status=429,
                                    retry_after=box.retry_after)
        out = [self._one(box, item) for item in items]
        if fault == "lost_reply":
            raise RetriableAPIError("timed out waiting for the sink", status=504)
        if fault == "refuse":
            return [DeliveryResult(i.delivery_id, "failed", error="refused") for i in items]
        return out

    def _one(self, box: FakeSink, item: DeliveryItem) -> DeliveryResult:
        if item.record_id in box.refuse:
            return DeliveryResult(item.delivery_id, "failed", error="field x is invalid")
        missing = [e for e, rid in item.parents.items() if rid is None]
        if missing:
            return DeliveryResult(item.delivery_id, "deferred",
                                  error=f"{', '.join(missing)} not in the sink")
        rid = item.remote_id or box.by_ref.get((item.entity, item.record_id))
        body = {"hash": item.document.get("content_hash"), "payload": item.payload,
                "parents": dict(item.parents), "key": item.idempotency_key}
        if rid is not None and box.records[rid]["hash"] == body["hash"]:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=rid)
        if rid is None:
            rid = str(len(box.records) + 1)
            box.by_ref[(item.entity, item.record_id)] = rid
            box.creates += 1
        else:
            box.updates += 1
        box.records[rid] = body
        box.order.append((item.entity, item.record_id))
        return DeliveryResult(item.delivery_id, "delivered", remote_id=rid)


class FakeChildWriter(FakeWriter):
    """A writer of children: a refund or shipment needs its order in the sink first."""

    def parents(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        conn = document.get("order_connection") or document["source"]["connection"]
        return [("order", canonical_id(conn, "order", str(document["order_external_id"])))]


class FakeOrderWriter(FakeWriter):
    """Orders need their customer first (when they name one)."""

    def parents(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        cust = (document.get("customer") or {}).get("external_id")
        if not cust:
            return []
        return [("customer", canonical_id(document["source"]["connection"], "customer",
                                          str(cust)))]
