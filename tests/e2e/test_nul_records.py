"""A record the database cannot hold (NUL characters on PostgreSQL) is quarantined, not fatal."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synchub.pipeline import sync_stream
from synchub.plan import Hub
from synchub.runtime import ConnectionInfo, Page

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stats:
    requests: int = 1
    retries: int = 0


@dataclass
class OnePageClient:
    """Stands in for the connector client: one page of given raw records."""

    records: list[dict[str, Any]]
    stats: Stats = field(default_factory=Stats)

    def context(self) -> dict[str, Any]:
        return {}

    def read(self, stream: str, **_: Any) -> Any:
        yield Page(records=self.records, state={"cursor": "2025-06-01T00:00:00Z"}, number=1)

    def close(self) -> None:
        pass


def test_nul_in_a_record_quarantines_it_and_stores_the_rest(shop_hub: Hub, store: Any,
                                                            db_url: str) -> None:
    orders = json.loads((ROOT / "tests/mapping/fixtures/shopify/orders.json").read_text())
    raw = orders["orders"][:3]
    poisoned = copy.deepcopy(raw[1])
    poisoned["name"] = "#10\x0002"
    client = OnePageClient([raw[0], poisoned, raw[2]])
    summary = sync_stream(shop_hub, "shop", "orders", store=store, client=client,  # type: ignore[arg-type]
                          conn_info=ConnectionInfo(conn_id="shop", conn_type="http"))
    assert summary.status == "success"
    assert store.get_state("shop", "orders") == {"cursor": "2025-06-01T00:00:00Z"}
    if db_url.startswith("postgresql"):
        assert (summary.changed["order"], summary.quarantined) == (2, 1)
        (letter,) = store.dead_letters(connection="shop")
        assert letter["record_id"] == str(poisoned["id"])
        assert "NUL" in letter["reason"]
        assert letter["raw"]["name"] == "#10\ufffd02"
    else:   # SQLite stores NUL characters as they are
        assert (summary.changed["order"], summary.quarantined) == (3, 0)
