"""Flat feed views: feed_orders, feed_order_lines, feed_inventory, feed_customers, ...

Revision ID: 0004_feed_views
Revises: 0003_delivery
Create Date: 2026-11-25

The statements below are frozen: the exact SQL this revision runs on each dialect, pasted
from what ``synchub.feeds.views`` generated at this revision. They never change; a later
change to a view comes as a new migration that drops and recreates it with its new SQL
(tests/store/test_migrations.py fails until it does).
"""

# frozen SQL keeps its lines as they ran
# ruff: noqa: E501

from __future__ import annotations

from alembic import op

revision = "0004_feed_views"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None

DROP_STATEMENTS: tuple[str, ...] = (
    "DROP VIEW IF EXISTS feed_refunds",
    "DROP VIEW IF EXISTS feed_products",
    "DROP VIEW IF EXISTS feed_shipments",
    "DROP VIEW IF EXISTS feed_customers",
    "DROP VIEW IF EXISTS feed_inventory",
    "DROP VIEW IF EXISTS feed_order_lines",
    "DROP VIEW IF EXISTS feed_orders",
)

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
    """CREATE VIEW feed_inventory AS
SELECT
  i.id AS id,
  i.connection AS connection,
  i.external_id AS external_id,
  i.sku AS sku,
  i.location_external_id AS location,
  i.location_name AS location_name,
  i.on_hand AS on_hand,
  i.reserved AS reserved,
  i.available AS available,
  json_extract(i.data, '$.updated_at') AS updated_at,
  i.updated_at AS stored_at,
  i.change_seq AS change_seq
FROM inventory_levels i""",
    """CREATE VIEW feed_customers AS
SELECT
  c.id AS id,
  c.connection AS connection,
  c.external_id AS external_id,
  json_extract(c.data, '$.email') AS email,
  json_extract(c.data, '$.phone') AS phone,
  json_extract(c.data, '$.first_name') AS first_name,
  json_extract(c.data, '$.last_name') AS last_name,
  json_extract(c.data, '$.accepts_marketing') AS accepts_marketing,
  json_extract(c.data, '$.orders_count') AS orders_count,
  json_extract(c.data, '$.total_spent.amount') AS total_spent,
  json_extract(c.data, '$.total_spent.currency') AS total_spent_currency,
  json_extract(c.data, '$.default_address.country_code') AS country_code,
  json_extract(c.data, '$.created_at') AS created_at,
  json_extract(c.data, '$.updated_at') AS updated_at,
  c.updated_at AS stored_at,
  c.change_seq AS change_seq
FROM customers c""",
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
    """CREATE VIEW feed_products AS
SELECT
  p.id AS id,
  p.connection AS connection,
  p.external_id AS external_id,
  p.sku AS sku,
  json_extract(p.data, '$.title') AS title,
  json_extract(p.data, '$.variant_title') AS variant_title,
  json_extract(p.data, '$.parent.external_id') AS parent_external_id,
  json_extract(p.data, '$.parent.title') AS parent_title,
  json_extract(p.data, '$.status') AS status,
  json_extract(p.data, '$.price.amount') AS price,
  json_extract(p.data, '$.compare_at_price.amount') AS compare_at_price,
  json_extract(p.data, '$.price.currency') AS currency,
  json_extract(p.data, '$.barcode') AS barcode,
  json_extract(p.data, '$.inventory_tracked') AS inventory_tracked,
  json_extract(p.data, '$.updated_at') AS updated_at,
  p.updated_at AS stored_at,
  p.change_seq AS change_seq
FROM products p""",
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
    """CREATE VIEW feed_order_lines AS
SELECT
  o.id AS order_id,
  o.connection AS connection,
  o.external_id AS order_external_id,
  l.ord AS line_no,
  (l.value #>> '{external_id}') AS line_external_id,
  (l.value #>> '{sku}') AS sku,
  (l.value #>> '{product_external_id}') AS product_external_id,
  (l.value #>> '{variant_external_id}') AS variant_external_id,
  (l.value #>> '{title}') AS title,
  (l.value #>> '{quantity}')::bigint AS quantity,
  o.currency AS currency,
  (l.value #>> '{unit_price,amount}')::numeric AS unit_price,
  (l.value #>> '{discount,amount}')::numeric AS discount,
  (l.value #>> '{tax,amount}')::numeric AS tax,
  (l.value #>> '{total,amount}')::numeric AS total,
  (l.value #>> '{refunded_quantity}')::bigint AS refunded_quantity,
  o.change_seq AS change_seq
FROM orders o CROSS JOIN LATERAL jsonb_array_elements(coalesce(o.data -> 'lines', '[]'::jsonb)) WITH ORDINALITY AS l(value, ord)""",
    """CREATE VIEW feed_inventory AS
SELECT
  i.id AS id,
  i.connection AS connection,
  i.external_id AS external_id,
  i.sku AS sku,
  i.location_external_id AS location,
  i.location_name AS location_name,
  i.on_hand AS on_hand,
  i.reserved AS reserved,
  i.available AS available,
  i.source_updated_at AS updated_at,
  i.updated_at AS stored_at,
  i.change_seq AS change_seq
FROM inventory_levels i""",
    """CREATE VIEW feed_customers AS
SELECT
  c.id AS id,
  c.connection AS connection,
  c.external_id AS external_id,
  (c.data #>> '{email}') AS email,
  (c.data #>> '{phone}') AS phone,
  (c.data #>> '{first_name}') AS first_name,
  (c.data #>> '{last_name}') AS last_name,
  (c.data #>> '{accepts_marketing}')::boolean AS accepts_marketing,
  (c.data #>> '{orders_count}')::bigint AS orders_count,
  (c.data #>> '{total_spent,amount}')::numeric AS total_spent,
  (c.data #>> '{total_spent,currency}') AS total_spent_currency,
  (c.data #>> '{default_address,country_code}') AS country_code,
  (c.data #>> '{created_at}')::timestamptz AS created_at,
  c.source_updated_at AS updated_at,
  c.updated_at AS stored_at,
  c.change_seq AS change_seq
FROM customers c""",
    """CREATE VIEW feed_shipments AS
SELECT
  s.id AS id,
  s.connection AS connection,
  s.external_id AS external_id,
  coalesce(s.order_connection, s.connection) AS order_connection,
  s.order_external_id AS order_external_id,
  so.id AS order_id,
  (s.data #>> '{carrier}') AS carrier,
  (s.data #>> '{service}') AS service,
  (s.data #>> '{tracking_number}') AS tracking_number,
  (s.data #>> '{tracking_url}') AS tracking_url,
  (s.data #>> '{status}') AS status,
  (s.data #>> '{shipped_at}')::timestamptz AS shipped_at,
  (s.data #>> '{delivered_at}')::timestamptz AS delivered_at,
  (s.data #>> '{updated_at}')::timestamptz AS updated_at,
  s.updated_at AS stored_at,
  s.change_seq AS change_seq
FROM shipments s LEFT JOIN orders so ON so.connection = coalesce(s.order_connection, s.connection) AND so.external_id = s.order_external_id""",
    """CREATE VIEW feed_products AS
SELECT
  p.id AS id,
  p.connection AS connection,
  p.external_id AS external_id,
  p.sku AS sku,
  (p.data #>> '{title}') AS title,
  (p.data #>> '{variant_title}') AS variant_title,
  (p.data #>> '{parent,external_id}') AS parent_external_id,
  (p.data #>> '{parent,title}') AS parent_title,
  (p.data #>> '{status}') AS status,
  (p.data #>> '{price,amount}')::numeric AS price,
  (p.data #>> '{compare_at_price,amount}')::numeric AS compare_at_price,
  (p.data #>> '{price,currency}') AS currency,
  (p.data #>> '{barcode}') AS barcode,
  (p.data #>> '{inventory_tracked}')::boolean AS inventory_tracked,
  (p.data #>> '{updated_at}')::timestamptz AS updated_at,
  p.updated_at AS stored_at,
  p.change_seq AS change_seq
FROM products p""",
    """CREATE VIEW feed_refunds AS
SELECT
  r.id AS id,
  r.connection AS connection,
  r.external_id AS external_id,
  (r.data #>> '{order_external_id}') AS order_external_id,
  ro.id AS order_id,
  (r.data #>> '{created_at}')::timestamptz AS created_at,
  (r.data #>> '{amount,amount}')::numeric AS amount,
  (r.data #>> '{amount,currency}') AS currency,
  (r.data #>> '{reason}') AS reason,
  jsonb_array_length(coalesce(r.data #> '{lines}', '[]'::jsonb)) AS line_count,
  r.updated_at AS stored_at,
  r.change_seq AS change_seq
FROM refunds r LEFT JOIN orders ro ON ro.connection = r.connection AND ro.external_id = (r.data ->> 'order_external_id')""",
)

CREATE_STATEMENTS: dict[str, tuple[str, ...]] = {"sqlite": CREATE_SQLITE,
                                             "postgresql": CREATE_POSTGRESQL}



def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in DROP_STATEMENTS:
        op.execute(statement)
    for statement in CREATE_STATEMENTS[dialect]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_STATEMENTS:
        op.execute(statement)
