"""Feed API keys: issued once, kept only as a SHA-256, scoped to a feed consumer of hub.yaml.

A key reads ``shk_<prefix>_<secret>``: the 8-character prefix names the key in listings and
in the access log; the secret (32 URL-safe characters, 192 random bits) is shown once when
the key is created and never stored. Verification looks the key up by its hash and compares
in constant time; a revoked or expired key, or one whose consumer is no longer in hub.yaml,
is refused. Scopes are not stored with the key: they are the consumer's ``entities`` and
``connections`` in hub.yaml as it is now, so narrowing a consumer narrows its keys at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from synchub.errors import ConfigError
from synchub.store.delivery_tables import api_keys

if TYPE_CHECKING:
    from synchub.config.feeds import FeedConsumer
    from synchub.store import Store

KEY_SCHEME = "shk"
_KEY_RE = re.compile(r"^shk_([0-9a-f]{8})_([A-Za-z0-9_-]{32})$")
# last_used_at is a hint for operators, not an audit trail (that is api_access_log):
# write it at most once a minute per key rather than on every read
_TOUCH_EVERY = timedelta(seconds=60)


class InvalidKeyError(Exception):
    """The key was refused; ``reason`` is safe to show (it never holds the key)."""

    def __init__(self, reason: str, prefix: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.prefix = reason, prefix


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``key`` is shown to the operator once and never again."""

    key: str
    prefix: str
    consumer: str


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """Who a verified key belongs to, with the consumer's current scopes."""

    consumer: str
    prefix: str
    config: FeedConsumer


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key (what ``api_keys.key_hash`` holds)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


def _consumers_or_fail(consumers: Mapping[str, Any], consumer: str) -> None:
    if consumer not in consumers:
        known = ", ".join(sorted(consumers)) or "none"
        raise ConfigError(f"unknown feed consumer {consumer!r}; configured: {known}",
                          key="feeds.consumers")


def issue_key(store: Store, consumer: str, consumers: Mapping[str, Any], *,
              label: str | None = None, expires_at: datetime | None = None,
              now: datetime | None = None) -> IssuedKey:
    """Create a key for a consumer of hub.yaml; only its hash is stored."""
    _consumers_or_fail(consumers, consumer)
    now = now or datetime.now(UTC)
    with store.transaction() as conn:
        while True:
            prefix = secrets.token_hex(4)
            taken = conn.execute(sa.select(sa.func.count()).select_from(api_keys)
                                 .where(api_keys.c.prefix == prefix)).scalar_one()
            if not taken:  # prefixes name keys in `revoke`: keep them unambiguous
                break
        key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(24)}"
        conn.execute(sa.insert(api_keys).values(
            consumer=consumer, prefix=prefix, key_hash=hash_key(key), label=label,
            created_at=now, expires_at=expires_at))
    return IssuedKey(key=key, prefix=prefix, consumer=consumer)


def list_keys(store: Store, consumer: str | None = None) -> list[dict[str, Any]]:
    """Every key (never its hash): prefix, consumer, label, created, expires, used, revoked."""
    cols = [api_keys.c.prefix, api_keys.c.consumer, api_keys.c.label, api_keys.c.created_at,
            api_keys.c.expires_at, api_keys.c.last_used_at, api_keys.c.revoked_at]
    query = sa.select(*cols).order_by(api_keys.c.id)
    if consumer is not None:
        query = query.where(api_keys.c.consumer == consumer)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def revoke_key(store: Store, prefix: str, *, now: datetime | None = None) -> str:
    """Revoke the key with this prefix; returns its consumer. ConfigError if there is none."""
    prefix = prefix.removeprefix(f"{KEY_SCHEME}_")
    with store.transaction() as conn:
        row = conn.execute(sa.select(api_keys.c.id, api_keys.c.consumer, api_keys.c.revoked_at)
                           .where(api_keys.c.prefix == prefix)).first()
        if row is None:
            raise ConfigError(f"no API key with prefix {prefix!r}")
        if row.revoked_at is None:
            conn.execute(sa.update(api_keys).where(api_keys.c.id == row.id)
                         .values(revoked_at=now or datetime.now(UTC)))
        return str(row.consumer)


def verify_key(store: Store, key: str, consumers: Mapping[str, FeedConsumer], *,
               now: datetime | None = None) -> KeyIdentity:
    """The identity behind a presented key, or InvalidKeyError saying why not."""
    prefix = key_prefix(key)
    if prefix is None:
        raise InvalidKeyError("malformed API key")
    given = hash_key(key)
    now = now or datetime.now(UTC)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == given)).first()
    # the lookup is by hash; the comparison is repeated in constant time so that no
    # database collation or index quirk ever decides equality
    if row is None or not hmac.compare_digest(str(row.key_hash), given):
        raise InvalidKeyError("unknown API key", prefix)
    if row.revoked_at is not None:
        raise InvalidKeyError("API key revoked", prefix)
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise InvalidKeyError("API key expired", prefix)
    config = consumers.get(row.consumer)
    if config is None:
        raise InvalidKeyError("API key of a consumer no longer in hub.yaml", prefix)
    last = row.last_used_at
    if last is None or now - _aware(last) >= _TOUCH_EVERY:
        with store.transaction() as conn:
            conn.execute(sa.update(api_keys).where(api_keys.c.id == row.id)
                         .values(last_used_at=now))
    return KeyIdentity(consumer=str(row.consumer), prefix=str(row.prefix), config=config)


def _aware(value: datetime) -> datetime:
    # SQLite returns the stored UTC time without its zone
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
