"""The store's token cache: encrypted at rest, one fetch for many workers (ADR 0020)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from synchub.errors import ConfigError
from synchub.runtime.tokens import TokenKeeper
from synchub.store import Store
from synchub.store.token_tables import auth_tokens
from synchub.store.tokens import StoreTokenCache, token_cipher
from synchub.tokens import CachedToken, TokenKey

KEY = Fernet.generate_key().decode()
ENV = {"SYNCHUB_TOKEN_KEY": KEY}
TOKEN_KEY = TokenKey.of("weidian_shop", "https://api.vdian.com/token", "600123")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.upgrade()
    try:
        yield st
    finally:
        st.dispose()


class Vendor:
    """Hands out numbered tokens, slowly, counting the fetches."""

    def __init__(self, delay: float = 0.0, lifetime: float = 90000) -> None:
        self.delay, self.lifetime, self.count = delay, lifetime, 0
        self._lock = threading.Lock()

    def fetch(self, previous: CachedToken | None = None) -> CachedToken:
        time.sleep(self.delay)
        with self._lock:
            self.count += 1
            number = self.count
        return CachedToken(f"token-{number}", time.time() + self.lifetime)


def test_a_token_is_kept_encrypted_and_read_back(store: Store) -> None:
    vendor = Vendor()
    cache = StoreTokenCache(store.engine, ENV)
    first = cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())
    again = cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())
    assert first.value == again.value == "token-1"
    assert vendor.count == 1
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(auth_tokens)).one()
    assert "token-1" not in row.token                       # ciphertext, not the token
    assert Fernet(KEY.encode()).decrypt(row.token.encode()) == b"token-1"
    assert row.connection == "weidian_shop" and len(row.scope) == 64
    assert row.fetches == 1
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    assert abs(expires.timestamp() - first.expires_at) < 1


def test_a_token_near_its_end_is_fetched_again(store: Store) -> None:
    vendor = Vendor(lifetime=100)
    cache = StoreTokenCache(store.engine, ENV)
    cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())
    # valid for 100 s more, asked for 300 s ahead: too short
    renewed = cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time() + 300)
    assert renewed.value == "token-2"
    assert cache.fetches(TOKEN_KEY) == 2


def test_workers_starting_together_fetch_once(store: Store, db_url: str) -> None:
    vendor = Vendor(delay=0.3)
    # each worker its own engine, as separate processes would have
    stores = [Store.from_url(db_url) for _ in range(6)]
    got: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def worker(st: Store) -> None:
        keeper = TokenKeeper(StoreTokenCache(st.engine, ENV), TOKEN_KEY, vendor.fetch,
                             margin=300)
        barrier.wait()
        try:
            got.append(keeper.token())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for st in stores:
        st.dispose()
    assert not errors
    assert vendor.count == 1
    assert got == ["token-1"] * len(stores)
    assert StoreTokenCache(store.engine, ENV).fetches(TOKEN_KEY) == 1


def test_a_refused_token_is_replaced_once_for_every_worker(store: Store) -> None:
    vendor = Vendor()
    a = TokenKeeper(StoreTokenCache(store.engine, ENV), TOKEN_KEY, vendor.fetch, margin=300)
    b = TokenKeeper(StoreTokenCache(store.engine, ENV), TOKEN_KEY, vendor.fetch, margin=300)
    assert a.token() == b.token() == "token-1"
    # the vendor refuses token-1 long before its expiry: a renews it ...
    assert a.renew("token-1") == "token-2"
    # ... and b, refused too, takes a's new token instead of fetching a third
    assert b.renew("token-1") == "token-2"
    assert vendor.count == 2
    assert (a.fetches, b.fetches) == (2, 0)     # a: token-1 and token-2; b: none


def test_a_token_the_key_cannot_open_is_fetched_anew(store: Store) -> None:
    vendor = Vendor()
    StoreTokenCache(store.engine, ENV).obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())
    other = {"SYNCHUB_TOKEN_KEY": Fernet.generate_key().decode()}
    token = StoreTokenCache(store.engine, other).obtain(TOKEN_KEY, vendor.fetch,
                                                         valid_after=time.time())
    assert token.value == "token-2"


def test_a_rotated_key_still_opens_the_old_token(store: Store) -> None:
    vendor = Vendor()
    StoreTokenCache(store.engine, ENV).obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())
    rotated = {"AIRFLOW__CORE__FERNET_KEY": f"{Fernet.generate_key().decode()},{KEY}"}
    token = StoreTokenCache(store.engine, rotated).obtain(TOKEN_KEY, vendor.fetch,
                                                           valid_after=time.time())
    assert token.value == "token-1" and vendor.count == 1


def test_a_failed_fetch_keeps_nothing(store: Store) -> None:
    cache = StoreTokenCache(store.engine, ENV)

    def refused(previous: CachedToken | None) -> CachedToken:
        raise RuntimeError("the vendor said no")

    with pytest.raises(RuntimeError):
        cache.obtain(TOKEN_KEY, refused, valid_after=time.time())
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(auth_tokens)).scalar() == 0


def test_no_key_is_a_config_error_naming_both_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        token_cipher({})
    assert "SYNCHUB_TOKEN_KEY" in str(caught.value)
    assert "AIRFLOW__CORE__FERNET_KEY" in str(caught.value)
    with pytest.raises(ConfigError, match="SYNCHUB_TOKEN_KEY is not a Fernet key"):
        token_cipher({"SYNCHUB_TOKEN_KEY": "not-a-key"})


class RotatingVendor:
    """Renews only with the newest refresh token, retiring it; counts what it was shown."""

    def __init__(self) -> None:
        self.count, self.live, self.shown = 0, "refresh-0", []  # type: ignore[var-annotated]

    def fetch(self, previous: CachedToken | None) -> CachedToken:
        presented = previous.refresh if previous is not None else "refresh-0"
        self.shown.append(presented)
        assert presented == self.live, f"{presented} was retired"
        self.count += 1
        self.live = f"refresh-{self.count}"
        return CachedToken(f"token-{self.count}", time.time() + 100, self.live,
                           time.time() + 86400)


def test_the_refresh_token_is_kept_encrypted_and_handed_to_the_next_fetch(
        store: Store, db_url: str) -> None:
    vendor = RotatingVendor()
    first = StoreTokenCache(store.engine, ENV).obtain(TOKEN_KEY, vendor.fetch,
                                                      valid_after=time.time())
    assert (first.value, first.refresh) == ("token-1", "refresh-1")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(auth_tokens)).one()
    assert "refresh-1" not in row.refresh_token
    assert Fernet(KEY.encode()).decrypt(row.refresh_token.encode()) == b"refresh-1"
    expires = row.refresh_expires_at if row.refresh_expires_at.tzinfo else \
        row.refresh_expires_at.replace(tzinfo=UTC)
    assert abs(expires.timestamp() - (first.refresh_expires_at or 0)) < 1
    # another worker (its own engine) renews: it is handed refresh-1 from the row
    other = Store.from_url(db_url)
    try:
        second = StoreTokenCache(other.engine, ENV).obtain(
            TOKEN_KEY, vendor.fetch, valid_after=time.time() + 300)
    finally:
        other.dispose()
    third = StoreTokenCache(store.engine, ENV).obtain(TOKEN_KEY, vendor.fetch,
                                                      valid_after=time.time(),
                                                      stale="token-2")
    assert (second.refresh, third.refresh) == ("refresh-2", "refresh-3")
    assert vendor.shown == ["refresh-0", "refresh-1", "refresh-2"]


def test_a_failed_refresh_keeps_the_refresh_token_it_was_handed(store: Store) -> None:
    vendor = RotatingVendor()
    cache = StoreTokenCache(store.engine, ENV)
    cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time())

    def down(previous: CachedToken | None) -> CachedToken:
        raise RuntimeError("the vendor is down")

    with pytest.raises(RuntimeError):
        cache.obtain(TOKEN_KEY, down, valid_after=time.time() + 300)
    renewed = cache.obtain(TOKEN_KEY, vendor.fetch, valid_after=time.time() + 300)
    assert renewed.refresh == "refresh-2" and vendor.shown == ["refresh-0", "refresh-1"]
