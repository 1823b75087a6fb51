"""Where Weimob tokens are kept between calls: a cache behind a two-method interface.

A refresh token from the authorization-code grant may rotate: each refresh can hand back a
new one and retire the old. Lost, it can only be replaced by the merchant authorizing the
app again, so whatever keeps it must outlive the process that took it. The auth talks to a
:class:`TokenCache`; :class:`MemoryTokenCache` keeps tokens for the life of one client, and
a store-backed cache with the same two methods makes them survive between tasks.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TokenSet:
    """An access token, its expiry, and the refresh token that renews it (if any)."""

    access_token: str
    expires_at: float                      # epoch seconds
    refresh_token: str | None = None
    refresh_expires_at: float | None = None


class TokenCache(Protocol):
    """Loads and saves the tokens of one key (a Connection's app and shop)."""

    def load(self, key: str) -> TokenSet | None:
        """The tokens last saved under ``key``, or None."""

    def save(self, key: str, tokens: TokenSet) -> None:
        """Keep ``tokens`` under ``key`` (replacing what was there)."""


class MemoryTokenCache:
    """Tokens in a dict, for the life of this object."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> TokenSet | None:
        """The tokens under ``key``."""
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        """Keep ``tokens``."""
        with self._lock:
            self._tokens[key] = tokens


def cache_key(conn_id: str, client_id: str, shop: str | None) -> str:
    """``weimob:<conn_id>:<digest>``: the app and shop named without their secret values."""
    digest = hashlib.sha256(f"{client_id}\x00{shop or ''}".encode()).hexdigest()[:16]
    return f"weimob:{conn_id}:{digest}"
