"""What the ledger benchmark's steps share: the job, and the ingest benchmark's helpers.

The resident-memory sampler, the PostgreSQL schema helpers, process stopping and the version
list are the ingest benchmark's (``bench/ingest/procs.py``), so every benchmark measures the
same way.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "ingest"))

from procs import (
    PG_URL,
    PYTHON,
    ROOT,
    RssSampler,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_reachable,
    versions,
)

__all__ = ["PG_URL", "PYTHON", "ROOT", "LedgerJob", "RssSampler", "drop_pg_schemas",
           "new_pg_schema", "new_workdir", "pg_reachable", "versions"]


@dataclass(frozen=True)
class LedgerJob:
    """What a worker step needs: the store, the hub file and the volume."""

    db: str  # "sqlite" or "postgresql"
    target: str  # SQLite file, or PostgreSQL schema
    hub: str
    orders: int
    days: int

    @property
    def url(self) -> str:
        """The store's SQLAlchemy URL (search_path pinned to the schema on PostgreSQL)."""
        if self.db == "sqlite":
            return f"sqlite:///{self.target}"
        return f"{PG_URL}?options=-csearch_path%3D{self.target}"

    def to_json(self) -> str:
        """The job as one JSON argument."""
        return json.dumps(asdict(self))
