"""Poison values inside records: each is quarantined with its field and reason, never fatal.

A value the database could not hold (a quantity of 10^30, an amount of 1e400, a name longer
than its column on PostgreSQL), NaN and infinities, and negative line quantities used to
fail the whole page, so nothing after the record was ever synced. Each is now refused by
the canonical model, naming the field and the limit, and quarantined while the rest of its
page is stored: the same on SQLite and PostgreSQL, with stock reservations on.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ValidationError

from synchub.canonical import ENTITIES, Money, Order
from synchub.canonical.common import quantize
from synchub.canonical.limits import AMOUNT_DIGITS, MAX_QUANTITY
from synchub.errors import RecordError
from synchub.mapping import MappingContext, load_mapping
from synchub.mapping.transforms import TransformError, build_transform
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, Page
from synchub.stock.ingest import StockIngest
from synchub.stock.reservations import wanted_rows
from synchub.store import Store
from synchub.store.migrate import upgrade_to
from synchub.store.stock_tables import stock_reservations
from synchub.store.tables import ENTITY_TABLES
from tests.stock.conftest import ingest, level, order

ROOT = Path(__file__).resolve().parents[1]
SHOP = MappingContext(connection="shop", system="shopify", values={"shop_currency": "EUR"})
ORDERS = json.loads((ROOT / "tests/mapping/fixtures/shopify/orders.json").read_text())["orders"]
LONG = "X" * 300


def good_order(n: int, *, recent: bool = False) -> dict[str, Any]:
    """The first fixture order under a new id (and line ids), placed an hour ago if asked."""
    raw = copy.deepcopy(ORDERS[0])
    raw["id"] = 7_000_000 + n
    raw["name"] = f"#{7000 + n}"
    for i, line in enumerate(raw["line_items"]):
        line["id"] = 70_000_000 + n * 10 + i
    if recent:
        when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        raw["created_at"] = raw["processed_at"] = raw["updated_at"] = when
    return raw


# (name, mutation of a good order, field named, words of the reason)
POISONS: list[tuple[str, Any, str, list[str]]] = [
    ("quantity 10^30", lambda r: r["line_items"][0].update(quantity=10**30),
     "lines[0].quantity", ["out of range", "1,000,000,000,000"]),
    ("float quantity 1e30", lambda r: r["line_items"][0].update(quantity=1e30),
     "lines[0].quantity", []),
    ("amount 1e400", lambda r: r.update(total_price="1e400"),
     "total.amount", ["1E+400", "out of range", f"10^{AMOUNT_DIGITS}"]),
    ("amount 10^17", lambda r: r.update(total_price="100000000000000000"),
     "total.amount", ["out of range"]),
    ("amount 1e-400", lambda r: r.update(total_price="1e-400"),
     "total.amount", ["too small"]),
    # the line total (price x quantity) is computed first, and refuses the number
    ("line price 1e400", lambda r: r["line_items"][0].update(price="1e400"),
     "lines[0].total.amount", ["'1e400' is out of range"]),
    ("line price 1E+20", lambda r: r["line_items"][0].update(price="1E+20"),
     "lines[0].unit_price.amount", ["out of range"]),
    ("amount NaN", lambda r: r.update(total_price="NaN"), "total.amount", ["finite"]),
    ("amount Infinity", lambda r: r.update(total_price="Infinity"), "total.amount", ["finite"]),
    ("amount -Infinity", lambda r: r.update(total_price="-Infinity"), "total.amount",
     ["finite"]),
    ("name of 300", lambda r: r.update(name="#" + LONG), "number", ["at most 255"]),
    ("line id of 300", lambda r: r["line_items"][0].update(id=LONG), "lines[0].external_id",
     ["at most 255"]),
    ("sku of 300", lambda r: r["line_items"][0].update(sku=LONG), "lines[0].sku",
     ["at most 255"]),
    ("negative line quantity", lambda r: r["line_items"][0].update(quantity=-2),
     "lines[0].quantity", ["negative", "refunds"]),
]


def poisoned(n: int, mutate: Any, *, recent: bool = False) -> dict[str, Any]:
    raw = good_order(n, recent=recent)
    mutate(raw)
    return raw


# -- the mapping refuses each, naming the field ----------------------------------------------

@pytest.mark.parametrize(("name", "mutate", "where", "words"), POISONS,
                         ids=[p[0] for p in POISONS])
def test_a_poison_value_is_a_record_error_naming_its_field(
        name: str, mutate: Any, where: str, words: list[str]) -> None:
    mapping = load_mapping(ROOT / "mappings/shopify/orders.yaml")
    with pytest.raises(RecordError) as caught:
        mapping.apply(poisoned(1, mutate), SHOP)
    assert caught.value.field == where
    assert caught.value.record_id == "7000001"
    assert f"{where}:" in caught.value.message
    for word in words:
        assert word in caught.value.message


def test_an_id_too_long_for_its_column_is_a_record_error() -> None:
    mapping = load_mapping(ROOT / "mappings/shopify/orders.yaml")
    raw = good_order(1)
    raw["id"] = "9" * 300
    with pytest.raises(RecordError) as caught:
        mapping.apply(raw, SHOP)
    assert caught.value.field in ("external_id", "source.external_id")
    assert "at most 255 characters" in caught.value.message


def test_a_lone_surrogate_is_a_record_error_naming_the_field() -> None:
    mapping = load_mapping(ROOT / "mappings/shopify/orders.yaml")
    raw = good_order(1)
    raw["line_items"][1]["name"] = "Mug \ud800"
    with pytest.raises(RecordError) as caught:
        mapping.apply(raw, SHOP)
    assert caught.value.message == ("order 7000001: lines[1].title: contains a lone "
                                    "surrogate, which is not Unicode text")


@pytest.mark.parametrize("text", ["1e5000", "-1e5000", "1e-400", "1e999999"])
def test_a_number_past_any_value_is_refused_before_it_is_computed(text: str) -> None:
    # as an int, 1e999999 takes a minute to build; 1e5000 was returned as 5001 digits
    for name in ("to_int", "to_decimal", "negate", "abs", "sum_decimal"):
        with pytest.raises(TransformError, match=r"out of range for a number"):
            build_transform(name)(text)


def test_round_is_exact_past_28_digits() -> None:
    assert build_transform("round", 2)("1e30") == Decimal(10) ** 30
    assert build_transform("round", 2)("1234567890123456789012345678901.555") \
        == Decimal("1234567890123456789012345678901.56")


def test_a_zero_quantity_line_is_an_item_removed_and_maps() -> None:
    mapping = load_mapping(ROOT / "mappings/shopify/orders.yaml")
    raw = good_order(1)
    raw["line_items"][0]["quantity"] = 0
    (order,) = mapping.apply(raw, SHOP)
    assert isinstance(order, Order)
    assert order.lines[0].quantity == 0


def test_quantize_is_exact_for_sums_beyond_the_default_precision() -> None:
    # the sum of a page's lines can pass 28 digits; rounding it must not raise
    big = Decimal("123456789012345.678") * MAX_QUANTITY
    assert quantize(big, "EUR") == Decimal("123456789012345678000000000.00")
    assert quantize(Decimal("2.005"), "EUR") == Decimal("2.01")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")
    with pytest.raises(ValueError, match="finite"):
        quantize(Decimal("NaN"), "EUR")


def test_money_bounds_and_zero_with_a_wild_exponent() -> None:
    assert Money(amount="999999999999999.99", currency="EUR").amount \
        == Decimal("999999999999999.99")
    assert Money(amount="-999999999999999", currency="JPY").amount == Decimal(-999999999999999)
    # 0 written with an exponent is 0, not 400 zeros in every document
    zero = Money(amount="0E-400", currency="EUR")
    assert zero.amount == 0 and len(zero.model_dump_json()) < 40
    for bad in ("1000000000000000", "-1e15", "1e-29", "sNaN"):
        with pytest.raises(ValidationError, match="amount"):
            Money(amount=bad, currency="EUR")


# -- every length-limited column is the length of its canonical field --------------------------

# (entity, column) -> the canonical field that fills it (a dotted path into the model)
COLUMN_FIELDS: dict[tuple[str, str], str] = {
    **{(entity, "id"): "id" for entity in ENTITIES},
    **{(entity, "connection"): "source.connection" for entity in ENTITIES},
    **{(entity, "external_id"): "source.external_id" for entity in ENTITIES},
    **{(entity, "content_hash"): "content_hash" for entity in ENTITIES},
    ("order", "number"): "number",
    ("order", "status"): "status",
    ("order", "currency"): "currency",
    ("product", "sku"): "sku",
    ("inventory_level", "sku"): "sku",
    ("inventory_level", "location_external_id"): "location_external_id",
    ("inventory_level", "location_name"): "location_name",
    ("inventory_level", "item_external_id"): "inventory_item_external_id",
    ("inventory_level", "product_external_id"): "product_external_id",
    ("inventory_level", "parent_external_id"): "parent_external_id",
    ("shipment", "order_connection"): "order_connection",
    ("shipment", "order_external_id"): "order_external_id",
    ("refund", "order_external_id"): "order_external_id",
    ("refund", "currency"): "amount.currency",
    ("payout", "status"): "status",
    ("payout", "currency"): "amount.currency",
    ("balance_transaction", "type"): "type",
    ("balance_transaction", "currency"): "amount.currency",
    ("balance_transaction", "order_external_id"): "order_external_id",
    ("balance_transaction", "payout_external_id"): "payout_external_id",
    ("fx_rate", "base"): "base",
    ("fx_rate", "quote"): "quote",
    ("fx_rate", "provider"): "provider",
    ("ledger_entry", "kind"): "kind",
    ("ledger_entry", "channel"): "channel",
    ("ledger_entry", "currency"): "currency",
    ("ledger_entry", "functional_currency"): "functional_currency",
    ("ledger_entry", "corrects"): "corrects",
    ("service_ticket", "status"): "status",
    ("service_ticket", "customer_connection"): "customer_connection",
    ("service_ticket", "customer_external_id"): "customer_external_id",
    ("service_ticket", "order_connection"): "order_connection",
    ("service_ticket", "order_external_id"): "order_external_id",
}


def _schema_of(model: type[BaseModel], dotted: str) -> dict[str, Any]:
    """The JSON Schema of one (nested) field, with ``$ref``s and ``X | None`` resolved."""
    full = model.model_json_schema()
    defs = full.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        return resolve(options[0]) if len(options) == 1 else node

    node = full
    for part in dotted.split("."):
        node = resolve(resolve(node)["properties"][part])
    return node


def longest_value(model: type[BaseModel], dotted: str) -> int | None:
    """The most characters the model lets the field have (None: unbounded)."""
    node = _schema_of(model, dotted)
    if "enum" in node or "const" in node:
        return max(len(v) for v in node.get("enum", [node.get("const")]))
    if node.get("pattern") == "^[A-Z]{3}$":
        return 3
    length: int | None = node.get("maxLength")
    return length


@pytest.mark.parametrize("entity", sorted(ENTITY_TABLES))
def test_every_text_column_holds_exactly_what_its_canonical_field_allows(entity: str) -> None:
    model = ENTITIES[entity]
    for column in ENTITY_TABLES[entity].columns:
        if not isinstance(column.type, sa.String) or column.type.length is None:
            continue
        key = (entity, column.name)
        assert key in COLUMN_FIELDS, f"{entity}.{column.name}: say which field fills it"
        allowed = longest_value(model, COLUMN_FIELDS[key])
        assert allowed is not None, f"{entity}.{COLUMN_FIELDS[key]} has no max_length"
        if column.name in ("status", "currency", "type", "kind", "base", "quote",
                           "functional_currency"):
            assert allowed <= column.type.length, key      # closed sets and codes
        else:
            assert allowed == column.type.length, key


def test_stock_keys_hold_what_order_lines_allow() -> None:
    line = typing.get_args(Order.model_fields["lines"].annotation)[0]
    assert longest_value(line, "sku") == stock_reservations.c.sku.type.length
    assert longest_value(Order, "external_id") == \
        stock_reservations.c.order_external_id.type.length


def test_numeric_columns_hold_every_amount_and_quantity() -> None:
    for table in ENTITY_TABLES.values():
        for column in table.columns:
            if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Integer):
                integer_digits = column.type.precision - column.type.scale
                assert integer_digits > AMOUNT_DIGITS, (table.name, column.name)
    # a million rows of the largest quantity still add up in the store's bigint columns
    assert MAX_QUANTITY * 10**6 < 2**63


# -- end to end: one poison per page of good records, on SQLite and PostgreSQL ---------------

@dataclass
class Stats:
    requests: int = 1
    retries: int = 0


@dataclass
class PagesClient:
    """Stands in for the connector client: the given pages of raw records, in order."""

    pages: list[list[dict[str, Any]]]
    stats: Stats = field(default_factory=Stats)

    def context(self) -> dict[str, Any]:
        return {}

    def read(self, stream: str, **_: Any) -> Iterator[Page]:
        for n, records in enumerate(self.pages, start=1):
            yield Page(records=records, state={"cursor": f"2025-06-{n:02d}T00:00:00Z"},
                       number=n)

    def close(self) -> None:
        pass


def write_hub(tmp_path: Path, stock: bool) -> Hub:
    doc: dict[str, Any] = {
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "connections": {"shop": {"connector": "shopify", "conn_id": "shop"},
                        "odoo": {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"]}}}
    if stock:
        doc["stock"] = {"masters": {"odoo": {}}, "channels": {"shop": {
            "publish_location": "61000000000"}}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_hub(path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.from_url(db_url)
    st.migrate()
    yield st
    st.dispose()


def sync(hub: Hub, store: Store, pages: list[list[dict[str, Any]]]) -> Any:
    return sync_stream(hub, "shop", "orders", store=store, client=PagesClient(pages),  # type: ignore[arg-type]
                       conn_info=ConnectionInfo(conn_id="shop", conn_type="http"), workers=0)


def stored_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(ENTITY_TABLES["order"].c.external_id)).scalars())


def test_each_poison_is_quarantined_and_the_rest_of_its_page_is_stored(
        tmp_path: Path, store: Store) -> None:
    hub = write_hub(tmp_path, stock=False)
    pages, expected = [], {}
    for i, (name, mutate, where, _) in enumerate(POISONS):
        bad = poisoned(100 + i, mutate)
        pages.append([good_order(200 + i), bad, good_order(300 + i)])
        expected[str(bad["id"])] = (name, where)
    long_id = "9" * 300
    bad = good_order(999)
    bad["id"] = long_id
    pages.append([good_order(998), bad])

    summary = sync(hub, store, pages)

    assert summary.status == "success"
    assert store.get_state("shop", "orders") == {"cursor": f"2025-06-{len(pages):02d}T00:00:00Z"}
    goods = {str(r["id"]) for page in pages for r in page if r is not page[1]}
    assert stored_ids(store) == goods
    every = store.dead_letters(connection="shop")
    letters = {d["record_id"]: d for d in every if d["entity"] == "order"}
    assert len(letters) == len(POISONS) + 1
    for rid, (name, where) in expected.items():
        assert letters[rid]["field"] == where, name
        assert letters[rid]["reason"].startswith(f"order {rid}: {where}:"), name
        assert letters[rid]["raw"]["id"] == int(rid), name
    # the id too long for any id column is kept whole in the raw record only
    (cut,) = [d for d in letters.values() if d["raw"]["id"] == long_id]
    assert len(cut["record_id"]) == 255 and long_id.startswith(cut["record_id"][:-1])
    assert "at most 255 characters" in cut["reason"]


def test_an_order_number_of_255_characters_is_stored_on_both_databases(
        tmp_path: Path, store: Store) -> None:
    hub = write_hub(tmp_path, stock=False)
    order = good_order(1)
    order["name"] = "#" + "N" * 254
    summary = sync(hub, store, [[order]])
    assert (summary.changed["order"], summary.quarantined) == (1, 0)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(ENTITY_TABLES["order"].c.number)).scalar_one() \
            == order["name"]


# -- stock on: negative lines are quarantined, zero lines hold nothing ------------------------

def reserved(store: Store) -> dict[tuple[str, str], tuple[int, str]]:
    r = stock_reservations.c
    with store.engine.connect() as conn:
        return {(row.order_external_id, row.sku): (int(row.open_qty), row.reason)
                for row in conn.execute(sa.select(r.order_external_id, r.sku, r.open_qty,
                                                  r.reason))}


def test_with_stock_on_a_negative_line_is_quarantined_and_a_zero_line_holds_nothing(
        tmp_path: Path, store: Store) -> None:
    hub = write_hub(tmp_path, stock=True)
    negative = poisoned(1, lambda r: r["line_items"][0].update(quantity=-3), recent=True)
    zero = poisoned(2, lambda r: r["line_items"][0].update(quantity=0), recent=True)
    good = good_order(3, recent=True)
    summary = sync(hub, store, [[negative, zero, good]])

    assert summary.status == "success"
    assert (summary.changed["order"], summary.quarantined) == (2, 1)
    (letter,) = store.dead_letters(connection="shop")
    assert letter["record_id"] == "7000001"
    assert letter["field"] == "lines[0].quantity"
    assert "negative" in letter["reason"] and "refunds" in letter["reason"]
    held = reserved(store)
    assert held[("7000003", "TSHIRT-RED-M")] == (2, "ordered")
    assert ("7000002", "TSHIRT-RED-M") not in held       # the removed item holds nothing
    assert held[("7000002", "MUG-01")] == (1, "ordered")

    # the good order's first item is removed (quantity 0): its units are released
    again = copy.deepcopy(good)
    again["line_items"][0]["quantity"] = 0
    again["updated_at"] = datetime.now(UTC).isoformat()
    sync(hub, store, [[again]])
    assert reserved(store)[("7000003", "TSHIRT-RED-M")] == (0, "line_removed")


def stored_doc(ext: str, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A canonical order document as the store holds it, without validation."""
    placed = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {"id": f"o{ext}", "external_id": ext, "status": "open", "placed_at": placed,
            "source": {"connection": "shop", "system": "shopify", "external_id": ext},
            "lines": lines, **extra}


