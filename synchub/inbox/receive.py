"""Receive one webhook: check the connection, the size and the signature, store it once.

The answer must come quickly (Shopify waits 5 seconds), so nothing is mapped here: the raw
body is stored in the ``inbox`` table and the connection's sync DAG maps it later. A
duplicate delivery (same event id) is answered 200 and stores nothing; the unique key
(connection, event_id) decides, through INSERT .. ON CONFLICT DO NOTHING, so two deliveries
racing each other still store one row. Bodies are never logged: they hold personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jmespath
import sqlalchemy as sa
from jmespath.exceptions import JMESPathError

from synchub.config.webhooks import ConcatDigestSignatureSpec, RegisteredVerifierSpec
from synchub.errors import ConfigError, redact, register_secret
from synchub.inbox.verify import PushRefused, WebhookVerifier
from synchub.registry import REGISTRY
from synchub.store.delivery_tables import inbox
from synchub.store.writer import dialect_insert

if TYPE_CHECKING:
    from synchub.config.webhooks import WebhookIntakeSpec, WebhookSettings
    from synchub.plan import Hub
    from synchub.runtime import ConnectionInfo
    from synchub.store import Store

log = logging.getLogger("synchub.inbox")

SecretResolver = Callable[[str], "ConnectionInfo"]
OnStored = Callable[[str], None]
DEFAULT_MAX_BODY = 5 * 1024 * 1024
SECRET_EXTRA = "webhook_secret"  # noqa: S105 - the name of an extra key, not a secret
_MAX_ID = 255      # inbox.event_id
_MAX_TOPIC = 128   # inbox.topic


def inbox_asset_uri(connection: str) -> str:
    """The Asset a stored webhook of ``connection`` updates (the sync DAG listens to it)."""
    return f"synchub://inbox/{connection}"


def sign_body(secret: str | bytes, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): how Shopify and WooCommerce sign a webhook."""
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Receipt:
    """What the endpoint answers: HTTP status, outcome and a message without PII."""

    status: int
    outcome: str  # stored | duplicate | ping | refused
    detail: str = ""
    inbox_id: int | None = None
    reply: dict[str, Any] | None = None   # the body the system expects, when it has its own


def _default_resolver(conn_id: str) -> ConnectionInfo:
    from synchub.runtime import ConnectionInfo

    return ConnectionInfo.from_env(conn_id)


