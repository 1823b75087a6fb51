"""Token caches in the runtime: the process cache, the keeper, and choosing by auth.cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from synchub.config.connector_parts import TokenCacheSpec
from synchub.errors import ConfigError
from synchub.runtime.auth import token_cache
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.tokens import PROCESS_TOKENS, MemoryTokenCache, TokenKeeper
from synchub.tokens import CachedToken, TokenKey

KEY = TokenKey.of("shop", "https://vendor.example/token", "app-1")


class Vendor:
    def __init__(self, lifetime: float = 3600, clock: Callable[[], float] = time.time) -> None:
        self.lifetime, self.count, self.clock = lifetime, 0, clock
        self._lock = threading.Lock()

    def fetch(self, previous: CachedToken | None = None) -> CachedToken:
        time.sleep(0.05)
        with self._lock:
            self.count += 1
            return CachedToken(f"t{self.count}", self.clock() + self.lifetime)


def test_the_scope_is_a_digest_that_tells_apps_apart() -> None:
    other = TokenKey.of("shop", "https://vendor.example/token", "app-2")
    assert KEY.connection == other.connection and KEY.scope != other.scope
    assert "app-1" not in KEY.scope and len(KEY.scope) == 64


def test_threads_of_one_process_fetch_once() -> None:
    vendor, cache = Vendor(), MemoryTokenCache()
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(
        TokenKeeper(cache, KEY, vendor.fetch, margin=60).token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert vendor.count == 1 and set(got) == {"t1"}


def test_the_keeper_renews_near_the_end_and_after_a_refusal() -> None:
    now = [1000.0]
    vendor = Vendor(lifetime=100, clock=lambda: now[0])
    keeper = TokenKeeper(MemoryTokenCache(), KEY, vendor.fetch, margin=30,
                         clock=lambda: now[0])
    first = keeper.token()
    now[0] += 50                               # 50 s left of 100: beyond the margin of 30
    assert keeper.token() == first
    now[0] += 30                               # 20 s left: renewed
    second = keeper.token()
    assert second != first
    assert keeper.renew(second) not in (first, second)
    assert keeper.renew(first) == keeper.token()     # an older refusal fetches nothing
    assert vendor.count == 3 and keeper.fetches == 3


class _Spec(TokenCacheSpec):
    pass


def test_auth_cache_names_the_cache() -> None:
    conn = ConnectionInfo(conn_id="shop", host="https://vendor.example")
    assert token_cache(_Spec(), conn, None) is PROCESS_TOKENS
    mine = MemoryTokenCache()
    assert token_cache(_Spec(cache="store"), conn, mine) is mine
    with pytest.raises(ConfigError, match=r"connection 'shop': auth\.cache is 'store'"):
        token_cache(_Spec(cache="store"), conn, None)


def test_the_memory_cache_hands_the_held_token_to_the_fetch() -> None:
    cache, seen = MemoryTokenCache(), []

    def fetch(previous: CachedToken | None) -> CachedToken:
        seen.append(previous)
        n = len(seen)
        return CachedToken(f"t{n}", 0.0, f"r{n}")       # lapsed at once: fetched every time

    cache.obtain(KEY, fetch, valid_after=1.0)
    cache.obtain(KEY, fetch, valid_after=1.0)
    assert seen == [None, CachedToken("t1", 0.0, "r1")]
