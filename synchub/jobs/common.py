"""What every job does around its engine call: load the hub, open the checked store."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synchub.config.ledger import LedgerConfig
from synchub.config.stock import StockConfig
from synchub.errors import ConfigError
from synchub.plan import Hub, load_hub
from synchub.store import Store

_lock = threading.Lock()
_hubs: dict[tuple[Path, bool], tuple[str, Hub]] = {}


def _digest(hub: Hub) -> str:
    """A digest of the hub file and every file under its connector and mapping folders."""
    files = [hub.path]
    for folder in (hub.root / hub.file.connectors_dir, hub.root / hub.file.mappings_dir):
        files += sorted(f for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else []
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f).encode() + b"\0")
        try:
            digest.update(f.read_bytes())
        except OSError:
            digest.update(b"\1missing")
    return digest.hexdigest()


def load(hub_path: str | Path, *, mappings: bool = True) -> Hub:
    """The hub at ``hub_path``, loaded again only when the content of one of its files changed.

    A command that runs several jobs (``synchub stock sync``: prepare, shards, report)
    loads and compiles it once; reading the files to compare costs milliseconds.
    """
    key = (Path(hub_path).resolve(), mappings)
    with _lock:
        hit = _hubs.get(key)
    if hit is not None and _digest(hit[1]) == hit[0]:
        return hit[1]
    hub = load_hub(hub_path, load_mappings=mappings)
    with _lock:
        _hubs[key] = (_digest(hub), hub)
    return hub


@contextmanager
def checked_store(url: str) -> Iterator[Store]:
    """The store at ``url``, checked to be at the migrations' head; disposed afterwards.

    Jobs never migrate: ``synchub db upgrade`` does, once per deploy. A store behind (or
    ahead of) the code fails here with a message that says so.
    """
    store = Store.from_url(url)
    try:
        store.check_current()
        yield store
    finally:
        store.dispose()


def store_url(hub: Hub, override: str | None = None) -> str:
    """``override`` (an absolute store URL) when given, else the hub's store URL."""
    return override or hub.store_url()


def need_stock(hub: Hub) -> StockConfig:
    """The hub's ``stock:`` section; ConfigError when it has none."""
    if hub.stock is None:
        raise ConfigError("the hub file has no stock section", file=str(hub.path), key="stock")
    return hub.stock


def need_ledger(hub: Hub) -> LedgerConfig:
    """The hub's ledger configuration; ConfigError when it keeps no ledger."""
    if hub.ledger is None:
        raise ConfigError("the hub keeps no ledger: add a `ledger:` section (functional "
                          "currency, channels) or mappings/ledger/*.yaml (docs/ledger.md)",
                          file=str(hub.path), key="ledger")
    return hub.ledger
