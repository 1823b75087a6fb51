"""The ``store`` token cache: tokens in the hub's store, encrypted, fetched once (ADR 0020).

Every worker on every machine reads the same row, so a token fetched by one serves all
until it lapses. Workers that find the row missing, near its end or refused agree on one
fetch by locking the row for the fetch: ``SELECT ... FOR UPDATE`` on PostgreSQL (after an
``INSERT ... ON CONFLICT DO NOTHING`` that makes sure there is a row to lock), a
``BEGIN IMMEDIATE`` transaction on SQLite (the database's write lock). The others wait,
then find the fresh token and take it. A fetch that fails rolls back: nothing is kept.

The fetch is handed the token the row held (lapsed or refused): a scheme whose vendor
rotates refresh tokens renews with the newest, which is written back in the same
transaction, so no worker ever presents one the vendor has retired.

The token, and its refresh token if any, are stored as Fernet ciphertext. The key comes from
the environment: ``SYNCHUB_TOKEN_KEY``, else ``AIRFLOW__CORE__FERNET_KEY`` (the key Airflow
encrypts its Connections with: the deployment has it already). Either may list several keys
separated by commas, the first encrypting and all decrypting (key rotation, as Airflow
does). With neither set, a connector declaring ``auth.cache: store`` fails with a
:class:`~synchub.errors.ConfigError` naming both: no token is written in plain text. A row
no key opens (the key was changed) counts as no token: a new one is fetched.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.dialects import postgresql, sqlite

from synchub.errors import ConfigError
from synchub.store.engine import SQLITE_IMMEDIATE
from synchub.store.token_tables import auth_tokens
from synchub.tokens import CachedToken, Fetch, TokenKey, usable

log = logging.getLogger("synchub.store")
KEY_VARIABLES = ("SYNCHUB_TOKEN_KEY", "AIRFLOW__CORE__FERNET_KEY")


def token_cipher(environ: Mapping[str, str] | None = None) -> MultiFernet:
    """The Fernet keys from the environment; ConfigError when none is set or one is bad."""
    env = os.environ if environ is None else environ
    for name in KEY_VARIABLES:
        raw = (env.get(name) or "").strip()
        if not raw:
            continue
        try:
            return MultiFernet([Fernet(k.strip()) for k in raw.split(",") if k.strip()])
        except (ValueError, TypeError):
            raise ConfigError(f"{name} is not a Fernet key (32 url-safe base64-encoded "
                              "bytes; several separated by commas)") from None
    raise ConfigError("auth.cache 'store' keeps tokens encrypted, and no key is set: set "
                      f"{KEY_VARIABLES[0]} (a Fernet key) or {KEY_VARIABLES[1]}",
                      key="auth.cache")


def _utc(value: datetime | None) -> datetime | None:
    # SQLite gives the stored UTC time back without its offset
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row_values(cipher: MultiFernet, token: CachedToken) -> dict[str, Any]:
    """The columns that hold ``token``: its values encrypted, its times in UTC."""

    def seal(value: str | None) -> str | None:
        return None if value is None else cipher.encrypt(value.encode()).decode("ascii")

    def at(epoch: float | None) -> datetime | None:
        return None if epoch is None else datetime.fromtimestamp(epoch, UTC)

    return {"token": seal(token.value), "expires_at": at(token.expires_at),
            "refresh_token": seal(token.refresh),
            "refresh_expires_at": at(token.refresh_expires_at)}


class StoreTokenCache:
    """A :class:`~synchub.runtime.tokens.TokenCache` on the store's ``auth_tokens`` table."""

    def __init__(self, engine: sa.Engine, environ: Mapping[str, str] | None = None) -> None:
        self.engine, self.environ = engine, environ
        self._cipher: MultiFernet | None = None

    def cipher(self) -> MultiFernet:
        """The keys, read once (a missing key fails before the database is touched)."""
        if self._cipher is None:
            self._cipher = token_cipher(self.environ)
        return self._cipher

    def obtain(self, key: TokenKey, fetch: Fetch, *, valid_after: float,
               stale: str | None = None) -> CachedToken:
        """See :meth:`synchub.runtime.tokens.TokenCache.obtain`; the row locked meanwhile."""
        cipher = self.cipher()
        sqlite_db = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            if sqlite_db:
                conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
            with conn.begin():
                row = self._lock_row(conn, key)
                current = self._decrypt(cipher, key, row)
                if current is not None and usable(current, valid_after, stale):
                    return current
                token = fetch(current)
                conn.execute(
                    sa.update(auth_tokens)
                    .where(auth_tokens.c.connection == key.connection,
                           auth_tokens.c.scope == key.scope)
                    .values(**_row_values(cipher, token), fetched_at=datetime.now(UTC),
                            fetches=auth_tokens.c.fetches + 1))
                return token

    def _lock_row(self, conn: sa.Connection, key: TokenKey) -> Any:
        """The key's row, made if missing and locked until the transaction ends."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(auth_tokens)
                     .values(connection=key.connection, scope=key.scope, fetches=0)
                     .on_conflict_do_nothing())
        query = sa.select(auth_tokens.c.token, auth_tokens.c.expires_at,
                          auth_tokens.c.refresh_token, auth_tokens.c.refresh_expires_at).where(
            auth_tokens.c.connection == key.connection, auth_tokens.c.scope == key.scope)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).one()

    @staticmethod
    def _decrypt(cipher: MultiFernet, key: TokenKey, row: Any) -> CachedToken | None:
        expires = _utc(row.expires_at)
        if row.token is None or expires is None:
            return None
        try:
            value = cipher.decrypt(row.token.encode("ascii")).decode()
            refresh = (cipher.decrypt(row.refresh_token.encode("ascii")).decode()
                       if row.refresh_token is not None else None)
        except InvalidToken:
            log.warning("connection %s: the stored token does not open with the current "
                        "key; a new token is fetched", key.connection)
            return None
        refresh_expires = _utc(row.refresh_expires_at)
        return CachedToken(value, expires.timestamp(), refresh,
                           refresh_expires.timestamp() if refresh_expires else None)

    def fetches(self, key: TokenKey) -> int:
        """How often the key's token was fetched (0 when never)."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(auth_tokens.c.fetches).where(
                auth_tokens.c.connection == key.connection,
                auth_tokens.c.scope == key.scope)).scalar()
        return int(found or 0)
