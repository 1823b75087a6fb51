"""Udesk: the hub's customers pushed as Udesk customers, created or updated by a stable key.

The key is the hub's customer id, sent as Udesk's ``web_token`` (the customer's unique id in
an outside system). Per customer:

1. known in Udesk (the delivery's remote id): ``PUT /customers/update_customer?type=id``;
2. otherwise ``GET /customers/get_customer?type=web_token&content=<hub id>``: found, it is
   updated by its id; not found, ``POST /customers`` creates it.

The create is sent once (not retried after a timeout): a retry starts again from the lookup,
so a reply lost after Udesk created the customer finds it instead of creating a second. The
Udesk id comes back as the remote id, which the hub keeps as the customer's binding in this
sink: tickets name customers by that id. Personal data never reaches a log or an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.errors import FatalAPIError
from synchub.systems.udesk.errors import NOT_FOUND_CODES, UdeskError, code_of, open_answer

if TYPE_CHECKING:
    from synchub.runtime import ConnectorClient

FIELDS = ("nick_name", "email", "web_token", "description", "tags", "lang", "cellphones")


class UdeskCustomerOptions(BaseModel):
    """``options`` of a ``udesk_customer_upsert`` writer (none yet)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def customer_body(item: DeliveryItem) -> dict[str, Any]:
    """``{"customer": {...}}`` from the write mapping's payload (ItemFailure naming the gap)."""
    p = item.payload
    if not isinstance(p, dict):
        raise ItemFailure(f"customer {item.record_id}: no payload (the route needs the "
                          "customers write mapping)")
    out = {k: p[k] for k in FIELDS if p.get(k) not in (None, "", [])}
    phone = str(p.get("phone") or "").strip()
    if phone and "cellphones" not in out:
        out["cellphones"] = [[None, phone]]   # Udesk's list of [id, number]; no id: a new one
    if not out.get("web_token"):
        raise ItemFailure(f"customer {item.record_id}: web_token (the hub id) is empty")
    if not out.get("nick_name"):
        raise ItemFailure(f"customer {item.record_id}: nick_name is required by Udesk; "
                          "the customer has no name, email or phone to show")
    return {"customer": out}


class UdeskCustomerWriter(PerItemWriter):
    """Creates or updates Udesk customers by web_token; the Udesk id is the remote id."""

    options_model = UdeskCustomerOptions

    @property
    def _client(self) -> ConnectorClient:
        if self.client is None:
            raise FatalAPIError(f"{self.sink}: the udesk_customer_upsert writer needs the "
                                "connection's client")
        return self.client

    def _url(self, path: str) -> str:
        base = (self.spec.path or "/customers").rstrip("/")
        return self._client.base_url + base + path

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              json: Any = None, once: bool = False,
              allow: frozenset[int] = frozenset()) -> Any:
        conn_id = self._client.conn.conn_id
        return self._client.http.request(
            "rest", method, self._url(path), params=params, json=json, once=once,
            unwrap=lambda body, url: open_answer(body, url, conn_id=conn_id, allow=allow))[1]

    def _update(self, udesk_id: str, body: dict[str, Any]) -> bool:
        """Update by Udesk id; False when Udesk no longer has it."""
        answer = self._call("PUT", "/update_customer", params={"type": "id",
                                                                 "content": udesk_id},
                            json=body, allow=NOT_FOUND_CODES)
        return code_of(answer) not in NOT_FOUND_CODES

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """One customer, updated where Udesk knows it, else created."""
        body = customer_body(item)
        if item.remote_id and self._update(item.remote_id, body):
            return DeliveryResult(item.delivery_id, "delivered", remote_id=item.remote_id)
        token = body["customer"]["web_token"]
        found = self._call("GET", "/get_customer", params={"type": "web_token",
                                                           "content": token},
                           allow=NOT_FOUND_CODES)
        existing = (found.get("customer") or {}).get("id") if isinstance(found, dict) else None
        if existing is not None and self._update(str(existing), body):
            return DeliveryResult(item.delivery_id, "delivered", remote_id=str(existing))
        try:
            created = self._call("POST", "", json=body, once=True)
        except UdeskError as exc:
            raise ItemFailure(f"customer {item.record_id}: Udesk refused it with code "
                              f"{exc.code}") from None
        new_id = (created.get("customer") or {}).get("id")
        if new_id is None:
            raise ItemFailure(f"customer {item.record_id}: Udesk answered without an id")
        return DeliveryResult(item.delivery_id, "delivered", remote_id=str(new_id))
