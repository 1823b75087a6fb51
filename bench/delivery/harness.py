"""Processes and probes of the delivery benchmark: the sandbox, its counters, Odoo reads.

The resident-memory sampler and the PostgreSQL schema helpers are the ingest benchmark's
(``bench/ingest/procs.py``), so every benchmark measures the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
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
from scenario import HUBSPOT_ACCOUNT, ODOO_DB, ODOO_TEMPLATES, SEED

__all__ = ["PG_URL", "PYTHON", "ROOT", "DeliveryJob", "OdooProbe", "RssSampler",
           "SandboxDesc", "SandboxProcess", "drop_pg_schemas", "new_pg_schema", "new_workdir",
           "pg_admin_url", "pg_reachable"]

READY_TIMEOUT = 300
SANDBOX_MAIN = Path(__file__).with_name("sandbox_main.py")


@dataclass(frozen=True)
class DeliveryJob:
    """What a worker step needs: the store, the hub file, the sandbox and the volume."""

    db: str  # "sqlite" or "postgresql"
    target: str  # SQLite file, or PostgreSQL schema
    hub: str
    sandbox: dict[str, Any]  # the sandbox's ready file
    records: int
    run_id: str = ""
    feed_client: str = "testclient"  # or "uvicorn": a loopback server in a thread
    feed_page: int = 1000

    @property
    def url(self) -> str:
        """The store's SQLAlchemy URL (search_path pinned to the schema on PostgreSQL)."""
        if self.db == "sqlite":
            return f"sqlite:///{self.target}"
        return f"{PG_URL}?options=-csearch_path%3D{self.target}"

    def to_json(self) -> str:
        """The job as one JSON argument."""
        return json.dumps(asdict(self))


@dataclass(frozen=True)
class SandboxDesc:
    """Where the Odoo database and the HubSpot account answer, and their credentials."""

    base_url: str
    odoo: dict[str, Any]
    hubspot: dict[str, Any]

    @classmethod
    def from_ready(cls, ready: dict[str, Any]) -> SandboxDesc:
        """From the ready file ``python -m synchub.sandbox`` writes."""
        by = {s["system"]: s for s in ready["stores"]}
        return cls(ready["base_url"], by["odoo"], by["hubspot"])

    def stats(self, system: str) -> dict[str, Any]:
        """The request counters and record counts of one store."""
        name = ODOO_DB if system == "odoo" else HUBSPOT_ACCOUNT
        reply = requests.get(f"{self.base_url}/_sandbox/{system}/{name}/stats", timeout=60)
        reply.raise_for_status()
        return reply.json()

    def requests(self) -> dict[str, int]:
        """Requests each store has answered so far."""
        return {system: int(self.stats(system)["requests"]) for system in ("odoo", "hubspot")}


class OdooProbe:
    """Plain JSON-RPC reads of the served Odoo database (setup and checks, not measured)."""

    def __init__(self, desc: SandboxDesc) -> None:
        creds = desc.odoo["credentials"]
        self.url = desc.odoo["url"] + "/jsonrpc"
        self.db, self.password = creds["db"], creds["password"]
        self.uid = self._call("common", "login", [self.db, creds["login"], self.password])

    def _call(self, service: str, method: str, args: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": 1,
                "params": {"service": service, "method": method, "args": args}}
        reply = requests.post(self.url, json=body, timeout=120)
        reply.raise_for_status()
        answer = reply.json()
        if "error" in answer:
            raise RuntimeError(f"Odoo {method}: {answer['error']}")
        return answer["result"]

    def execute(self, model: str, method: str, args: list[Any],
                kwargs: dict[str, Any] | None = None) -> Any:
        """``object.execute_kw``."""
        return self._call("object", "execute_kw",
                          [self.db, self.uid, self.password, model, method, args, kwargs or {}])

    def active_skus(self) -> list[str]:
        """The default_code of every active product with one, in id order."""
        rows = self.execute("product.product", "search_read", [[["default_code", "!=", False]]],
                            {"fields": ["default_code"], "order": "id asc"})
        return [r["default_code"] for r in rows]

    def count(self, model: str, domain: list[Any]) -> int:
        """``search_count``."""
        return int(self.execute(model, "search_count", [domain]))


class SandboxProcess:
    """The sandbox (rate limits off) with one Odoo and one HubSpot store, in its own process.

    Started through ``sandbox_main.py``: the sandbox's command line, with two of its costs
    that grow with the records it holds taken out unless ``as_shipped`` (see that module).
    """

    def __init__(self, workdir: Path, as_shipped: bool = False) -> None:
        self.workdir, self.as_shipped = workdir, as_shipped
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> dict[str, Any]:
        ready = self.workdir / "sandbox.json"
        ready.unlink(missing_ok=True)
        log_path = self.workdir / "sandbox.log"
        cmd = [PYTHON, str(SANDBOX_MAIN), *(["--as-shipped"] if self.as_shipped else []),
               "--no-rate-limits", "--host", "127.0.0.1",
               "--port", "0", "--seed", str(SEED), "--ready-file", str(ready),
               "--store", f"odoo:{ODOO_DB}:products={ODOO_TEMPLATES}",
               "--store", f"hubspot:{HUBSPOT_ACCOUNT}:customers=0"]
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                self._stop()
                raise RuntimeError(f"sandbox not ready within {READY_TIMEOUT} s")
            time.sleep(0.1)
        desc: dict[str, Any] = json.loads(ready.read_text())
        return desc

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        stop_process(self.proc, timeout=30)