def test_documents_stored_before_the_rule_do_not_break_reservations() -> None:
    # older documents may hold negative lines, and refunds or master shipments may sign theirs
    ing = ingest()
    doc = stored_doc("1", [{"external_id": "L1", "sku": "A", "quantity": -3},
                           {"external_id": "L2", "sku": "B", "quantity": 0},
                           {"external_id": "L3", "sku": "C", "quantity": 2}],
                     refunds=[{"lines": [{"line_external_id": "L3", "quantity": -5,
                                          "restock": True}]}])
    rows = wanted_rows(doc, ing, {"A": -4, "C": -1}, datetime.now(UTC))
    assert [(w.sku, w.quantity, w.open_qty) for w in rows] == [("C", 2, 2)]


def test_a_kit_part_of_a_long_sku_gets_a_line_key_that_fits(store: Store) -> None:
    # line key "L<sku>/<part>": over 255 characters, refused by PostgreSQL before
    sku, part = "K" * 250, "P" * 200
    ing = StockIngest(channels=frozenset({"shop"}), masters=frozenset({"erp"}),
                      kits={sku: {part: 2, "B": 1}})
    store.write_page(connection="erp", stream="s", records=[level(part, "WH", 5)],
                     hooks=ing.hooks_for("erp"))
    store.write_page(connection="shop", stream="s", records=[order("1", {sku: 1})],
                     hooks=ing.hooks_for("shop"))
    held = reserved(store)
    assert held == {("1", part): (2, "ordered"), ("1", "B"): (1, "ordered")}
    r = stock_reservations.c
    with store.engine.connect() as conn:
        keys = list(conn.execute(sa.select(r.line_key)).scalars())
    assert len(set(keys)) == 2 and all(len(k) <= 255 for k in keys)
    assert f"L{sku}/B" in keys       # a key that fits is kept as it is


# -- the migration ------------------------------------------------------------------------

def test_0008_widens_the_order_number_and_keeps_the_views(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, "0007_drop_outbox")
        upgrade_to(store.engine, "0008_value_limits")
        with store.engine.connect() as conn:
            number = {c["name"]: c for c in sa.inspect(conn).get_columns("orders")}["number"]
            assert number["type"].length == 255
            views = set(sa.inspect(conn).get_view_names())
        assert {"feed_orders", "feed_order_lines", "feed_shipments", "feed_refunds"} <= views
    finally:
        store.dispose()
