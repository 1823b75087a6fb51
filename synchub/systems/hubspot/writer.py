"""HubSpot: customers as CRM contacts through ``POST /crm/v3/objects/contacts/batch/upsert``.

One call writes up to 100 contacts, each keyed by a unique property (``email`` by default,
or a custom property with unique values such as ``synchub_id``). An upsert is idempotent
by nature: when a reply is lost after HubSpot committed, the retry updates the same
contact instead of creating a second one, so no lookup is needed before writing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.errors import ConfigError, FatalAPIError

if TYPE_CHECKING:
    from synchub.runtime import ConnectorClient

MAX_INPUTS = 100  # HubSpot refuses a batch of more than 100 inputs with a 400
# properties whose values are personal data: never echoed from HubSpot's messages
PII_PROPERTIES = ("email", "phone", "mobilephone", "firstname", "lastname", "address", "zip")
_EMAIL = re.compile(r"[^\s@,;:\[\]{}()<>\"']+@[^\s@,;:\[\]{}()<>\"']+")
MAX_MESSAGE = 300


class HubSpotUpsertOptions(BaseModel):
    """``options`` of a ``hubspot_batch_upsert`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_property: str = Field(
        default="email", pattern=r"^[a-z][a-z0-9_]*$",
        description="Unique contact property the upsert matches on (email, or a custom "
                    "property with unique values).")


class _Input:
    """One batch input: the merged properties of every item that shares its key."""

    __slots__ = ("items", "key", "properties", "trace")

    def __init__(self, key: str, item: DeliveryItem, properties: dict[str, str]) -> None:
        self.key, self.items, self.properties = key, [item], properties
        self.trace = str(item.delivery_id)


class HubSpotBatchUpsertWriter(SinkWriter):
    """Upserts contacts in batches; results are matched back per input, not by position.

    Hub customers that share the id property value in one batch (the same person bought
    in two shops) become one input, and every one of them gets that contact's id. A 207
    answer refuses some inputs: those items fail with HubSpot's reason, with personal data
    taken out; the others are delivered. A batch refused as a whole with a 400 is split in
    halves until the refused input is alone, so one bad record does not fail its neighbours.
    """

    options_model = HubSpotUpsertOptions

    @property
    def max_batch(self) -> int:
        """Items per call: the connector's batch size, never above HubSpot's 100."""
        return min(self.spec.batch_size, MAX_INPUTS)

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Upsert the items (merged by id property); one result per item, same order."""
        prop: str = self.options.id_property
        out: dict[int, DeliveryResult] = {}
        inputs: dict[str, _Input] = {}
        # the most recently updated version of a person wins where two hub customers differ
        for item in sorted(items, key=_updated_at):
            properties = _properties(item.payload)
            raw = properties.get(prop, "").strip()
            if not raw:
                out[item.delivery_id] = DeliveryResult(
                    item.delivery_id, "failed",
                    error=f"{item.entity} {item.record_id} has no {prop}")
                continue
            key = raw.lower() if prop == "email" else raw
            found = inputs.get(key)
            if found is None:
                inputs[key] = _Input(key, item, properties)
            else:
                found.items.append(item)
                found.properties.update(properties)
        batch = list(inputs.values())
        for start in range(0, len(batch), MAX_INPUTS):
            out.update(self._send(batch[start:start + MAX_INPUTS]))
        return [out[item.delivery_id] for item in items]

    def _client(self) -> ConnectorClient:
        if self.client is None:
            raise ConfigError(f"sink {self.sink!r}: the hubspot_batch_upsert writer needs a "
                              "connector client")
        if not self.spec.path:
            raise ConfigError("hubspot_batch_upsert needs a path "
                              "(/crm/v3/objects/contacts/batch/upsert)", key="writers.path")
        return self.client

    def _send(self, batch: list[_Input]) -> dict[int, DeliveryResult]:
        """One upsert call; a 400 for the whole batch is narrowed down by halving it."""
        client = self._client()
        url = client.base_url + (self.spec.path or "")
        prop = self.options.id_property
        body = {"inputs": [{"idProperty": prop, "id": i.properties[prop].strip(),
                            "properties": i.properties, "objectWriteTraceId": i.trace}
                           for i in batch]}
        try:
            _, answer = client.http.request("rest", "POST", url, json=body)
        except FatalAPIError as exc:
            if exc.status != 400:
                raise FatalAPIError(_clean(exc.message, batch), status=exc.status,
                                    url=exc.url) from None
            if len(batch) > 1:
                half = len(batch) // 2
                return {**self._send(batch[:half]), **self._send(batch[half:])}
            return _fail(batch[0], f"HTTP 400: {_clean(_vendor(exc), batch)}")
        return self._match(batch, answer)

    def _match(self, batch: list[_Input], answer: Any) -> dict[int, DeliveryResult]:
        prop = self.options.id_property
        by_trace = {i.trace: i for i in batch}
        by_key = {i.key: i for i in batch}
        done: dict[str, tuple[str, str]] = {}  # trace -> (outcome, contact id or reason)
        body = answer if isinstance(answer, dict) else {}
        for result in body.get("results") or []:
            if not isinstance(result, dict) or not result.get("id"):
                continue
            target = by_trace.get(str(result.get("objectWriteTraceId") or ""))
            if target is None:  # HubSpot answers in any order: match by the key value
                value = str((result.get("properties") or {}).get(prop) or "").strip()
                target = by_key.get(value.lower() if prop == "email" else value)
            if target is not None:
                done[target.trace] = ("delivered", str(result["id"]))
        for err in body.get("errors") or []:
            if not isinstance(err, dict):
                continue
            raw_context = err.get("context")
            context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
            targets = [by_trace.get(str(t)) for t in context.get("objectWriteTraceId") or []]
            for value in context.get("ids") or []:
                targets.append(by_key.get(str(value).strip().lower() if prop == "email"
                                          else str(value).strip()))
            for target in targets:
                if target is not None and target.trace not in done:
                    reason = f"{err.get('category') or 'error'}: {err.get('message') or ''}"
                    done[target.trace] = ("failed", _clean(reason, [target]))
        out: dict[int, DeliveryResult] = {}
        for group in batch:
            outcome, value = done.get(group.trace, ("retry", ""))
            for item in group.items:
                if outcome == "delivered":
                    out[item.delivery_id] = DeliveryResult(item.delivery_id, "delivered",
                                                           remote_id=value)
                elif outcome == "failed":
                    out[item.delivery_id] = DeliveryResult(
                        item.delivery_id, "failed",
                        error=f"HubSpot refused {item.entity} {item.record_id}: {value}")
                else:  # neither a result nor an error: an upsert may simply be sent again
                    out[item.delivery_id] = DeliveryResult(
                        item.delivery_id, "retry",
                        error=f"HubSpot answered nothing for {item.entity} {item.record_id}")
        return out


def _updated_at(item: DeliveryItem) -> str:
    value = item.document.get("updated_at") if isinstance(item.document, dict) else None
    return str(value or "")


def _properties(payload: Any) -> dict[str, str]:
    """HubSpot property values are strings; a null is left out (HubSpot keeps its value)."""
    if not isinstance(payload, dict):
        return {}
    out: dict[str, str] = {}
    for name, value in payload.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[name] = value.isoformat()
        elif isinstance(value, list):  # multi-select properties take ';'-separated values
            out[name] = ";".join(str(v) for v in value if v is not None)
        else:
            out[name] = str(value)
    return out


def _vendor(exc: FatalAPIError) -> str:
    """HubSpot's own message of a refused call (``category: message``), else the error."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return exc.message
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('category') or 'error'}: {body['message']}"
    return exc.message


def _clean(message: str, inputs: Sequence[_Input]) -> str:
    """HubSpot's message without personal data (it quotes the email it refused)."""
    text = _EMAIL.sub("<email>", message)
    for group in inputs:
        for name in PII_PROPERTIES:
            value = group.properties.get(name, "").strip()
            if len(value) >= 3:
                text = re.sub(re.escape(value), f"<{name}>", text, flags=re.IGNORECASE)
    return text[:MAX_MESSAGE]


def _fail(group: _Input, reason: str) -> dict[int, DeliveryResult]:
    return {item.delivery_id: DeliveryResult(
        item.delivery_id, "failed",
        error=f"HubSpot refused {item.entity} {item.record_id}: {reason}")
        for item in group.items}
