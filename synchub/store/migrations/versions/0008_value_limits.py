"""Value limits: an order's number may have 255 characters (it had 64).

Revision ID: 0008_value_limits
Revises: 0007_drop_outbox
Create Date: 2026-12-07

The canonical models now declare the length of every value kept in a typed column
(synchub/canonical/limits.py), so a value too long for its column is quarantined with its
record on both databases instead of failing a page on PostgreSQL. Order numbers with a shop's
own prefix and suffix, or marketplace references, need more than 64 characters: the column
takes 255, as every other short text of the store.

A column a view reads cannot change its type, on PostgreSQL (the view is refused) and on
SQLite (the table is rebuilt, and renaming it back fails while a view names it). The views
that read ``orders`` are dropped and made again around the change, from the frozen SQL below:
the statements of ``0004_feed_views``, which are still the views' definitions at this
revision. The downgrade cuts numbers longer than 64 characters to 64.
"""

# frozen SQL keeps its lines as they ran
# ruff: noqa: E501

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_value_limits"
down_revision = "0007_drop_outbox"
branch_labels = None
depends_on = None

# Views that read the orders table, per dialect: PostgreSQL minds only those that read the
# changed column; SQLite's table rebuild minds every view that names the table.
DROP_STATEMENTS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "DROP VIEW IF EXISTS feed_refunds",
        "DROP VIEW IF EXISTS feed_shipments",
        "DROP VIEW IF EXISTS feed_order_lines",
        "DROP VIEW IF EXISTS feed_orders",
    ),
    "postgresql": ("DROP VIEW IF EXISTS feed_orders",),
}

CREATE_SQLITE: tuple[str, ...] = (
    """CREATE VIEW feed_orders AS
SELECT
  o.id AS id,
  o.connection AS connection,
  o.external_id AS external_id,
  o.number AS number,
  json_extract(o.data, '$.channel') AS channel,
  o.status AS status,
  json_extract(o.data, '$.financial_status') AS financial_status,
  json_extract(o.data, '$.fulfillment_status') AS fulfillment_status,
  o.currency AS currency,
  json_extract(o.data, '$.subtotal.amount') AS subtotal,
  json_extract(o.data, '$.discount_total.amount') AS discount_total,
  json_extract(o.data, '$.shipping_total.amount') AS shipping_total,
  json_extract(o.data, '$.tax_total.amount') AS tax_total,
  json_extract(o.data, '$.refunded_total.amount') AS refunded_total,
  json_extract(o.data, '$.total.amount') AS total,
  json_extract(o.data, '$.taxes_included') AS taxes_included,
  json_extract(o.data, '$.placed_at') AS placed_at,
  json_extract(o.data, '$.updated_at') AS updated_at,
  json_extract(o.data, '$.cancelled_at') AS cancelled_at,
  json_extract(o.data, '$.customer.external_id') AS customer_external_id,
  json_extract(o.data, '$.customer.email') AS customer_email,
  json_array_length(o.data, '$.lines') AS line_count,
  o.updated_at AS stored_at,
  o.change_seq AS change_seq
FROM orders o""",
    """CREATE VIEW feed_order_lines AS
SELECT
  o.id AS order_id,
  o.connection AS connection,
  o.external_id AS order_external_id,
  l.key + 1 AS line_no,
  json_extract(l.value, '$.external_id') AS line_external_id,
  json_extract(l.value, '$.sku') AS sku,
  json_extract(l.value, '$.product_external_id') AS product_external_id,
  json_extract(l.value, '$.variant_external_id') AS variant_external_id,
  json_extract(l.value, '$.title') AS title,
  json_extract(l.value, '$.quantity') AS quantity,
  o.currency AS currency,
  json_extract(l.value, '$.unit_price.amount') AS unit_price,
  json_extract(l.value, '$.discount.amount') AS discount,
  json_extract(l.value, '$.tax.amount') AS tax,
  json_extract(l.value, '$.total.amount') AS total,
  json_extract(l.value, '$.refunded_quantity') AS refunded_quantity,
  o.change_seq AS change_seq
FROM orders o, json_each(o.data, '$.lines') AS l""",
    """CREATE VIEW feed_shipments AS
SELECT
  s.id AS id,
  s.connection AS connection,
  s.external_id AS external_id,
  coalesce(s.order_connection, s.connection) AS order_connection,
  s.order_external_id AS order_external_id,
  so.id AS order_id,
  json_extract(s.data, '$.carrier') AS carrier,
  json_extract(s.data, '$.service') AS service,
  json_extract(s.data, '$.tracking_number') AS tracking_number,
  json_extract(s.data, '$.tracking_url') AS tracking_url,
  json_extract(s.data, '$.status') AS status,
  json_extract(s.data, '$.shipped_at') AS shipped_at,
  json_extract(s.data, '$.delivered_at') AS delivered_at,
  json_extract(s.data, '$.updated_at') AS updated_at,
  s.updated_at AS stored_at,
  s.change_seq AS change_seq
FROM shipments s LEFT JOIN orders so ON so.connection = coalesce(s.order_connection, s.connection) AND so.external_id = s.order_external_id""",
    """CREATE VIEW feed_refunds AS
SELECT
  r.id AS id,
  r.connection AS connection,
  r.external_id AS external_id,
  json_extract(r.data, '$.order_external_id') AS order_external_id,
  ro.id AS order_id,
  json_extract(r.data, '$.created_at') AS created_at,
  json_extract(r.data, '$.amount.amount') AS amount,
  json_extract(r.data, '$.amount.currency') AS currency,
  json_extract(r.data, '$.reason') AS reason,
  json_array_length(r.data, '$.lines') AS line_count,
  r.updated_at AS stored_at,
  r.change_seq AS change_seq
FROM refunds r LEFT JOIN orders ro ON ro.connection = r.connection AND ro.external_id = json_extract(r.data, '$.order_external_id')""",
)

