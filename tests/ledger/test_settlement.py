"""Settlement matching on SQLite and PostgreSQL: every movement of a payout matched to the
hub's order or refund, payouts whose movements do not add up, charges for orders the hub
lacks, paid orders no charge settled (with their age), charges not paid out yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.ledger.settlement import match_settlements, unmatched
from synchub.plan import Hub, load_hub
from synchub.store import Store
from synchub.store.ledger_tables import settlement_items
from tests.conftest import ROOT
from tests.ledger.conftest import m, movement_doc, order_doc, payout_doc, refund_doc

NOW = datetime(2025, 3, 20, tzinfo=UTC)
HUB_YAML = """\
version: 1
connectors_dir: {root}/connectors
mappings_dir: {root}/mappings
connections:
  woo_demo: {{connector: woocommerce, conn_id: woo_demo}}
  shopify_demo: {{connector: shopify, conn_id: shopify_demo}}
  odoo_demo: {{connector: odoo, conn_id: odoo_demo, roles: [erp]}}
  pay: {{connector: woocommerce, conn_id: pay, roles: [payments]}}
sinks:
  odoo_demo:
    orders: {{from: [shopify_demo, woo_demo]}}
    refunds: {{from: [shopify_demo, woo_demo]}}
    journals: {{}}
ledger:
  functional_currency: EUR
  unsettled_after_days: 7
  channels:
{channels}
"""
CHANNELS = """\
    woo_demo: {clearing: "121200", gateways: {stripe: "121210"}}
    shopify_demo: {clearing: "121100", gateways: {shopify_payments: "121110"}}
"""


def write_hub(folder: Path, channels: str = CHANNELS) -> Hub:
    """A hub with channels woo_demo and shopify_demo, the ERP odoo_demo and a payment
    provider ``pay``; ``channels`` is the ledger's ``channels:`` section."""
    path = folder / "hub.yaml"
    path.write_text(HUB_YAML.format(root=ROOT, channels=channels.rstrip("\n")))
    return load_hub(path, load_mappings=False)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    try:
        yield st
    finally:
        st.dispose()


def put(store: Store, *records: Any) -> None:
    """Store records, each under its own source connection."""
    by_conn: dict[str, list[Any]] = {}
    for record in records:
        by_conn.setdefault(record.source.connection, []).append(record)
    for conn, batch in by_conn.items():
        store.write_page(connection=conn, stream="test", records=batch)


def charge(ext: str, order: str | None, amount: str, fee: str, payout: str | None = "po_1",
           **over: Any) -> Any:
    """A charge of ``amount`` with a processing fee, settled by ``payout``."""
    return movement_doc(external_id=ext, order_external_id=order, amount=m(amount),
                        fees=[{"type": "payment_processing", "amount": m(fee)}],
                        payout_external_id=payout, **over)


def movement(ext: str, kind: str, amount: str, payout: str = "po_1", **over: Any) -> Any:
    """A movement without fees (refund, fee, reserve...)."""
    return movement_doc(external_id=ext, type=kind, amount=m(amount), fees=[],
                        payout_external_id=payout, order_external_id=over.pop("order", None),
                        **over)


def seed(store: Store) -> None:
    """The woo_demo scenario the tests below read (all EUR, order totals 65.33)."""
    put(store,
        order_doc(external_id="1001"), order_doc(external_id="1002"),
        order_doc(external_id="1003"), order_doc(external_id="1004"),
        # paid through stripe, 15 days before NOW, never charged: unsettled
        order_doc(external_id="1005", placed_at="2025-03-05T08:00:00Z"),
        # too young to be unsettled; paid through a gateway without payouts; not paid
        order_doc(external_id="1006", placed_at="2025-03-18T08:00:00Z"),
        order_doc(external_id="1007", placed_at="2025-03-05T08:00:00Z",
                  payment_gateway="paypal"),
        order_doc(external_id="1008", placed_at="2025-03-05T08:00:00Z",
                  financial_status="pending"),
        refund_doc(external_id="r1", order_external_id="1001"),
        refund_doc(external_id="r2", order_external_id="1002", amount=m("5.00"), lines=[]),
        # po_1: every movement in the hub, nets 64.10 + 59.00 + 9.70 - 23.80 - 5.00 - 2.00
        payout_doc(external_id="po_1", amount=m("102.00")),
        charge("txn_1", "1001", "65.33", "1.23"),
        charge("txn_2", "1002", "60.00", "1.00"),             # the order says 65.33
        charge("txn_3", "9999", "10.00", "0.30"),             # no such order in the hub
        movement("txn_4", "refund", "-23.80", refund_external_id="r1", order="1001"),
        movement("txn_5", "refund", "-5.00", order="1002"),   # by order and amount
        movement("txn_6", "fee", "-2.00", description="monthly fee"),
        # po_2 paid 100.00 but the hub holds only one movement of it (net 64.10)
        payout_doc(external_id="po_2", amount=m("100.00"), issued_at="2025-03-11T06:00:00Z"),
        charge("txn_7", "1003", "65.33", "1.23", payout="po_2"),
        # charged, not paid out yet
        charge("txn_8", "1004", "65.33", "1.23", payout=None,
               processed_at="2025-03-17T10:00:00Z"))


