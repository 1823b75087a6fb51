"""Salesforce: hub records upserted as SObjects by an external id field, 200 a call.

``PATCH /services/data/vXX.X/composite/sobjects/<SObject>/<ExtIdField>`` with
``{"allOrNone": false, "records": [{"attributes": {"type": ...}, <ExtIdField>: ..., ...}]}``
creates or updates each record by its external id (the hub's id). An upsert is idempotent:
a reply lost after Salesforce committed is answered by sending the same upsert again.

Salesforce answers HTTP 200 with one result per record, in the order sent:
``{"id", "success", "created", "errors": [{"statusCode", "message", "fields"}]}``. A record
refused there (a validation rule's FIELD_CUSTOM_VALIDATION_EXCEPTION, a required field)
fails alone with Salesforce's message and is dead-lettered; the others are delivered.

``options.account_link`` makes each record point at its buyer's Account by the Account's
external id (an Order needs one): the item waits until the buyer's customer is delivered to
this sink, so the reference resolves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.canonical.base import canonical_id
from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.errors import ConfigError, FatalAPIError
from synchub.systems.salesforce.auth import salesforce_auth
from synchub.systems.salesforce.errors import describe, vendor_error

if TYPE_CHECKING:
    from synchub.runtime import ConnectorClient

MAX_RECORDS = 200  # sObject Collections take at most 200 records a call
MAX_MESSAGE = 300
_EMAIL = re.compile(r"[^\s@,;:\[\]{}()<>\"']+@[^\s@,;:\[\]{}()<>\"']+")
_API_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"


class SalesforceUpsertOptions(BaseModel):
    """``options`` of a ``salesforce_upsert`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sobject: str = Field(pattern=_API_NAME,
                         description="The SObject written: Contact, Account, Order, "
                                     "Opportunity...")
    external_id_field: str = Field(
        default="Synchub_Id__c", pattern=_API_NAME,
        description="The SObject's external id field holding the hub id (unique, "
                    "created in Salesforce first).")
    account_link: str | None = Field(
        default=None, pattern=_API_NAME,
        description="Relationship to the buyer's Account (Account): the record names it by "
                    "the Account's external id, and waits until the buyer is delivered.")
    account_external_id_field: str = Field(default="Synchub_Id__c", pattern=_API_NAME)


class SalesforceUpsertWriter(SinkWriter):
    """Upserts records in collections of up to 200; each result read back in order."""

    options_model = SalesforceUpsertOptions

    @property
    def max_batch(self) -> int:
        """Items per call: the connector's batch size, never above Salesforce's 200."""
        return min(self.spec.batch_size, MAX_RECORDS)

    def parents(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """The buyer, when the record links to its Account."""
        buyer = self._buyer(document)
        return [("customer", buyer)] if buyer else []

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Upsert the items; one result per item, same order."""
        out: dict[int, DeliveryResult] = {}
        sent: list[tuple[DeliveryItem, dict[str, Any]]] = []
        for item in items:
            record = self._record(item)
            if isinstance(record, DeliveryResult):
                out[item.delivery_id] = record
            else:
                sent.append((item, record))
        for start in range(0, len(sent), MAX_RECORDS):
            out.update(self._send(sent[start:start + MAX_RECORDS]))
        return [out[item.delivery_id] for item in items]

    def _buyer(self, document: dict[str, Any]) -> str | None:
        if not self.options.account_link:
            return None
        buyer = (document.get("customer") or {}).get("external_id")
        connection = document.get("connection") or (document.get("source") or {}).get(
            "connection")
        return canonical_id(str(connection), "customer", str(buyer)) \
            if buyer and connection else None

    def _record(self, item: DeliveryItem) -> dict[str, Any] | DeliveryResult:
        """The record to send, or the item's result when it cannot go (yet)."""
        field = self.options.external_id_field
        if not isinstance(item.payload, dict):
            return DeliveryResult(item.delivery_id, "failed",
                                  error=f"{item.entity} {item.record_id}: no payload (the "
                                        "route needs its write mapping)")
        record = {"attributes": {"type": self.options.sobject},
                  **{k: _value(v) for k, v in item.payload.items() if v is not None}}
        if not str(record.get(field) or "").strip():
            return DeliveryResult(item.delivery_id, "failed",
                                  error=f"{item.entity} {item.record_id} has no {field}")
        if self.options.account_link:
            buyer = self._buyer(item.document)
            if buyer is None:
                return DeliveryResult(item.delivery_id, "failed",
                                      error=f"{item.entity} {item.record_id} names no "
                                            "customer; a Salesforce "
                                            f"{self.options.sobject} needs an Account")
            if item.parents.get("customer") is None and "customer" in item.parents:
                return DeliveryResult(item.delivery_id, "deferred",
                                      error=f"{item.entity} {item.record_id}: its customer "
                                            "is not in Salesforce yet")
            record[self.options.account_link] = {self.options.account_external_id_field: buyer}
        return record

    def _client(self) -> ConnectorClient:
        if self.client is None:
            raise ConfigError(f"sink {self.sink!r}: the salesforce_upsert writer needs a "
                              "connector client")
        if not self.spec.path:
            raise ConfigError("salesforce_upsert needs a path "
                              "(/services/data/v62.0/composite/sobjects)", key="writers.path")
        return self.client

    def _send(self, batch: list[tuple[DeliveryItem, dict[str, Any]]]
              ) -> dict[int, DeliveryResult]:
        """One collection upsert; results matched to records by position."""
        client = self._client()
        auth = salesforce_auth(client.http.auth)
        url = (f"{auth.instance_url()}{self.spec.path}/{self.options.sobject}/"
               f"{self.options.external_id_field}")
        body = {"allOrNone": False, "records": [record for _, record in batch]}
        try:
            _, answer = client.http.request("rest", "PATCH", url, json=body)
        except FatalAPIError as exc:
            raise vendor_error(exc) from None
        results = answer if isinstance(answer, list) else []
        out: dict[int, DeliveryResult] = {}
        for n, (item, _record) in enumerate(batch):
            result = results[n] if n < len(results) and isinstance(results[n], dict) else None
            out[item.delivery_id] = self._outcome(item, result)
        return out

    def _outcome(self, item: DeliveryItem, result: dict[str, Any] | None) -> DeliveryResult:
        if result is None:  # an upsert may simply be sent again
            return DeliveryResult(item.delivery_id, "retry",
                                  error=f"Salesforce answered nothing for {item.entity} "
                                        f"{item.record_id}")
        if result.get("success") and result.get("id"):
            return DeliveryResult(item.delivery_id, "delivered", remote_id=str(result["id"]))
        errors = [e for e in result.get("errors") or [] if isinstance(e, dict)]
        return DeliveryResult(item.delivery_id, "failed",
                              error=f"Salesforce refused {item.entity} {item.record_id}: "
                                    f"{_clean(describe(errors), item.payload)}")


def _value(value: Any) -> Any:
    """JSON for Salesforce: datetimes as ISO text, nested references kept."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items() if v is not None}
    return value


def _clean(message: str, payload: Any) -> str:
    """Salesforce's message without personal data (a rule's message may quote a value)."""
    text = _EMAIL.sub("<email>", message)
    if isinstance(payload, dict):
        for name, value in payload.items():
            if isinstance(value, str) and len(value.strip()) >= 3 and not name.endswith("__c"):
                text = re.sub(re.escape(value.strip()), f"<{name}>", text, flags=re.IGNORECASE)
    return text[:MAX_MESSAGE]
