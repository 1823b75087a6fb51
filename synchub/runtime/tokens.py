"""Access tokens shared by every client of a connection: one fetch, many users.

Some vendors hand out a token for a day and count how often it is asked for (a few
thousand fetches a day per app). A token asked for per task, per worker, runs the count out.
A token auth therefore does not keep the token itself: it asks a :class:`TokenCache` for
it, naming the token (:class:`TokenKey`) and how to fetch a new one. The cache decides
where the token lives and makes sure that the clients sharing it fetch once:

- ``memory`` (:data:`PROCESS_TOKENS`): one per process, shared by its threads;
- ``store``: a table of the hub's store, encrypted at rest, shared by every worker on
  every machine (``synchub.store.tokens``, handed to the client by whoever opened the
  store: the runtime imports no store).

A connector selects one with ``auth.cache`` (ADR 0020).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from synchub.errors import register_secret
from synchub.tokens import CachedToken, Fetch, TokenCache, TokenKey, usable

__all__ = ["PROCESS_TOKENS", "CachedToken", "MemoryTokenCache", "TokenCache", "TokenKeeper",
           "TokenKey"]


class MemoryTokenCache:
    """Tokens in this process's memory; one lock per key, so threads fetch once."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, CachedToken] = {}
        self._locks: dict[TokenKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def obtain(self, key: TokenKey, fetch: Fetch, *, valid_after: float,
               stale: str | None = None) -> CachedToken:
        """See :meth:`TokenCache.obtain`."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            held = self._tokens.get(key)
            if held is not None and usable(held, valid_after, stale):
                return held
            token = fetch(held)
            self._tokens[key] = token
            return token

    def forget(self, connection: str | None = None) -> None:
        """Drop the tokens of ``connection`` (None: all)."""
        with self._guard:
            for key in [k for k in self._tokens if connection in (None, k.connection)]:
                del self._tokens[key]


# the process-wide cache behind ``auth.cache: memory``
PROCESS_TOKENS = MemoryTokenCache()


class TokenKeeper:
    """What a token auth holds: its key, its fetch and the cache; a local copy for speed.

    The local copy saves a trip to the cache on every request; the cache is asked when the
    copy nears its end (``margin`` seconds before it) and when the vendor refused it.
    """

    def __init__(self, cache: TokenCache, key: TokenKey, fetch: Fetch, *, margin: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.cache, self.key, self._fetch, self.margin = cache, key, fetch, margin
        self.clock = clock
        self.fetches = 0            # fetches this keeper made (not those of other clients)
        self._local: CachedToken | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        """A token valid for at least ``margin`` more seconds."""
        with self._lock:
            valid_after = self.clock() + self.margin
            if self._local is None or not usable(self._local, valid_after, None):
                self._local = _secret(self.cache.obtain(self.key, self._counted,
                                                        valid_after=valid_after))
            return self._local.value

    def renew(self, stale: str) -> str:
        """A token other than ``stale``, which the vendor refused before its expiry.

        When another client already replaced it, that token is taken; otherwise one new
        token is fetched (and every client sharing the cache gets it).
        """
        with self._lock:
            if self._local is not None and self._local.value != stale and \
                    usable(self._local, self.clock() + self.margin, None):
                return self._local.value
            self._local = _secret(self.cache.obtain(
                self.key, self._counted, valid_after=self.clock() + self.margin, stale=stale))
            return self._local.value

    def _counted(self, previous: CachedToken | None) -> CachedToken:
        token = _secret(self._fetch(previous))
        self.fetches += 1
        return token


def _secret(token: CachedToken) -> CachedToken:
    """``token``, its values registered for masking (also when another worker fetched it)."""
    register_secret(token.value)
    if token.refresh:
        register_secret(token.refresh)
    return token
