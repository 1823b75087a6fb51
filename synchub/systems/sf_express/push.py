"""SF Express route pushes (RoutePushService) through the hub's webhook intake.

SF pushes new route nodes of the waybills ordered through 丰桥 to the URL the customer
configured, as JSON ``{"Body": {"WaybillRoute": [{mailno, orderid, acceptTime,
acceptAddress, remark, opCode, id, ...}]}}`` (at most 10 nodes a push; each node once), and
reads ``{"return_code": "0000", "return_msg": ...}`` as accepted ("1000" or anything else:
it pushes again). SF's route push page names no signature for the JSON method, so the proof
is the connection's webhook secret in the URL the hub gives SF (``?token=<secret>``),
compared in constant time; a push without it is refused and nothing is stored.

The event id is derived from the route nodes' ids (SF sends each node once, so a repeated
push of the same nodes is a duplicate). The push holds only the new nodes: the topic
re-reads the named waybills through the ``tracking`` stream (``refresh``), so the stored
shipment always carries its whole route list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from synchub.inbox.verify import PushRead, PushRefused

TOPIC = "RoutePushService"
MAX_NODES = 10
OK, FAILED = "0000", "1000"


class SfRoutePushVerifier:
    """The ``sf_route_push`` webhook verifier."""

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes,
               secret: bytes) -> PushRead | PushRefused:
        """The push read, or refused (no or a wrong token, not SF's JSON route push)."""
        token = str(query.get("token", "")).encode()
        if not token:
            return PushRefused(401, "missing token in the push URL")
        if not hmac.compare_digest(token, secret):
            return PushRefused(401, "invalid token")
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return PushRefused(415, "form (XML) pushes are not read: choose the JSON method "
                                    "for RoutePushService on 丰桥")
        try:
            text = body.decode("utf-8")
            doc = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return PushRefused(400, "body is not UTF-8 JSON")
        nodes = doc.get("Body", {}).get("WaybillRoute") if isinstance(doc, dict) and \
            isinstance(doc.get("Body"), dict) else None
        if isinstance(nodes, dict):
            nodes = [nodes]
        if not isinstance(nodes, list) or not nodes or len(nodes) > MAX_NODES or not all(
                isinstance(n, dict) and str(n.get("mailno") or "").strip() for n in nodes):
            return PushRefused(400, f"Body.WaybillRoute must hold 1 to {MAX_NODES} route "
                                    "nodes, each with its mailno")
        return PushRead(TOPIC, event_id(nodes), text)

    def reply(self, outcome: str, status: int, detail: str) -> dict[str, Any] | None:
        """SF's answer: 0000 when the push is kept (or was before), 1000 otherwise."""
        if outcome in ("stored", "duplicate", "ping"):
            return {"return_code": OK, "return_msg": "成功"}
        return {"return_code": FAILED, "return_msg": detail}


def event_id(nodes: list[dict[str, Any]]) -> str:
    """The nodes' ids (or mailno, opCode and time where a node has none), hashed."""
    parts = sorted(str(n.get("id") or f"{n.get('mailno')}|{n.get('opCode')}|"
                                        f"{n.get('acceptTime')}") for n in nodes)
    return "routes:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


SF_ROUTE_PUSH = SfRoutePushVerifier()
