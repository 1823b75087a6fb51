"""The store's tables as SQLAlchemy Core objects (the schema itself comes from the migrations)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from synchub.canonical.limits import (
    AMOUNT_DIGITS,
    HUB_ID_LENGTH,
    ID_LENGTH,
    MONEY_SCALE,
    NAME_LENGTH,
    PROVIDER_LENGTH,
    RATE_SCALE,
    SKU_LENGTH,
)

metadata = sa.MetaData()

# The canonical document: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JsonDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
# Column sizes come from the canonical limits (synchub/canonical/limits.py): a value the
# models accept fits; tests/test_poison_values.py compares each column with its field.
# Exact money; 4 decimals covers every ISO 4217 minor unit; one integer digit to spare.
Amount = sa.Numeric(AMOUNT_DIGITS + 1 + MONEY_SCALE, MONEY_SCALE)          # numeric(20, 4)
# Exchange rates carry more digits than money.
FxRateValue = sa.Numeric(AMOUNT_DIGITS + 1 + RATE_SCALE, RATE_SCALE)       # numeric(28, 12)
Id = sa.String(ID_LENGTH)
Sku = sa.String(SKU_LENGTH)
Name = sa.String(NAME_LENGTH)
HubId = sa.String(HUB_ID_LENGTH)

# entity name (as in synchub.canonical.ENTITIES) -> table name
ENTITY_TABLE_NAMES: dict[str, str] = {
    "order": "orders",
    "product": "products",
    "inventory_level": "inventory_levels",
    "customer": "customers",
    "shipment": "shipments",
    "refund": "refunds",
    "payout": "payouts",
    "balance_transaction": "balance_transactions",
    "fx_rate": "fx_rates",
    "ledger_entry": "ledger_entries",
    "service_ticket": "service_tickets",
}

def _typed_columns(entity: str) -> list[sa.Column[Any]]:
    """Typed columns kept beside the document so views and queries need not parse JSON."""
    if entity == "order":
        return [
            sa.Column("number", Name),
            sa.Column("status", sa.String(32)),
            sa.Column("currency", sa.String(3)),
            sa.Column("total_amount", Amount),
            sa.Column("placed_at", Timestamp),
            sa.Column("source_updated_at", Timestamp),
        ]
    if entity == "product":
        return [sa.Column("sku", Sku)]
    if entity == "inventory_level":
        return [
            sa.Column("sku", Sku),
            sa.Column("location_external_id", Id),
            sa.Column("available", sa.BigInteger),
            # added by 0002: what stock sync reads without parsing documents
            sa.Column("on_hand", sa.BigInteger),
            sa.Column("reserved", sa.BigInteger),
            sa.Column("location_name", Name),
            sa.Column("item_external_id", Id),
            sa.Column("product_external_id", Id),
            sa.Column("parent_external_id", Id),
            sa.Column("source_updated_at", Timestamp),
        ]
    if entity == "shipment":
        return [
            sa.Column("order_connection", Id),
            sa.Column("order_external_id", Id),
        ]
    if entity == "customer":
        return [sa.Column("source_updated_at", Timestamp)]
    if entity == "service_ticket":
        # added by 0013: what the order operations ask ("an open ticket about this order?")
        return [
            sa.Column("status", sa.String(16)),
            sa.Column("customer_connection", Id),
            sa.Column("customer_external_id", Id),
            sa.Column("order_connection", Id),
            sa.Column("order_external_id", Id),
            sa.Column("source_updated_at", Timestamp),
        ]
    return _money_columns(entity)


def _money_columns(entity: str) -> list[sa.Column[Any]]:
    """Typed columns of the money movements (added by 0005): what the ledger selects on."""
    if entity == "refund":
        return [
            sa.Column("order_external_id", Id),
            sa.Column("created_at", Timestamp),
            sa.Column("currency", sa.String(3)),
            sa.Column("amount", Amount),
        ]
    if entity == "payout":
        return [
            sa.Column("status", sa.String(16)),
            sa.Column("currency", sa.String(3)),
            sa.Column("amount", Amount),
            sa.Column("issued_at", Timestamp),
        ]
    if entity == "balance_transaction":
        return [
            sa.Column("type", sa.String(32)),
            sa.Column("currency", sa.String(3)),
            sa.Column("amount", Amount),
            sa.Column("net", Amount),
            sa.Column("processed_at", Timestamp),
            sa.Column("order_external_id", Id),
            sa.Column("payout_external_id", Id),
        ]
    if entity == "fx_rate":
        return [
            sa.Column("base", sa.String(3)),
            sa.Column("quote", sa.String(3)),
            sa.Column("rate_date", sa.Date),
            sa.Column("rate", FxRateValue),
            sa.Column("provider", sa.String(PROVIDER_LENGTH)),
        ]
    if entity == "ledger_entry":
        return [
            sa.Column("kind", sa.String(16)),
            sa.Column("channel", Id),
            sa.Column("posted_on", sa.Date),
            sa.Column("posted_at", Timestamp),
            sa.Column("currency", sa.String(3)),
            sa.Column("functional_currency", sa.String(3)),
            sa.Column("total_debit", Amount),
            sa.Column("total_credit", Amount),
            sa.Column("functional_total_debit", Amount),
            sa.Column("functional_total_credit", Amount),
            sa.Column("corrects", Id),
        ]
    return []


def _entity_table(entity: str, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", HubId, primary_key=True),
        sa.Column("connection", Id, nullable=False),
        sa.Column("external_id", Id, nullable=False),
        sa.Column("content_hash", HubId, nullable=False),
        sa.Column("data", JsonDoc, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        *_typed_columns(entity),
        # added by 0010: set when the source deleted the record (its tombstone); cleared when
        # a changed version arrives again
        sa.Column("deleted_at", Timestamp),
        sa.UniqueConstraint("connection", "external_id", name=f"uq_{name}_source"),
        *([sa.CheckConstraint("total_debit = total_credit AND "
                              "functional_total_debit = functional_total_credit",
                              name="ck_ledger_entries_balanced")]
          if entity == "ledger_entry" else []),
        sa.Index(f"ix_{name}_change_seq", "change_seq"),
    )


ENTITY_TABLES: dict[str, sa.Table] = {
    entity: _entity_table(entity, name) for entity, name in ENTITY_TABLE_NAMES.items()
}
sa.Index("ix_products_sku", ENTITY_TABLES["product"].c.sku)
sa.Index("ix_inventory_levels_sku", ENTITY_TABLES["inventory_level"].c.sku)
sa.Index("ix_inventory_levels_connection_sku", ENTITY_TABLES["inventory_level"].c.connection,
         ENTITY_TABLES["inventory_level"].c.sku)
sa.Index("ix_refunds_created_at", ENTITY_TABLES["refund"].c.created_at)
sa.Index("ix_refunds_order", ENTITY_TABLES["refund"].c.connection,
         ENTITY_TABLES["refund"].c.order_external_id)
sa.Index("ix_orders_placed_at", ENTITY_TABLES["order"].c.placed_at)
sa.Index("ix_service_tickets_order", ENTITY_TABLES["service_ticket"].c.order_connection,
         ENTITY_TABLES["service_ticket"].c.order_external_id)
sa.Index("ix_payouts_issued_at", ENTITY_TABLES["payout"].c.issued_at)
sa.Index("ix_balance_transactions_processed_at",
         ENTITY_TABLES["balance_transaction"].c.processed_at)
sa.Index("ix_balance_transactions_payout", ENTITY_TABLES["balance_transaction"].c.connection,
         ENTITY_TABLES["balance_transaction"].c.payout_external_id)
# added by 0006: settlement finds an order's charges (and orders without any) by this
sa.Index("ix_balance_transactions_order", ENTITY_TABLES["balance_transaction"].c.connection,
         ENTITY_TABLES["balance_transaction"].c.order_external_id)
sa.Index("ix_fx_rates_pair", ENTITY_TABLES["fx_rate"].c.base, ENTITY_TABLES["fx_rate"].c.quote,
         ENTITY_TABLES["fx_rate"].c.rate_date)
sa.Index("ix_ledger_entries_posted_on", ENTITY_TABLES["ledger_entry"].c.posted_on)
sa.Index("ix_shipments_order", ENTITY_TABLES["shipment"].c.order_connection,
         ENTITY_TABLES["shipment"].c.order_external_id)

bindings = sa.Table(
    "bindings",
    metadata,
    sa.Column("connection", sa.String(255), primary_key=True),
    sa.Column("entity", sa.String(64), primary_key=True),
    sa.Column("external_id", sa.String(255), primary_key=True),
    sa.Column("canonical_id", sa.String(64), nullable=False),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Index("ix_bindings_canonical_id", "canonical_id"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("connection", sa.String(255), primary_key=True),
    sa.Column("stream", sa.String(255), primary_key=True),
    sa.Column("state", JsonDoc, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("connection", sa.String(255), nullable=False),
    sa.Column("stream", sa.String(255), nullable=False),
    sa.Column("entity", sa.String(64)),
    sa.Column("record_id", sa.String(255)),
    # sha256 of (record id, or the raw record's hash when it has none) and the reason: the
    # identity of "the same problem again", short enough for a unique index
    sa.Column("dedupe_key", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("field", sa.String(255)),
    sa.Column("raw", JsonDoc),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("resolved_at", Timestamp),
    sa.UniqueConstraint("connection", "stream", "dedupe_key", name="uq_dead_letters_dedupe"),
)

change_counters = sa.Table(
    "change_counters",
    metadata,
    sa.Column("entity", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False, server_default="0"),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("connection", sa.String(255), nullable=False),
    sa.Column("stream", sa.String(255), nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fetched", sa.Integer, nullable=False, server_default="0"),
    sa.Column("stored", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quarantined", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cursor", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("owner", sa.String(255)),
    sa.Column("heartbeat_at", Timestamp),
    sa.Index("ix_sync_runs_stream", "connection", "stream", "started_at"),
)


def entity_table(entity: str) -> sa.Table:
    """The table that holds one canonical entity, e.g. ``orders`` for ``order``."""
    try:
        return ENTITY_TABLES[entity]
    except KeyError:
        known = ", ".join(sorted(ENTITY_TABLES))
        raise KeyError(f"unknown entity {entity!r}; known: {known}") from None
