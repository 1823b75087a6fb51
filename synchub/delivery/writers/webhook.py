"""Signed webhooks to a feed consumer: one POST per batch, HMAC-SHA256 over time and body.

The consumer's Airflow Connection gives the URL (its host, with schema and port as
:attr:`~synchub.runtime.ConnectionInfo.base_url` builds it) and the secret (its password).
Each batch is posted as ``{"consumer", "entity", "records", "sent_at"}`` with:

- ``X-Synchub-Timestamp``: unix seconds when it was signed;
- ``X-Synchub-Signature``: ``v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``;
- ``X-Synchub-Delivery``: the same for every attempt at the same set of records (derived
  from their idempotency keys), so the receiver can drop a retry it already processed.

Receivers check a call with :func:`verify_signature`. 2xx is delivered; 408, 429, 5xx,
timeouts and connection errors are retried (honouring ``Retry-After``) by the delivery
engine; any other status is refused for good (dead-lettered, replayable).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter
from synchub.errors import ConfigError
from synchub.runtime import ConnectionInfo
from synchub.runtime.classify import parse_retry_after

SIGNATURE_HEADER = "X-Synchub-Signature"
TIMESTAMP_HEADER = "X-Synchub-Timestamp"
DELIVERY_HEADER = "X-Synchub-Delivery"
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between signing and checking
RETRY_STATUSES = frozenset({408, 429})


class WebhookOptions(BaseModel):
    """Where and for whom: the Connection with URL and secret, and the feed consumer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conn_id: str = Field(min_length=1)
    consumer: str = Field(min_length=1)
    timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds per call.")


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Synchub-Signature`` value for a body sent at ``timestamp``."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify_signature(secret: str, timestamp: str | int, body: bytes | str, header: str,
                     tolerance: float = DEFAULT_TOLERANCE, *, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` at ``timestamp`` with ``secret``, recently enough.

    For receivers: pass the raw request body (before any JSON parsing), the
    ``X-Synchub-Timestamp`` and ``X-Synchub-Signature`` headers. A timestamp older or newer
    than ``tolerance`` seconds is refused (a replayed call); several comma-separated ``v1=``
    values are accepted so a secret can be rotated. Comparison is in constant time.
    """
    try:
        sent = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    expected = sign(secret, sent, body)
    ok = False
    for part in header.split(","):
        # compare every candidate: no early exit that would time the match
        ok |= hmac.compare_digest(part.strip(), expected)
    return ok


def delivery_id(items: Sequence[DeliveryItem]) -> str:
    """A stable id of a batch: the same records at the same versions give the same id."""
    digest = hashlib.sha256("\n".join(sorted(i.idempotency_key for i in items)).encode())
    return digest.hexdigest()[:32]


class SignedWebhookWriter(SinkWriter):
    """POSTs batches of canonical documents to a consumer's endpoint, signed with its secret."""

    options_model = WebhookOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: requests.Session | None = None
        self._target: tuple[str, str] | None = None

    def target(self) -> tuple[str, str]:
        """(URL, secret) from the Airflow Connection, read once per writer.

        The engine passes the runner's resolver (Airflow's Connections inside a task);
        without one, ``AIRFLOW_CONN_<CONN_ID>``.
        """
        if self._target is None:
            info = (self.resolve or ConnectionInfo.from_env)(self.options.conn_id)
            if not info.password:
                raise ConfigError(f"connection {info.conn_id!r}: password (the webhook "
                                  "signing secret) is empty", key="password")
            self._target = (info.base_url, info.password)
        return self._target

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Send the batch in one signed call; every item shares its outcome."""
        if not items:
            return []
        url, secret = self.target()
        body = json.dumps({
            "consumer": self.options.consumer,
            "entity": items[0].entity,
            "records": [i.document for i in items],
            "sent_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(secret, stamp, body),
            DELIVERY_HEADER: delivery_id(items),
            "User-Agent": "synchub-webhook/1",
        }
        if self._session is None:
            self._session = requests.Session()
        try:
            resp = self._session.post(url, data=body, headers=headers,
                                      timeout=self.options.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            # timeouts and refused connections: the receiver may have it or not; retry
            # with the same X-Synchub-Delivery so it can tell
            return self._all(items, "retry", f"webhook to consumer {self.options.consumer!r} "
                                             f"failed: {exc.__class__.__name__}")
        status = resp.status_code
        # status only: a receiver's error body may echo the records (and their PII)
        reason = f"webhook to consumer {self.options.consumer!r} answered HTTP {status}"
        if 200 <= status < 300:
            return self._all(items, "delivered", None)
        if status in RETRY_STATUSES or status >= 500:
            return self._all(items, "retry", reason,
                             parse_retry_after(resp.headers.get("Retry-After")))
        return self._all(items, "failed", reason)

    @staticmethod
    def _all(items: Sequence[DeliveryItem], outcome: Any, error: str | None,
             retry_after: float | None = None) -> list[DeliveryResult]:
        return [DeliveryResult(delivery_id=i.delivery_id, outcome=outcome, error=error,
                               retry_after=retry_after) for i in items]

    def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            self._session.close()
            self._session = None
