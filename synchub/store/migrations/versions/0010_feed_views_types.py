"""Views: exact money twins (``<amount>_e4``), ISO 8601 UTC times on both databases;
``deleted_at`` on every entity table (tombstones).

Revision ID: 0010_feed_views_types
Revises: 0009_run_owner
Create Date: 2026-12-07

Every entity table gets ``deleted_at`` (null while the record exists at its source; set by
``Store.mark_deleted``, which also gives the record a new ``change_seq``, so the change feed
and the exports carry the deletion). The feed views (0004) and ledger views (0006) are
dropped and recreated: every time column is ISO 8601 UTC text ending in ``Z`` with six
fraction digits, the same string on SQLite and PostgreSQL; every amount ``x`` gains
``x_e4``, the amount in ten-thousandths as an integer, whose ``SUM`` is exact on SQLite too
(text amounts sum there as binary floats); the entity views show ``deleted_at``.

The statements below are frozen: the exact SQL this revision runs on each dialect, pasted
from what ``synchub.feeds.views`` and ``synchub.feeds.ledger_views`` generated at this
revision; the downgrade recreates the views as 0004 and 0006 made them, pasted from those
revisions. They never change (tests/store/test_migrations.py).
"""

# frozen SQL keeps its lines as they ran
# ruff: noqa: E501

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_feed_views_types"
down_revision = "0009_run_owner"
branch_labels = None
depends_on = None

# Frozen copy of the timestamp type of 0001_initial.
TS = sa.DateTime(timezone=True)
ENTITY_TABLES: tuple[str, ...] = ('orders', 'products', 'inventory_levels', 'customers', 'shipments', 'refunds', 'payouts', 'balance_transactions', 'fx_rates', 'ledger_entries')