def tx_items(store: Store, channel: str = "woo_demo") -> dict[str, dict[str, Any]]:
    """Items by the movement's external id (tx items) or record (payout/unsettled)."""
    with store.engine.connect() as conn:
        bt = sa.table("balance_transactions", sa.column("id"), sa.column("external_id"))
        names = dict(conn.execute(sa.select(bt.c.id, bt.c.external_id)).all())
        rows = conn.execute(sa.select(settlement_items).where(
            settlement_items.c.channel == channel)).all()
    out = {}
    for r in rows:
        key = names[r.transaction_id] if r.transaction_id else \
            f"{r.kind}:{r.record_external_id}"
        out[key] = dict(r._mapping)
    return out


def figures(item: dict[str, Any]) -> tuple[Any, ...]:
    def d(v: Any) -> Decimal | None:
        return None if v is None else Decimal(v).quantize(Decimal("0.01"))
    return (item["status"], d(item["expected_amount"]), d(item["settled_amount"]),
            d(item["difference"]))


def test_every_movement_of_a_payout_is_matched_or_flagged(store: Store, tmp_path: Path) -> None:
    seed(store)
    summary = match_settlements(store, write_hub(tmp_path), now=NOW)
    got = tx_items(store)
    D = Decimal
    assert figures(got["txn_1"]) == ("matched", D("65.33"), D("65.33"), D("0.00"))
    assert figures(got["txn_2"]) == ("amount_mismatch", D("65.33"), D("60.00"), D("-5.33"))
    # an extra item: a charge for an order the hub does not hold
    assert figures(got["txn_3"]) == ("missing_in_hub", None, D("10.00"), None)
    assert got["txn_3"]["record_external_id"] == "9999"
    assert "order 9999 is not in the hub" in got["txn_3"]["detail"]
    # refunds: by the refund id, and by order and amount when the movement names none
    assert figures(got["txn_4"]) == ("matched", D("-23.80"), D("-23.80"), D("0.00"))
    assert got["txn_4"]["record_external_id"] == "r1"
    assert figures(got["txn_5"]) == ("matched", D("-5.00"), D("-5.00"), D("0.00"))
    assert got["txn_5"]["record_external_id"] == "r2"
    assert figures(got["txn_6"]) == ("movement", None, D("-2.00"), None)
    assert got["txn_6"]["detail"] == "monthly fee"
    assert figures(got["payout_total:po_1"]) == ("matched", D("102.00"), D("102.00"),
                                                 D("0.00"))
    for name in ("txn_1", "txn_2", "txn_3", "txn_4", "txn_5", "txn_6"):
        assert got[name]["payout_external_id"] == "po_1"
    # txn_1, txn_4, txn_5, po_1, and txn_7 of po_2
    assert summary.count("woo_demo", "matched") == 5
    assert summary.count("woo_demo", "movement") == 1


def test_a_payout_whose_movements_do_not_add_up_is_incomplete(store: Store,
                                                               tmp_path: Path) -> None:
    seed(store)
    match_settlements(store, write_hub(tmp_path), now=NOW)
    got = tx_items(store)
    assert figures(got["payout_total:po_2"]) == ("incomplete", Decimal("100.00"),
                                                 Decimal("64.10"), Decimal("-35.90"))
    assert got["payout_total:po_2"]["detail"] == "1 movements in the hub"
    assert figures(got["txn_7"])[0] == "matched"