class WebhookReceiver:
    """Verifies, deduplicates and stores webhooks for the connections of one hub."""

    def __init__(self, hub: Hub, store: Store, *, resolve: SecretResolver | None = None,
                 on_stored: OnStored | None = None) -> None:
        self.hub, self.store = hub, store
        self.resolve = resolve or _default_resolver
        self.on_stored = on_stored

    # -- lookups ---------------------------------------------------------------------------

    def intake(self, connection: str) -> tuple[WebhookIntakeSpec, WebhookSettings] | None:
        """The connector's intake spec and the connection's settings, or None (404)."""
        plan = self.hub.connections.get(connection)
        if plan is None:
            return None
        settings, spec = plan.config.webhooks, plan.connector.webhooks
        if settings is None or not settings.enabled or spec is None:
            return None
        return spec, settings

    def ack_body(self, connection: str) -> dict[str, Any]:
        """Fields the connector adds to a 200 answer (its vendor reads them)."""
        found = self.intake(connection)
        return dict(found[0].ack_body) if found else {}

    def max_body(self, connection: str) -> int:
        """The body limit of ``connection`` (the default when it takes no webhooks)."""
        found = self.intake(connection)
        return found[1].max_body_bytes if found else DEFAULT_MAX_BODY

    def secret(self, connection: str) -> bytes:
        """The signing secret, read from the Airflow Connection; ConfigError when unset."""
        cfg = self.hub.connection(connection).config
        settings = cfg.webhooks
        if settings is not None and settings.secret_conn_id:
            value = self.resolve(settings.secret_conn_id).password
            where = f"the password of Airflow Connection {settings.secret_conn_id!r}"
        else:
            value = self.resolve(cfg.conn_id).extra.get(SECRET_EXTRA)
            where = f"extra {SECRET_EXTRA!r} of Airflow Connection {cfg.conn_id!r}"
        if not isinstance(value, str) or not value:
            raise ConfigError(f"connection {connection!r}: no webhook secret; set {where}",
                              key=f"connections.{connection}.webhooks.secret_conn_id")
        register_secret(value)
        return value.encode()

    # -- the request -----------------------------------------------------------------------

    def receive(self, connection: str, headers: Mapping[str, str], body: bytes,
                query: Mapping[str, str] | None = None) -> Receipt:
        """Handle one delivery; the caller answers ``Receipt.status`` (and ``reply``)."""
        found = self.intake(connection)
        if found is None:
            return Receipt(404, "refused", f"connection {connection!r} takes no webhooks")
        spec, settings = found
        head = {k.lower(): v for k, v in headers.items()}
        if len(body) > settings.max_body_bytes:
            return Receipt(413, "refused", f"body larger than {settings.max_body_bytes} bytes")
        if isinstance(spec.signature, RegisteredVerifierSpec):
            return self._receive_registered(connection, spec, spec.signature, head,
                                            dict(query or {}), body)
        assert spec.topic_header is not None  # checked by the spec
        topic = head.get(spec.topic_header.lower(), "").strip()
        if not topic and _is_form_ping(spec, body):
            # WooCommerce's ping is not signed; it is answered and nothing is kept
            return Receipt(200, "ping", "ping")
        given = head.get(spec.signature.header.lower(), "").strip()
        if not given:
            return Receipt(401, "refused", f"missing {spec.signature.header}")
        try:
            secret = self.secret(connection)
        except ConfigError as exc:
            log.error("webhook for %s refused: %s", connection, redact(exc))
            return Receipt(503, "refused", "webhook secret not configured")
        try:
            expected = self.expected_signature(connection, spec, secret, body)
        except ConfigError as exc:
            log.error("webhook for %s refused: %s", connection, redact(exc))
            return Receipt(503, "refused", "webhook client id not configured")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            return Receipt(401, "refused", f"invalid {spec.signature.header}")
        if not topic:
            return Receipt(400, "refused", f"missing {spec.topic_header}")
        if topic in spec.ping_topics:
            return Receipt(200, "ping", "ping")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Receipt(400, "refused", "body is not UTF-8")
        if spec.ping_when is not None and _body_says(spec.ping_when, text):
            return Receipt(200, "ping", "ping")
        id_name = spec.id_header or f"the body's {spec.id_path}"
        event_id = (head.get(spec.id_header.lower(), "") if spec.id_header
                    else _body_id(spec.id_path or "", text)).strip()
        if not event_id:
            return Receipt(400, "refused", f"missing {id_name}")
        if len(event_id) > _MAX_ID or len(topic) > _MAX_TOPIC:
            return Receipt(400, "refused", f"{id_name} or {spec.topic_header} too long")
        kept = {name: head[name] for name in _kept_names(spec) if name in head}
        return self._store(connection, topic, event_id, text, kept)

    def _receive_registered(self, connection: str, spec: WebhookIntakeSpec,
                            sig: RegisteredVerifierSpec, head: dict[str, str],
                            query: dict[str, str], body: bytes) -> Receipt:
        """A push checked and read by the connector's registered verifier."""
        verifier: WebhookVerifier = REGISTRY.get("webhook_verifier", sig.verifier,
                                                 key="webhooks.signature.verifier")

        def answer(receipt: Receipt) -> Receipt:
            reply = verifier.reply(receipt.outcome, receipt.status, receipt.detail)
            return Receipt(receipt.status, receipt.outcome, receipt.detail, receipt.inbox_id,
                           reply)

        try:
            secret = self.secret(connection)
        except ConfigError as exc:
            log.error("webhook for %s refused: %s", connection, redact(exc))
            return answer(Receipt(503, "refused", "webhook secret not configured"))
        read = verifier.verify(head, query, body, secret)
        if isinstance(read, PushRefused):
            return answer(Receipt(read.status, "refused", read.detail))
        if read.topic in spec.ping_topics:
            return answer(Receipt(200, "ping", "ping"))
        if not read.event_id or len(read.event_id) > _MAX_ID or not read.topic \
                or len(read.topic) > _MAX_TOPIC:
            return answer(Receipt(400, "refused", "event id or topic missing or too long"))
        kept = {name: head[name] for name in _kept_names(spec) if name in head}
        return answer(self._store(connection, read.topic, read.event_id, read.body, kept))

    def _store(self, connection: str, topic: str, event_id: str, text: str,
               kept: dict[str, Any]) -> Receipt:
        """Keep one verified event once (a duplicate event id stores nothing)."""
        if "\x00" in text:  # JSON escapes NUL; a raw one is no vendor body (and PostgreSQL
            return Receipt(400, "refused", "body contains a NUL byte")  # cannot store it)
        inbox_id = self._insert(connection, topic, event_id, text, kept)
        if inbox_id is None:
            log.info("webhook %s %s for %s: duplicate, ignored", topic, event_id, connection)
            return Receipt(200, "duplicate", "already received")
        log.info("webhook %s %s for %s stored as inbox %d", topic, event_id, connection,
                 inbox_id)
        if self.on_stored is not None:
            try:
                self.on_stored(connection)
            except Exception:  # the event is committed; the next poll or event picks it up
                log.exception("webhook for %s stored, but announcing it failed", connection)
        return Receipt(200, "stored", "stored", inbox_id)

    def expected_signature(self, connection: str, spec: WebhookIntakeSpec, secret: bytes,
                           body: bytes) -> str:
        """The signature header a genuine delivery of ``body`` carries."""
        sig = spec.signature
        if sig.type == "hmac_sha256_base64":
            return sign_body(secret, body)
        if not isinstance(sig, ConcatDigestSignatureSpec):
            raise ConfigError(f"connection {connection!r}: a registered verifier checks its "
                              "pushes itself", key="webhooks.signature")
        parts = {"body": body, "secret": secret}
        if "client_id" in sig.parts:
            cfg = self.hub.connection(connection).config
            try:
                value = self.resolve(cfg.conn_id).field(sig.client_id_field)
            except (KeyError, ValueError, ConfigError):
                value = None
            if value in (None, ""):
                raise ConfigError(f"connection {connection!r}: no client id in field "
                                  f"{sig.client_id_field!r} of Airflow Connection "
                                  f"{cfg.conn_id!r}",
                                  key=f"connections.{connection}.conn_id")
            parts["client_id"] = str(value).encode()
        return concat_digest(sig.algorithm, [parts[p] for p in sig.parts])

    def _insert(self, connection: str, topic: str, event_id: str, text: str,
                headers: dict[str, Any]) -> int | None:
        """Insert the event unless its id is known; its row id, or None for a duplicate."""
        with self.store.transaction() as conn:
            stmt = dialect_insert(conn, inbox).values(
                connection=connection, topic=topic, event_id=event_id, body=text,
                headers=headers, status="pending", attempts=0, received_at=datetime.now(UTC),
            ).on_conflict_do_nothing(index_elements=[inbox.c.connection, inbox.c.event_id])
            found = conn.execute(stmt.returning(inbox.c.id)).scalar_one_or_none()
        return None if found is None else int(found)