DROP_STATEMENTS: tuple[str, ...] = (
    """DROP VIEW IF EXISTS feed_journal_lines""",
    """DROP VIEW IF EXISTS feed_reconciliation""",
    """DROP VIEW IF EXISTS feed_refunds""",
    """DROP VIEW IF EXISTS feed_products""",
    """DROP VIEW IF EXISTS feed_shipments""",
    """DROP VIEW IF EXISTS feed_customers""",
    """DROP VIEW IF EXISTS feed_inventory""",
    """DROP VIEW IF EXISTS feed_order_lines""",
    """DROP VIEW IF EXISTS feed_orders""",
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
  CAST(round(json_extract(o.data, '$.subtotal.amount') * 10000) AS INTEGER) AS subtotal_e4,
  json_extract(o.data, '$.discount_total.amount') AS discount_total,
  CAST(round(json_extract(o.data, '$.discount_total.amount') * 10000) AS INTEGER) AS discount_total_e4,
  json_extract(o.data, '$.shipping_total.amount') AS shipping_total,
  CAST(round(json_extract(o.data, '$.shipping_total.amount') * 10000) AS INTEGER) AS shipping_total_e4,
  json_extract(o.data, '$.tax_total.amount') AS tax_total,
  CAST(round(json_extract(o.data, '$.tax_total.amount') * 10000) AS INTEGER) AS tax_total_e4,
  json_extract(o.data, '$.refunded_total.amount') AS refunded_total,
  CAST(round(json_extract(o.data, '$.refunded_total.amount') * 10000) AS INTEGER) AS refunded_total_e4,
  json_extract(o.data, '$.total.amount') AS total,
  CAST(round(json_extract(o.data, '$.total.amount') * 10000) AS INTEGER) AS total_e4,
  json_extract(o.data, '$.taxes_included') AS taxes_included,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(o.data, '$.placed_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(o.data, '$.placed_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(o.data, '$.placed_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS placed_at,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(o.data, '$.updated_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(o.data, '$.updated_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(o.data, '$.updated_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(o.data, '$.cancelled_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(o.data, '$.cancelled_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(o.data, '$.cancelled_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS cancelled_at,
  json_extract(o.data, '$.customer.external_id') AS customer_external_id,
  json_extract(o.data, '$.customer.email') AS customer_email,
  json_array_length(o.data, '$.lines') AS line_count,
  strftime('%Y-%m-%dT%H:%M:%S', o.deleted_at) || printf('.%06dZ', CASE WHEN substr(o.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(o.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', o.updated_at) || printf('.%06dZ', CASE WHEN substr(o.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(o.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
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
  CAST(round(json_extract(l.value, '$.unit_price.amount') * 10000) AS INTEGER) AS unit_price_e4,
  json_extract(l.value, '$.discount.amount') AS discount,
  CAST(round(json_extract(l.value, '$.discount.amount') * 10000) AS INTEGER) AS discount_e4,
  json_extract(l.value, '$.tax.amount') AS tax,
  CAST(round(json_extract(l.value, '$.tax.amount') * 10000) AS INTEGER) AS tax_e4,
  json_extract(l.value, '$.total.amount') AS total,
  CAST(round(json_extract(l.value, '$.total.amount') * 10000) AS INTEGER) AS total_e4,
  json_extract(l.value, '$.refunded_quantity') AS refunded_quantity,
  strftime('%Y-%m-%dT%H:%M:%S', o.deleted_at) || printf('.%06dZ', CASE WHEN substr(o.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(o.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
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
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(i.data, '$.updated_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(i.data, '$.updated_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(i.data, '$.updated_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%S', i.deleted_at) || printf('.%06dZ', CASE WHEN substr(i.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(i.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', i.updated_at) || printf('.%06dZ', CASE WHEN substr(i.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(i.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
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
  CAST(round(json_extract(c.data, '$.total_spent.amount') * 10000) AS INTEGER) AS total_spent_e4,
  json_extract(c.data, '$.total_spent.currency') AS total_spent_currency,
  json_extract(c.data, '$.default_address.country_code') AS country_code,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(c.data, '$.created_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(c.data, '$.created_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(c.data, '$.created_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS created_at,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(c.data, '$.updated_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(c.data, '$.updated_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(c.data, '$.updated_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%S', c.deleted_at) || printf('.%06dZ', CASE WHEN substr(c.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(c.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', c.updated_at) || printf('.%06dZ', CASE WHEN substr(c.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(c.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
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
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(s.data, '$.shipped_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(s.data, '$.shipped_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(s.data, '$.shipped_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS shipped_at,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(s.data, '$.delivered_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(s.data, '$.delivered_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(s.data, '$.delivered_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS delivered_at,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(s.data, '$.updated_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(s.data, '$.updated_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(s.data, '$.updated_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%S', s.deleted_at) || printf('.%06dZ', CASE WHEN substr(s.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(s.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', s.updated_at) || printf('.%06dZ', CASE WHEN substr(s.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(s.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
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
  CAST(round(json_extract(p.data, '$.price.amount') * 10000) AS INTEGER) AS price_e4,
  json_extract(p.data, '$.compare_at_price.amount') AS compare_at_price,
  CAST(round(json_extract(p.data, '$.compare_at_price.amount') * 10000) AS INTEGER) AS compare_at_price_e4,
  json_extract(p.data, '$.price.currency') AS currency,
  json_extract(p.data, '$.barcode') AS barcode,
  json_extract(p.data, '$.inventory_tracked') AS inventory_tracked,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(p.data, '$.updated_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(p.data, '$.updated_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(p.data, '$.updated_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%S', p.deleted_at) || printf('.%06dZ', CASE WHEN substr(p.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(p.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', p.updated_at) || printf('.%06dZ', CASE WHEN substr(p.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(p.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
  p.change_seq AS change_seq
FROM products p""",
    """CREATE VIEW feed_refunds AS
SELECT
  r.id AS id,
  r.connection AS connection,
  r.external_id AS external_id,
  json_extract(r.data, '$.order_external_id') AS order_external_id,
  ro.id AS order_id,
  strftime('%Y-%m-%dT%H:%M:%S', json_extract(r.data, '$.created_at')) || printf('.%06dZ', CASE WHEN substr(json_extract(r.data, '$.created_at'), 20, 1) = '.' THEN CAST(round(CAST(substr(json_extract(r.data, '$.created_at'), 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS created_at,
  json_extract(r.data, '$.amount.amount') AS amount,
  CAST(round(json_extract(r.data, '$.amount.amount') * 10000) AS INTEGER) AS amount_e4,
  json_extract(r.data, '$.amount.currency') AS currency,
  json_extract(r.data, '$.reason') AS reason,
  json_array_length(r.data, '$.lines') AS line_count,
  strftime('%Y-%m-%dT%H:%M:%S', r.deleted_at) || printf('.%06dZ', CASE WHEN substr(r.deleted_at, 20, 1) = '.' THEN CAST(round(CAST(substr(r.deleted_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS deleted_at,
  strftime('%Y-%m-%dT%H:%M:%S', r.updated_at) || printf('.%06dZ', CASE WHEN substr(r.updated_at, 20, 1) = '.' THEN CAST(round(CAST(substr(r.updated_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS stored_at,
  r.change_seq AS change_seq
FROM refunds r LEFT JOIN orders ro ON ro.connection = r.connection AND ro.external_id = json_extract(r.data, '$.order_external_id')""",
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  CASE WHEN r.channel_value IS NULL THEN NULL ELSE printf('%.4f', r.channel_value) END AS channel_value,
  CAST(round(r.channel_value * 10000) AS INTEGER) AS channel_value_e4,
  CASE WHEN r.hub_value IS NULL THEN NULL ELSE printf('%.4f', r.hub_value) END AS hub_value,
  CAST(round(r.hub_value * 10000) AS INTEGER) AS hub_value_e4,
  CASE WHEN r.erp_value IS NULL THEN NULL ELSE printf('%.4f', r.erp_value) END AS erp_value,
  CAST(round(r.erp_value * 10000) AS INTEGER) AS erp_value_e4,
  CASE WHEN r.difference IS NULL THEN NULL ELSE printf('%.4f', r.difference) END AS difference,
  CAST(round(r.difference * 10000) AS INTEGER) AS difference_e4,
  r.status AS status,
  r.detail AS detail,
  strftime('%Y-%m-%dT%H:%M:%S', r.built_at) || printf('.%06dZ', CASE WHEN substr(r.built_at, 20, 1) = '.' THEN CAST(round(CAST(substr(r.built_at, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END) AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  CASE WHEN l.debit IS NULL THEN NULL ELSE printf('%.4f', l.debit) END AS debit,
  CAST(round(l.debit * 10000) AS INTEGER) AS debit_e4,
  CASE WHEN l.credit IS NULL THEN NULL ELSE printf('%.4f', l.credit) END AS credit,
  CAST(round(l.credit * 10000) AS INTEGER) AS credit_e4,
  l.functional_currency AS functional_currency,
  CASE WHEN l.functional_debit IS NULL THEN NULL ELSE printf('%.4f', l.functional_debit) END AS functional_debit,
  CAST(round(l.functional_debit * 10000) AS INTEGER) AS functional_debit_e4,
  CASE WHEN l.functional_credit IS NULL THEN NULL ELSE printf('%.4f', l.functional_credit) END AS functional_credit,
  CAST(round(l.functional_credit * 10000) AS INTEGER) AS functional_credit_e4,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
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
  round((o.data #>> '{subtotal,amount}')::numeric * 10000)::bigint AS subtotal_e4,
  (o.data #>> '{discount_total,amount}')::numeric AS discount_total,
  round((o.data #>> '{discount_total,amount}')::numeric * 10000)::bigint AS discount_total_e4,
  (o.data #>> '{shipping_total,amount}')::numeric AS shipping_total,
  round((o.data #>> '{shipping_total,amount}')::numeric * 10000)::bigint AS shipping_total_e4,
  (o.data #>> '{tax_total,amount}')::numeric AS tax_total,
  round((o.data #>> '{tax_total,amount}')::numeric * 10000)::bigint AS tax_total_e4,
  (o.data #>> '{refunded_total,amount}')::numeric AS refunded_total,
  round((o.data #>> '{refunded_total,amount}')::numeric * 10000)::bigint AS refunded_total_e4,
  (o.data #>> '{total,amount}')::numeric AS total,
  round((o.data #>> '{total,amount}')::numeric * 10000)::bigint AS total_e4,
  (o.data #>> '{taxes_included}')::boolean AS taxes_included,
  to_char((o.placed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS placed_at,
  to_char((o.source_updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char(((o.data #>> '{cancelled_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cancelled_at,
  (o.data #>> '{customer,external_id}') AS customer_external_id,
  (o.data #>> '{customer,email}') AS customer_email,
  jsonb_array_length(coalesce(o.data #> '{lines}', '[]'::jsonb)) AS line_count,
  to_char((o.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((o.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
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
  round((l.value #>> '{unit_price,amount}')::numeric * 10000)::bigint AS unit_price_e4,
  (l.value #>> '{discount,amount}')::numeric AS discount,
  round((l.value #>> '{discount,amount}')::numeric * 10000)::bigint AS discount_e4,
  (l.value #>> '{tax,amount}')::numeric AS tax,
  round((l.value #>> '{tax,amount}')::numeric * 10000)::bigint AS tax_e4,
  (l.value #>> '{total,amount}')::numeric AS total,
  round((l.value #>> '{total,amount}')::numeric * 10000)::bigint AS total_e4,
  (l.value #>> '{refunded_quantity}')::bigint AS refunded_quantity,
  to_char((o.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
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
  to_char((i.source_updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char((i.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((i.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
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
  round((c.data #>> '{total_spent,amount}')::numeric * 10000)::bigint AS total_spent_e4,
  (c.data #>> '{total_spent,currency}') AS total_spent_currency,
  (c.data #>> '{default_address,country_code}') AS country_code,
  to_char(((c.data #>> '{created_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  to_char((c.source_updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char((c.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((c.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
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
  to_char(((s.data #>> '{shipped_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS shipped_at,
  to_char(((s.data #>> '{delivered_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS delivered_at,
  to_char(((s.data #>> '{updated_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char((s.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((s.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
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
  round((p.data #>> '{price,amount}')::numeric * 10000)::bigint AS price_e4,
  (p.data #>> '{compare_at_price,amount}')::numeric AS compare_at_price,
  round((p.data #>> '{compare_at_price,amount}')::numeric * 10000)::bigint AS compare_at_price_e4,
  (p.data #>> '{price,currency}') AS currency,
  (p.data #>> '{barcode}') AS barcode,
  (p.data #>> '{inventory_tracked}')::boolean AS inventory_tracked,
  to_char(((p.data #>> '{updated_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at,
  to_char((p.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((p.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
  p.change_seq AS change_seq
FROM products p""",
    """CREATE VIEW feed_refunds AS
SELECT
  r.id AS id,
  r.connection AS connection,
  r.external_id AS external_id,
  (r.data #>> '{order_external_id}') AS order_external_id,
  ro.id AS order_id,
  to_char(((r.data #>> '{created_at}')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  (r.data #>> '{amount,amount}')::numeric AS amount,
  round((r.data #>> '{amount,amount}')::numeric * 10000)::bigint AS amount_e4,
  (r.data #>> '{amount,currency}') AS currency,
  (r.data #>> '{reason}') AS reason,
  jsonb_array_length(coalesce(r.data #> '{lines}', '[]'::jsonb)) AS line_count,
  to_char((r.deleted_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deleted_at,
  to_char((r.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stored_at,
  r.change_seq AS change_seq
FROM refunds r LEFT JOIN orders ro ON ro.connection = r.connection AND ro.external_id = (r.data ->> 'order_external_id')""",
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  r.channel_value AS channel_value,
  round(r.channel_value * 10000)::bigint AS channel_value_e4,
  r.hub_value AS hub_value,
  round(r.hub_value * 10000)::bigint AS hub_value_e4,
  r.erp_value AS erp_value,
  round(r.erp_value * 10000)::bigint AS erp_value_e4,
  r.difference AS difference,
  round(r.difference * 10000)::bigint AS difference_e4,
  r.status AS status,
  r.detail AS detail,
  to_char((r.built_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  l.debit AS debit,
  round(l.debit * 10000)::bigint AS debit_e4,
  l.credit AS credit,
  round(l.credit * 10000)::bigint AS credit_e4,
  l.functional_currency AS functional_currency,
  l.functional_debit AS functional_debit,
  round(l.functional_debit * 10000)::bigint AS functional_debit_e4,
  l.functional_credit AS functional_credit,
  round(l.functional_credit * 10000)::bigint AS functional_credit_e4,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
)

CREATE_STATEMENTS: dict[str, tuple[str, ...]] = {"sqlite": CREATE_SQLITE,
                                             "postgresql": CREATE_POSTGRESQL}

# the views as 0004_feed_views and 0006_ledger_views made them, for the downgrade
BEFORE_SQLITE: tuple[str, ...] = (
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
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  CASE WHEN r.channel_value IS NULL THEN NULL ELSE printf('%.4f', r.channel_value) END AS channel_value,
  CASE WHEN r.hub_value IS NULL THEN NULL ELSE printf('%.4f', r.hub_value) END AS hub_value,
  CASE WHEN r.erp_value IS NULL THEN NULL ELSE printf('%.4f', r.erp_value) END AS erp_value,
  CASE WHEN r.difference IS NULL THEN NULL ELSE printf('%.4f', r.difference) END AS difference,
  r.status AS status,
  r.detail AS detail,
  r.built_at AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  CASE WHEN l.debit IS NULL THEN NULL ELSE printf('%.4f', l.debit) END AS debit,
  CASE WHEN l.credit IS NULL THEN NULL ELSE printf('%.4f', l.credit) END AS credit,
  l.functional_currency AS functional_currency,
  CASE WHEN l.functional_debit IS NULL THEN NULL ELSE printf('%.4f', l.functional_debit) END AS functional_debit,
  CASE WHEN l.functional_credit IS NULL THEN NULL ELSE printf('%.4f', l.functional_credit) END AS functional_credit,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
)

BEFORE_POSTGRESQL: tuple[str, ...] = (
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
    """CREATE VIEW feed_reconciliation AS
SELECT
  r.day AS day,
  r.channel AS connection,
  r.metric AS metric,
  r.currency AS currency,
  r.channel_value AS channel_value,
  r.hub_value AS hub_value,
  r.erp_value AS erp_value,
  r.difference AS difference,
  r.status AS status,
  r.detail AS detail,
  r.built_at AS built_at,
  r.change_seq AS change_seq
FROM reconciliation_rows r""",
    """CREATE VIEW feed_journal_lines AS
SELECT
  l.entry_id AS entry_id,
  l.line_no AS line_no,
  l.channel AS connection,
  e.external_id AS entry_external_id,
  l.kind AS kind,
  l.posted_on AS posted_on,
  l.account AS account,
  l.currency AS currency,
  l.debit AS debit,
  l.credit AS credit,
  l.functional_currency AS functional_currency,
  l.functional_debit AS functional_debit,
  l.functional_credit AS functional_credit,
  l.rule AS rule,
  l.source AS source,
  l.description AS description,
  e.corrects AS corrects,
  e.change_seq AS change_seq
FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id""",
)

BEFORE_STATEMENTS: dict[str, tuple[str, ...]] = {"sqlite": BEFORE_SQLITE,
                                             "postgresql": BEFORE_POSTGRESQL}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in DROP_STATEMENTS:
        op.execute(statement)
    for table in ENTITY_TABLES:
        op.add_column(table, sa.Column("deleted_at", TS))
    for statement in CREATE_STATEMENTS[dialect]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in DROP_STATEMENTS:
        op.execute(statement)
    for table in ENTITY_TABLES:
        op.drop_column(table, "deleted_at")
    for statement in BEFORE_STATEMENTS[dialect]:
        op.execute(statement)
