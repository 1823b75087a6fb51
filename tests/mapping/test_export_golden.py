"""Every write mapping applied to canonical documents equals its golden file.

The documents are the import goldens (tests/mapping/golden/<system>/<name>.json), so an
export golden shows what a sink would receive for the records the hub really produces.
Regenerate after a deliberate change with ``UPDATE_GOLDEN=1`` and review the diff by hand.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml

from synchub.mapping.export import CompiledExport, load_export_mapping
from tests.mapping.conftest import CONTEXTS, GOLDEN, MAPPINGS, ROOT

EXPORT_GOLDEN = GOLDEN / "exports"

# (sink system, write mapping, import goldens whose documents it is applied to)
CASES: list[tuple[str, str, list[str]]] = [
    ("odoo", "orders", ["shopify/orders", "woocommerce/orders"]),
    ("odoo", "refunds", ["shopify/refunds", "woocommerce/refunds"]),
    # ledger entries are built by the hub, not imported: golden/ledger holds a day's worth
    ("odoo", "journals", ["ledger/entries"]),
    ("erpnext", "orders", ["shopify/orders", "woocommerce/orders"]),
    ("erpnext", "journals", ["ledger/entries"]),
    ("hubspot", "customers", ["shopify/customers", "woocommerce/customers"]),
    ("shopify", "tracking", ["odoo/parcels", "dhl/tracking", "aftership/trackings"]),
    ("woocommerce", "tracking", ["odoo/parcels", "dhl/tracking", "aftership/trackings"]),
    ("magento", "tracking", ["../fixtures/magento/shipments"]),
    ("aftership", "parcels", ["odoo/parcels"]),
    # no import golden holds shipments of Youzan orders: canonical ones from a fixture
    ("youzan", "tracking", ["../fixtures/youzan/shipments"]),
    ("weimob", "tracking", ["../fixtures/weimob/shipments"]),
    ("weidian", "tracking", ["../fixtures/weidian/shipments"]),
    ("sf_express", "waybills", ["taobao/orders", "jd/orders"]),
    ("udesk", "customers", ["shopify/customers", "woocommerce/customers"]),
    ("salesforce", "customers", ["shopify/customers", "woocommerce/customers"]),
    ("salesforce", "person_accounts", ["shopify/customers"]),
    ("salesforce", "opportunities", ["shopify/orders", "woocommerce/orders"]),
    ("salesforce", "orders", ["shopify/orders"]),
    ("ebay", "tracking", ["ebay/shipments", "odoo/parcels", "dhl/tracking",
                          "aftership/trackings"]),
    ("taobao", "tracking", ["odoo/parcels"]),
    ("jd", "tracking", ["odoo/parcels"]),
    ("pinduoduo", "tracking", ["odoo/parcels"]),
]
IDS = [f"{system}/{name}" for system, name, _ in CASES]


def test_every_shipped_write_mapping_has_a_golden_case() -> None:
    shipped = {(p.parent.name, p.name.removesuffix(".export.yaml"))
               for p in MAPPINGS.glob("*/*.export.yaml")}
    assert shipped == {(system, name) for system, name, _ in CASES}


def _only_own_orders(system: str, name: str) -> bool:
    """Whether the connector's writer of this mapping keeps only its own orders' records."""
    spec = yaml.safe_load((ROOT / "connectors" / system / "connector.yaml").read_text("utf-8"))
    writers = [w for w in (spec.get("writers") or {}).values() if w.get("mapping") == name]
    assert len(writers) == 1, f"connectors/{system}: one writer should use mapping {name!r}"
    return bool(writers[0].get("only_own_orders"))


def _documents(system: str, name: str, sources: list[str]) -> list[dict[str, Any]]:
    """The canonical documents the route would hand to this sink's writer."""
    docs: list[dict[str, Any]] = []
    for source in sources:
        docs.extend(json.loads((GOLDEN / f"{source}.json").read_text(encoding="utf-8")))
    if _only_own_orders(system, name):
        # as the router does: tracking goes back only to the channel that sold the order
        docs = [d for d in docs if d.get("order_connection") == CONTEXTS[system].connection]
    return docs


def _label(doc: dict[str, Any]) -> str:
    return f"{doc['source']['connection']}:{doc['external_id']}"


def _export(system: str, name: str) -> CompiledExport:
    return load_export_mapping(MAPPINGS / system / f"{name}.export.yaml")


@pytest.mark.parametrize(("system", "name", "sources"), CASES, ids=IDS)
def test_write_mapping_matches_golden(system: str, name: str, sources: list[str]) -> None:
    export = _export(system, name)
    ctx = CONTEXTS[system]
    payloads, skipped = [], []
    for doc in _documents(system, name, sources):
        if export.wants(doc):
            payloads.append({"document": _label(doc),
                             "payload": export.apply(doc, ctx, create=True)})
        else:
            skipped.append(_label(doc))
    assert payloads, "at least one document must be wanted by the mapping"
    assert all(p["payload"] for p in payloads), "every wanted document gives a payload"
    text = json.dumps({"payloads": payloads, "skipped": skipped}, indent=2,
                      ensure_ascii=False, sort_keys=True, default=str) + "\n"
    golden = EXPORT_GOLDEN / system / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert json.loads(golden.read_text(encoding="utf-8")) == json.loads(text)


@pytest.mark.parametrize(("system", "name", "sources"), CASES, ids=IDS)
def test_update_payload_drops_only_the_create_only_fields(system: str, name: str,
                                                          sources: list[str]) -> None:
    export = _export(system, name)
    ctx = CONTEXTS[system]
    wanted = [d for d in _documents(system, name, sources) if export.wants(d)]
    assert wanted
    for doc in wanted:
        created = export.apply(doc, ctx, create=True)
        updated = export.apply(doc, ctx, create=False)
        assert export.only_create <= set(created), _label(doc)
        assert updated == {k: v for k, v in created.items() if k not in export.only_create}


def test_odoo_orders_update_carries_header_and_status_only() -> None:
    export = _export("odoo", "orders")
    doc = json.loads((GOLDEN / "shopify" / "orders.json").read_text(encoding="utf-8"))[0]
    updated = export.apply(doc, CONTEXTS["odoo"], create=False)
    assert set(updated) == {"status", "financial_status", "currency", "note"}
    assert updated["status"] == doc["status"]


def test_odoo_orders_leave_out_failed_payments() -> None:
    export = _export("odoo", "orders")
    docs = _documents("odoo", "orders", ["woocommerce/orders"])
    failed = [d for d in docs if d["status"] == "failed"]
    assert failed, "the WooCommerce fixture has a failed order"
    assert not any(export.wants(d) for d in failed)
    assert all(export.wants(d) for d in docs if d["status"] != "failed")
