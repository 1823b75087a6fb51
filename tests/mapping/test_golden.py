"""Every mapping applied to its named fixture payload equals its golden file.

Regenerate the goldens after a deliberate change with ``UPDATE_GOLDEN=1`` and review the
diff by hand: totals must reconcile (no ``total_mismatch`` warning) except in the fixture
orders that are inconsistent on purpose.
"""

from __future__ import annotations

import json
import os

import pytest

from synchub.mapping import load_mapping
from tests.mapping.conftest import CONTEXTS, GOLDEN, MAPPINGS, load_fixture

# (system, mapping, fixture payload)
CASES = [
    ("shopify", "orders", "orders"),
    ("shopify", "refunds", "orders"),
    ("shopify", "customers", "customers"),
    ("shopify", "products", "products"),
    ("shopify", "inventory_levels", "inventory_levels"),
    ("shopify", "payouts", "payouts"),
    ("shopify", "balance_transactions", "balance_transactions"),
    ("woocommerce", "orders", "orders"),
    ("woocommerce", "customers", "customers"),
    ("woocommerce", "products", "products"),
    ("woocommerce", "product_inventory", "products"),
    ("woocommerce", "variations", "variations"),
    ("woocommerce", "variation_inventory", "variations"),
    ("woocommerce", "refunds", "refunds"),
    ("odoo", "products", "products"),
    ("odoo", "inventory_levels", "stock_quants"),
    ("odoo", "shipments", "deliveries"),
    ("odoo", "parcels", "parcels"),
    ("erpnext", "products", "items"),
    ("erpnext", "inventory_levels", "bins"),
    ("erpnext", "shipments", "delivery_notes"),
    ("hubspot", "contacts", "contacts"),
    ("salesforce", "contacts", "contacts"),
    ("dhl", "tracking", "tracking"),
    ("sf_express", "tracking", "tracking"),
    ("ups", "tracking", "tracking"),
    ("fedex", "tracking", "tracking"),
    ("udesk", "tickets", "tickets"),
    ("aftership", "trackings", "trackings"),
    ("settlement_file", "settlement_transactions", "settlement_rows"),
    ("settlement_file", "settlement_payouts", "settlement_rows"),
    ("frankfurter", "rates", "rates"),
    ("squarespace", "orders", "orders"),
    ("amazon", "orders", "orders"),
    ("ebay", "orders", "orders"),
    ("ebay", "refunds", "orders"),
    ("ebay", "inventory_levels", "inventory_items"),
    ("ebay", "payouts", "payouts"),
    ("ebay", "balance_transactions", "transactions"),
    ("ebay", "shipments", "shipping_fulfillments"),
    ("amazon", "shipments", "orders"),
    ("amazon", "fba_inventory", "fba_inventory"),
    ("amazon", "listings", "listings"),
    ("amazon", "payouts", "financial_event_groups"),
    ("amazon", "financial_events", "financial_events"),
    ("amazon", "refunds", "financial_events"),
    ("taobao", "orders", "orders"),
    ("taobao", "refunds", "refunds"),
    ("pinduoduo", "orders", "orders"),
    ("pinduoduo", "refunds", "refunds"),
    ("jd", "orders", "orders"),
    ("youzan", "orders", "orders"),
    ("youzan", "refunds", "refunds"),
    ("youzan", "customers", "orders"),
    ("weimob", "orders", "orders"),
    ("weimob", "refunds", "rights"),
    ("weimob", "inventory_levels", "skus"),
    ("weidian", "orders", "orders"),
    ("weidian", "listings", "items"),
    ("weidian", "listings_plain", "items"),
    ("jd", "refunds", "refunds"),
    ("taobao", "sku_listings", "items"),
    ("taobao", "item_listings", "items"),
    ("youzan", "sku_listings", "items"),
    ("youzan", "item_listings", "items"),
    ("jd", "listings", "skus"),
    ("pinduoduo", "listings", "goods"),
    ("ecshop", "orders", "orders"),
    ("ecshop", "products", "goods"),
    ("ecshop", "stock_levels", "goods"),
    ("ecshop", "customers", "users"),
    ("magento", "orders", "orders"),
    ("magento", "refunds", "credit_memos"),
    ("magento", "source_items", "source_items"),
]
# fixture orders whose totals are inconsistent on purpose
INCONSISTENT = {("shopify", "1073339460"), ("woocommerce", "730"),
                ("amazon", "171-9004512-3317125"), ("taobao", "4200000000012411116"),
                ("pinduoduo", "261207-000000127521694"),
                ("jd", "290001775872"), ("youzan", "E20250616150000011100004"),
                ("weimob", "30250000016269"), ("weidian", "799849904863")}


def test_every_shipped_mapping_has_a_golden_case() -> None:
    # write mappings (*.export.yaml) have their own goldens: test_export_golden.py; the
    # ledger's chart of accounts (mappings/ledger) is configuration, tested in tests/ledger
    shipped = {(p.parent.name, p.stem) for p in MAPPINGS.glob("*/*.yaml")
               if not p.name.endswith(".export.yaml") and p.parent.name != "ledger"}
    assert shipped == {(system, mapping) for system, mapping, _ in CASES}


def _map(system: str, mapping: str, fixture: str) -> list[dict]:
    m = load_mapping(MAPPINGS / system / f"{mapping}.yaml")
    out = []
    for raw in m.unwrap(load_fixture(system, fixture)):
        out.extend(rec.to_json_dict() for rec in m.apply(raw, CONTEXTS[system]))
    return out


@pytest.mark.parametrize(("system", "mapping", "fixture"), CASES,
                         ids=[f"{s}/{m}" for s, m, _ in CASES])
def test_mapping_matches_golden(system: str, mapping: str, fixture: str) -> None:
    produced = _map(system, mapping, fixture)
    assert produced, "the fixture must produce records"
    golden = GOLDEN / system / f"{mapping}.json"
    text = json.dumps(produced, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert json.loads(golden.read_text(encoding="utf-8")) == json.loads(text)


@pytest.mark.parametrize("system", ["shopify", "woocommerce", "squarespace", "amazon", "ebay",
                                    "taobao", "pinduoduo", "jd", "youzan",
                                    "weimob", "weidian", "ecshop"])
def test_orders_reconcile_unless_inconsistent_on_purpose(system: str) -> None:
    for order in _map(system, "orders", "orders"):
        codes = [w["code"] for w in order["warnings"]]
        if (system, order["external_id"]) in INCONSISTENT:
            assert codes == ["total_mismatch"]
            assert order["adjustments"][-1]["reason"] == "source_total_mismatch"
        else:
            assert codes == [], order["external_id"]


def test_content_hash_is_stable_across_runs_and_tracks_changes() -> None:
    first = _map("shopify", "orders", "orders")
    again = _map("shopify", "orders", "orders")
    assert [o["content_hash"] for o in first] == [o["content_hash"] for o in again]
    assert len({o["content_hash"] for o in first}) == len(first)

    m = load_mapping(MAPPINGS / "shopify" / "orders.yaml")
    raw = m.unwrap(load_fixture("shopify", "orders"))[0]
    before = m.apply(raw, CONTEXTS["shopify"])[0]
    changed = m.apply({**raw, "note": "ignored by the mapping"}, CONTEXTS["shopify"])[0]
    assert changed.content_hash == before.content_hash
    edited = m.apply({**raw, "tags": "vip"}, CONTEXTS["shopify"])[0]
    assert edited.content_hash != before.content_hash
    assert edited.id == before.id
