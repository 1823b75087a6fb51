"""Registered webhook verifiers: pushes that are not an HMAC header over the body.

A system whose pushes carry their proof elsewhere (a digest inside a form, a token in the
URL it was given) registers a verifier (kind ``webhook_verifier``) and its connector names
it (``webhooks.signature: {type: registered, verifier: <name>}``). The verifier checks one
delivery with the connection's secret and reads what the intake needs from it: the topic,
the event id (the dedupe key) and the text to keep; it also says what the system expects
back, since some retry a push until they read their own success answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class PushRead:
    """A verified push: its topic, its event id and the text the inbox keeps."""

    topic: str
    event_id: str
    body: str


@dataclass(frozen=True)
class PushRefused:
    """A push refused: the HTTP status and a message without personal data."""

    status: int
    detail: str


class WebhookVerifier(Protocol):
    """Checks and reads one delivery; answers the system in its own words."""

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes,
               secret: bytes) -> PushRead | PushRefused:
        """The delivery read, or why it is refused (headers' names in lower case)."""

    def reply(self, outcome: str, status: int, detail: str) -> dict[str, Any] | None:
        """The body the system expects for this outcome (None: the hub's own answer)."""