def test_old_paid_orders_without_a_charge_are_unsettled_with_their_age(
        store: Store, tmp_path: Path) -> None:
    seed(store)
    summary = match_settlements(store, write_hub(tmp_path), now=NOW)
    got = tx_items(store)
    unsettled = {k: v for k, v in got.items() if v["status"] == "unsettled"}
    # 1006 is too young, 1007 went through paypal (no payouts), 1008 is not paid,
    # 1001-1004 have charges
    assert list(unsettled) == ["order:1005"]
    item = unsettled["order:1005"]
    assert (item["age_days"], Decimal(item["expected_amount"])) == (14, Decimal("65.33"))
    assert item["detail"] == "paid through stripe; no charge in the hub after 14 days"
    assert summary.channels["woo_demo"]["unsettled"]["EUR"].amount == Decimal("65.33")


def test_a_charge_not_paid_out_yet_is_pending_with_its_age(store: Store,
                                                          tmp_path: Path) -> None:
    seed(store)
    match_settlements(store, write_hub(tmp_path), now=NOW)
    got = tx_items(store)["txn_8"]
    assert (got["status"], got["age_days"], got["payout_external_id"]) == ("pending", 2, None)
    assert Decimal(got["expected_amount"]) == Decimal("65.33")
    assert got["detail"] == "not in a payout yet"


def test_matching_again_replaces_the_channels_items(store: Store, tmp_path: Path) -> None:
    seed(store)
    hub = write_hub(tmp_path)
    first = match_settlements(store, hub, now=NOW)
    put(store, order_doc(external_id="9999", total=m("10.00"), subtotal=m("10.00"),
                         tax_total=m("0.00"), shipping_total=m("0.00"), lines=[],
                         shipping_lines=[], tax_lines=[]))
    second = match_settlements(store, hub, now=NOW)
    assert first.count("woo_demo") == second.count("woo_demo") == len(tx_items(store)) == 11
    assert tx_items(store)["txn_3"]["status"] == "matched"
    listed = unmatched(store, "woo_demo")
    assert sorted((r["status"], r["record_external_id"]) for r in listed) == [
        ("amount_mismatch", "1002"), ("incomplete", "po_2"), ("unsettled", "1005")]
    assert [r["record_external_id"] for r in unmatched(store, status="pending")] == ["1004"]
    assert second.as_dict()["unmatched"] == 2


def test_a_shared_payout_source_splits_by_the_orders_channel(store: Store,
                                                             tmp_path: Path) -> None:
    hub = write_hub(tmp_path, channels="""\
    woo_demo: {gateways: {stripe: "121210"}, payouts_from: [pay]}
    shopify_demo: {payouts_from: [pay]}
""")
    shop_order = order_doc(external_id="S1", connection="shopify_demo", channel="shopify",
                           source={"connection": "shopify_demo", "system": "shopify",
                                   "external_id": "S1"})
    put(store, order_doc(external_id="1001"), shop_order,
        payout_doc(external_id="po_9", amount=m("126.20"),
                   source={"connection": "pay", "system": "stripe", "external_id": "po_9"}),
        *(charge(ext, order, "65.33", "1.23", payout="po_9",
                 source={"connection": "pay", "system": "stripe", "external_id": ext})
          for ext, order in (("t1", "1001"), ("t2", "S1"))),
        movement("t3", "fee", "-2.00", payout="po_9",
                 source={"connection": "pay", "system": "stripe", "external_id": "t3"}))
    match_settlements(store, hub, now=NOW)
    woo, shop = tx_items(store, "woo_demo"), tx_items(store, "shopify_demo")
    # the payout and what belongs to no order go to the first channel the source settles
    assert sorted(woo) == ["payout_total:po_9", "t1", "t3"]
    assert sorted(shop) == ["t2"]
    assert figures(shop["t2"])[0] == figures(woo["t1"])[0] == "matched"
    assert figures(woo["payout_total:po_9"]) == ("matched", Decimal("126.20"),
                                                 Decimal("126.20"), Decimal("0.00"))