def concat_digest(algorithm: str, parts: list[bytes]) -> str:
    """Lower-case hex digest of the parts joined without separators (e.g. md5 of
    ``client_id + body + secret``)."""
    return hashlib.new(algorithm, b"".join(parts), usedforsecurity=False).hexdigest()


def _search(path: str, text: str) -> Any:
    try:
        return jmespath.search(path, json.loads(text))
    except (ValueError, RecursionError, JMESPathError):
        return None


def _body_says(path: str, text: str) -> bool:
    """Whether a JMESPath on a JSON body is true (a JSON true, not merely truthy)."""
    return _search(path, text) is True


def _body_id(path: str, text: str) -> str:
    """The event id a JMESPath finds in a JSON body ('' when it finds no text or number)."""
    found = _search(path, text)
    if isinstance(found, bool) or not isinstance(found, str | int):
        return ""
    return str(found)


def _kept_names(spec: WebhookIntakeSpec) -> list[str]:
    names = [n for n in (spec.topic_header, spec.id_header, *spec.keep_headers) if n]
    sig = getattr(spec.signature, "header", "").lower()
    return [n.lower() for n in names if n.lower() != sig]


def _is_form_ping(spec: WebhookIntakeSpec, body: bytes) -> bool:
    field = spec.ping_form_field
    if not field or len(body) > 64:
        return False
    return re.fullmatch(re.escape(field.encode()) + rb"=\d+", body.strip()) is not None


def pending_count(store: Store, connection: str) -> int:
    """How many events of ``connection`` wait to be processed."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(inbox).where(
            inbox.c.connection == connection, inbox.c.status == "pending")).scalar_one())
