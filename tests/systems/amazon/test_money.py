"""Amazon's money end to end on the simulator: the settlements (financial event groups) and
their events are synced through the project's connector and mappings, and the books post
each closed group so that what it paid into the bank is exactly what its orders, refunds and
fees put through the Amazon clearing account; settlement matching finds every charge's order
and every group's total.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.ledger.build import build_ledger
from synchub.ledger.journal_store import lines_for
from synchub.ledger.rates import FixedRates
from synchub.ledger.settlement import match_settlements, unmatched
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store
from synchub.store.tables import entity_table
from tests.systems.amazon.test_contract import conn_for

ROOT = Path(__file__).resolve().parents[3]
GB = "A1F83G8C2ARO7P"
CLEARING = "121400"
FAST = ("searchOrders", "getMarketplaceParticipations", "listFinancialEventGroups",
        "listFinancialEventsByGroupId")


def money_hub(tmp_path: Path) -> Hub:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"amazon_demo": {"connector": "amazon", "conn_id": "amazon_demo",
                                        "roles": ["marketplace"]}},
        "ledger": {"functional_currency": "EUR",
                   "channels": {"amazon_demo": {"clearing": CLEARING}}}}))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def synced(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[Hub, Any]]:
    """Orders, settlements and their events of a seller selling in EUR, in the store."""
    monkeypatch.setenv("SYNCHUB_MAP_WORKERS", "0")   # a group's page holds a few events
    plan = money_hub(tmp_path)
    sandbox = Sandbox(seed=11)
    account: Any = sandbox.store("amazon", "demo", orders=45)
    # EUR marketplaces only: the books are in EUR and this test brings no rates
    account.records = {k: o for k, o in account.records.items()
                       if o["salesChannel"]["marketplaceId"] != GB}
    account.marketplace_ids.remove(GB)
    for op in FAST:   # a seller with a generous plan: the test is not about pacing
        account.plans[op] = (1000.0, 1000)
        account.stated_rates[op] = 1000.0
    with SandboxServer(sandbox) as server:
        conn = conn_for(server, account)
        for stream in ("orders", "financial_event_groups", "financial_events"):
            result = sync_stream(plan, "amazon_demo", stream, store=store, conn_info=conn)
            assert (result.status, result.quarantined) == ("success", 0), stream
        yield plan, account


def docs(store: Store, entity: str) -> list[dict[str, Any]]:
    table = entity_table(entity)
    with store.engine.connect() as conn:
        return [{"id": r.id, **(r.data if isinstance(r.data, dict) else json.loads(r.data))}
                for r in conn.execute(sa.select(table.c.id, table.c.data))]


def test_each_closed_group_posts_to_its_payout_through_the_clearing_account(
        synced: tuple[Hub, Any], store: Store) -> None:
    plan, _account = synced
    payouts = {p["external_id"]: p for p in docs(store, "payout")}
    moves = docs(store, "balance_transaction")
    refunds = {r["external_id"]: r for r in docs(store, "refund")}
    orders = {o["external_id"]: o for o in docs(store, "order")}
    paid = sorted((p for p in payouts.values() if p["status"] == "paid"),
                  key=lambda p: p["issued_at"])
    assert len(paid) >= 3
    assert refunds, "the simulator refunds one shipped order in four"
    # every movement names its group; a group's total is the sum of its movements' nets
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for mv in moves:
        by_group[mv["payout_external_id"]].append(mv)
    for gid, payout in payouts.items():
        assert sum(Decimal(mv["net"]["amount"]) for mv in by_group[gid]) == Decimal(
            payout["amount"]["amount"]), gid

    # the books of a group with a refund and of one without: their days and the days before
    with_refund = [p for p in paid if any(mv["type"] == "refund"
                                          for mv in by_group[p["external_id"]])]
    without = [p for p in paid if p not in with_refund
               and any(mv["type"] == "charge" for mv in by_group[p["external_id"]])]
    chosen = [with_refund[0], without[0]]
    first = min(datetime.fromisoformat(p["period_start"]) for p in chosen) - timedelta(days=7)
    last = max(datetime.fromisoformat(p["issued_at"]) for p in chosen)
    summary = build_ledger(store, plan, first_day=first.date(), last_day=last.date(),
                           rates=FixedRates({}, provider="ecb", max_age_days=5))
    assert summary.dead == 0, store.dead_letters()
    assert summary.per_kind["refund"] >= 1 and summary.per_kind["fees"] >= 1
    assert summary.suspense_lines == 0, summary.suspense   # every fee type has its account
    clearing = lines_for(store, account=CLEARING)
    for payout in chosen:
        gid = payout["external_id"]
        sources = {f"balance_transaction:{mv['id']}" for mv in by_group[gid]}
        sources |= {f"order:{orders[mv['order_external_id']]['id']}" for mv in by_group[gid]
                    if mv["type"] == "charge"}
        sources |= {f"refund:{refunds[mv['refund_external_id']]['id']}"
                    for mv in by_group[gid] if mv["type"] == "refund"}
        put_through = sum((Decimal(str(ln["debit"])) - Decimal(str(ln["credit"]))
                           for ln in clearing if ln["source"] in sources), Decimal(0))
        paid_out = [ln for ln in clearing if ln["entry_id"] and ln["source"]
                    == f"payout:{payout['id']}"]
        # (a negative total, a group the refunds and fees outweigh, turns the sides)
        assert [Decimal(str(ln["credit"])) - Decimal(str(ln["debit"])) for ln in paid_out] == [
            Decimal(payout["amount"]["amount"])]
        assert put_through == Decimal(payout["amount"]["amount"]), gid
        bank = lines_for(store, source=f"payout:{payout['id']}", account="101401")
        assert [Decimal(str(ln["debit"])) - Decimal(str(ln["credit"])) for ln in bank] == [
            Decimal(payout["amount"]["amount"])]

    # settlement matching: every charge finds its order at its total, every paid group adds up
    match_settlements(store, plan, now=datetime.now(UTC))
    assert unmatched(store, channel="amazon_demo") == []
