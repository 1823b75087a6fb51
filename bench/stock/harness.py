"""Processes and probes of the stock benchmark: the sandbox, its counters, reading listings back.

The resident-memory sampler and the PostgreSQL schema helpers are the ingest benchmark's
(``bench/ingest/procs.py``), so both benchmarks measure the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

sys.path.append(str(Path(__file__).resolve().parents[1] / "ingest"))

from procs import (
    PG_URL,
    PYTHON,
    ROOT,
    RssSampler,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_admin_url,
    pg_reachable,
    stop_process,
)
from scenario import CHANNELS, SEED, products_for

__all__ = ["PG_URL", "PYTHON", "ROOT", "RssSampler", "SandboxDesc", "SandboxProcess", "StockJob",
           "drop_pg_schemas", "new_pg_schema", "new_workdir", "pg_admin_url", "pg_reachable",
           "read_figures"]

READY_TIMEOUT = 600


@dataclass(frozen=True)
class StockJob:
    """What a worker step needs: the store, the hub file, the sandbox and the run."""

    db: str  # "sqlite" or "postgresql"
    target: str  # SQLite file, or PostgreSQL schema
    hub: str
    workdir: str
    sandbox: dict[str, Any]  # the sandbox's ready file
    skus: int
    run_id: str = ""
    sample: int = 40
    changed_only: bool = False  # verify: every listing the run sent is fed by a changed SKU

    @property
    def url(self) -> str:
        """The store's SQLAlchemy URL (search_path pinned to the schema on PostgreSQL)."""
        if self.db == "sqlite":
            return f"sqlite:///{self.target}"
        return f"{PG_URL}?options=-csearch_path%3D{self.target}"

    def to_json(self) -> str:
        """The job as one JSON argument."""
        return json.dumps(asdict(self))


@dataclass
class SandboxDesc:
    """Where each channel's sandbox store answers, and with which credentials."""

    base_url: str
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel -> store entry

    @classmethod
    def from_ready(cls, ready: dict[str, Any]) -> SandboxDesc:
        """From the ready file ``python -m synchub.sandbox`` writes."""
        by_key = {(s["system"], s["name"]): s for s in ready["stores"]}
        return cls(ready["base_url"], {ch: by_key[key] for ch, key in CHANNELS.items()})

    def stats(self, channel: str) -> dict[str, Any]:
        """The request counters of a channel's store."""
        system, name = CHANNELS[channel]
        reply = requests.get(f"{self.base_url}/_sandbox/{system}/{name}/stats", timeout=60)
        reply.raise_for_status()
        return reply.json()

    def requests_by_channel(self) -> dict[str, dict[str, Any]]:
        """Every channel store's request total and per-path counts."""
        out = {}
        for channel in CHANNELS:
            s = self.stats(channel)
            out[channel] = {"requests": s["requests"], "by_path": s["requests_by_path"],
                            "counts": s["counts"]}
        return out


class SandboxProcess:
    """``python -m synchub.sandbox`` with the five channel stores, in a process of its own."""

    def __init__(self, skus: int, workdir: Path) -> None:
        self.skus, self.workdir = skus, workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> dict[str, Any]:
        ready = self.workdir / "sandbox.json"
        ready.unlink(missing_ok=True)
        log_path = self.workdir / "sandbox.log"
        products = products_for(self.skus)
        cmd = [PYTHON, "-m", "synchub.sandbox", "--no-rate-limits", "--host", "127.0.0.1",
               "--port", "0", "--seed", str(SEED), "--ready-file", str(ready)]
        for system, name in CHANNELS.values():
            cmd += ["--store", f"{system}:{name}:products={products},orders=0,customers=0"]
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                self._stop()
                raise RuntimeError(f"sandbox not ready within {READY_TIMEOUT} s")
            time.sleep(0.2)
        desc: dict[str, Any] = json.loads(ready.read_text())
        return desc

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        stop_process(self.proc, timeout=20)


# -- reading listings back from the sandbox ------------------------------------------------

_LEVELS = """
query Levels($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on InventoryLevel { quantities(names: ["available"]) { quantity } } }
}
"""


def _shopify_figures(store: dict[str, Any], listing_ids: list[str]) -> dict[str, int | None]:
    gids = []
    for listing in listing_ids:
        item, location = listing.split(":")
        gids.append(f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}")
    reply = requests.post(f"{store['url']}/admin/api/2026-04/graphql.json", timeout=60,
                          json={"query": _LEVELS, "variables": {"ids": gids}},
                          headers={"X-Shopify-Access-Token":
                                   store["credentials"]["access_token"]})
    reply.raise_for_status()
    nodes = reply.json()["data"]["nodes"]
    out: dict[str, int | None] = {}
    for listing, node in zip(listing_ids, nodes, strict=True):
        quantities = (node or {}).get("quantities") or [{}]
        out[listing] = quantities[0].get("quantity")
    return out


def _woo_figures(store: dict[str, Any], listings: list[tuple[str, str | None]]
                 ) -> dict[str, int | None]:
    creds = store["credentials"]
    auth = (creds["consumer_key"], creds["consumer_secret"])
    api = f"{store['url']}/wp-json/wc/v3"
    out: dict[str, int | None] = {}
    for listing, parent in listings:
        object_id = int(listing.split(":")[0])
        if parent:
            reply = requests.get(f"{api}/products/{parent}/variations", auth=auth, timeout=60,
                                 params={"per_page": "100"})
            reply.raise_for_status()
            found = next((v for v in reply.json() if v["id"] == object_id), {})
        else:
            reply = requests.get(f"{api}/products/{object_id}", auth=auth, timeout=60)
            reply.raise_for_status()
            found = reply.json()
        out[listing] = found.get("stock_quantity")
    return out


def read_figures(desc: SandboxDesc, channel: str, listings: list[tuple[str, str | None]]
                 ) -> dict[str, int | None]:
    """What the channel's sandbox store shows now per listing id ((id, parent id) pairs)."""
    store = desc.stores[channel]
    if CHANNELS[channel][0] == "shopify":
        return _shopify_figures(store, [listing for listing, _ in listings])
    return _woo_figures(store, listings)