CREATE_POSTGRESQL: tuple[str, ...] = (
    """CREATE VIEW feed_orders AS
SELECT
  o.id AS id,
  o.connection AS connection,
  o.external_id AS external_id,
  o.number AS number,
  (o.data #>> '{channel}') AS channel,
  o.status AS status,
  (o.data #>> '{financial_status}') AS financial_status,
  (o.data #>> '{fulfillment_status}') AS fulfillment_status,
  o.currency AS currency,
  (o.data #>> '{subtotal,amount}')::numeric AS subtotal,
  (o.data #>> '{discount_total,amount}')::numeric AS discount_total,
  (o.data #>> '{shipping_total,amount}')::numeric AS shipping_total,
  (o.data #>> '{tax_total,amount}')::numeric AS tax_total,
  (o.data #>> '{refunded_total,amount}')::numeric AS refunded_total,
  (o.data #>> '{total,amount}')::numeric AS total,
  (o.data #>> '{taxes_included}')::boolean AS taxes_included,
  o.placed_at AS placed_at,
  o.source_updated_at AS updated_at,
  (o.data #>> '{cancelled_at}')::timestamptz AS cancelled_at,
  (o.data #>> '{customer,external_id}') AS customer_external_id,
  (o.data #>> '{customer,email}') AS customer_email,
  jsonb_array_length(coalesce(o.data #> '{lines}', '[]'::jsonb)) AS line_count,
  o.updated_at AS stored_at,
  o.change_seq AS change_seq
FROM orders o""",
)

CREATE_STATEMENTS: dict[str, tuple[str, ...]] = {"sqlite": CREATE_SQLITE,
                                             "postgresql": CREATE_POSTGRESQL}


def _number(was: int, length: int, using: str | None = None) -> None:
    dialect = op.get_bind().dialect.name
    for statement in DROP_STATEMENTS[dialect]:
        op.execute(statement)
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("number", existing_type=sa.String(was), type_=sa.String(length),
                           existing_nullable=True, postgresql_using=using)
    for statement in CREATE_STATEMENTS[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _number(64, 255)


def downgrade() -> None:
    _number(255, 64, using="left(number, 64)")
