"""The shapes the runtime and the store share for cached access tokens (ADR 0020).

The runtime asks a :class:`TokenCache` for a token; the store implements one
(``synchub.store.tokens``). Neither layer imports the other, so what they exchange lives
here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CachedToken:
    """A token and the moment it lapses (epoch seconds); the refresh token that renews it.

    ``refresh`` is kept (encrypted, in the store) beside the token because some vendors
    rotate it: each refresh retires the one presented and hands back a new one, and only
    the newest renews the token. ``refresh_expires_at`` is None when its lifetime is unknown.
    """

    value: str
    expires_at: float
    refresh: str | None = None
    refresh_expires_at: float | None = None


@dataclass(frozen=True)
class TokenKey:
    """What identifies one token: the connection and a digest of what else decides it.

    The scope is a digest (never the credentials themselves) of, e.g., the token URL and
    the app key, so a Connection given another app does not reuse the old app's token.
    """

    connection: str
    scope: str

    @classmethod
    def of(cls, connection: str, *parts: str) -> TokenKey:
        """The key of ``connection``'s token decided by ``parts`` (digested)."""
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return cls(connection, digest)


# A fetch is handed the token the cache holds for the key (lapsed or refused; None when it
# holds none), so a scheme with refresh tokens renews with the newest one.
Fetch = Callable[[CachedToken | None], CachedToken]


class TokenCache(Protocol):
    """Where tokens live and how the clients sharing one agree on a single fetch."""

    def obtain(self, key: TokenKey, fetch: Fetch, *, valid_after: float,
               stale: str | None = None) -> CachedToken:
        """The token of ``key`` still valid at ``valid_after`` and other than ``stale``;
        when there is none, ``fetch`` is called once, by one client, with the token held
        (or None), and the token it returns is kept."""
        ...


def usable(token: CachedToken | None, valid_after: float, stale: str | None) -> bool:
    """Whether a cached token may be handed out."""
    return (token is not None and token.expires_at > valid_after
            and (stale is None or token.value != stale))
