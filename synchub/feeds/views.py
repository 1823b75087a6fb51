"""The flat feed views (``feed_orders``, ``feed_order_lines``...): one definition, two dialects.

Business systems that read the hub's database directly (BI tools, finance exports) query
these views instead of parsing canonical documents. Typed columns of the entity tables are
used where they exist; the rest is extracted from ``data``: ``json_extract``/``json_each``
on SQLite, ``#>>``/``jsonb_array_elements`` on PostgreSQL. Amounts are exact: ``numeric``
on PostgreSQL, the document's decimal text on SQLite (which has no exact decimal type);
never a float. SQLite sums text as binary floats, so every amount ``x`` also comes as
``x_e4``, the amount in ten-thousandths as an integer: ``SUM(x_e4)`` is exact on both
databases. Times are ISO 8601 UTC text with six fraction digits and ``Z``
(``2025-03-01T10:15:00.000000Z``), the same string on both databases; being of fixed
width, they also sort as text in time order. CSV exports select from the views and
docs/feeds.md documents these columns.

The database gets its views from migrations that hold their SQL frozen (``0004_feed_views``
first). These definitions are the reference: a change to a view here must come with a new
migration that drops and recreates it with the SQL :func:`create_statements` then gives;
tests/store/test_migrations.py compares a migrated database with them.
"""

from __future__ import annotations

from dataclasses import dataclass

Dialect = str  # "sqlite" | "postgresql"


@dataclass(frozen=True)
class ViewColumn:
    """One column of a view: its name, meaning and expression per dialect."""

    name: str
    doc: str
    sqlite: str
    postgresql: str
    # "bool" reads 1/0 on SQLite (CSV evens it out); "time" is ISO text on both databases;
    # "money" is an exact decimal with an integer twin ``<name>_e4``
    kind: str = "value"

    def expr(self, dialect: Dialect) -> str:
        """The column's SQL expression on ``dialect``."""
        return self.postgresql if dialect == "postgresql" else self.sqlite


@dataclass(frozen=True)
class FeedView:
    """A view over one entity table (joined to others where the link needs it)."""

    name: str
    entity: str
    doc: str
    columns: tuple[ViewColumn, ...]
    from_sqlite: str
    from_postgresql: str

    def select_sql(self, dialect: Dialect) -> str:
        """The view's ``SELECT`` on ``dialect``."""
        cols = ",\n  ".join(f"{c.expr(dialect)} AS {c.name}" for c in self.columns)
        source = self.from_postgresql if dialect == "postgresql" else self.from_sqlite
        return f"SELECT\n  {cols}\nFROM {source}"

    def create_sql(self, dialect: Dialect) -> str:
        """``CREATE VIEW`` for ``dialect``."""
        return f"CREATE VIEW {self.name} AS\n{self.select_sql(dialect)}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# -- expression helpers: (json source, dotted path) -> both dialects ------------------------

def _sqlite_path(path: str) -> str:
    return "'$." + path + "'"


def _pg_path(path: str) -> str:
    return "'{" + path.replace(".", ",") + "}'"


def col(alias: str, name: str, doc: str, column: str | None = None) -> ViewColumn:
    """A table column as it is."""
    ref = f"{alias}.{column or name}"
    return ViewColumn(name, doc, ref, ref)


def text(src: str, path: str, name: str, doc: str) -> ViewColumn:
    """A JSON string (or null) as text."""
    return ViewColumn(name, doc, f"json_extract({src}, {_sqlite_path(path)})",
                      f"({src} #>> {_pg_path(path)})")


def amount(src: str, path: str, name: str, doc: str) -> ViewColumn:
    """A decimal amount kept exact: numeric on PostgreSQL, its decimal text on SQLite."""
    return ViewColumn(name, doc, f"json_extract({src}, {_sqlite_path(path)})",
                      f"({src} #>> {_pg_path(path)})::numeric", kind="money")


E4_DOC = ("{name} in ten-thousandths, an integer (exact on both databases: sum this, then "
          "divide by 10000).")


def scaled(column: ViewColumn) -> ViewColumn:
    """The integer twin ``<name>_e4`` of an amount column: the amount x 10000, rounded to
    the store's 4 decimals, so that ``SUM`` is exact on SQLite too (exact there up to
    about 4.5 x 10^11 per value, where a double still holds every ten-thousandth)."""
    return ViewColumn(f"{column.name}_e4", E4_DOC.format(name=column.name),
                      f"CAST(round({column.sqlite} * 10000) AS INTEGER)",
                      f"round({column.postgresql} * 10000)::bigint", kind="e4")


def money(src: str, path: str, name: str, doc: str) -> tuple[ViewColumn, ViewColumn]:
    """An amount and its integer twin (see :func:`scaled`)."""
    exact = amount(src, path, name, doc)
    return exact, scaled(exact)


def integer(src: str, path: str, name: str, doc: str) -> ViewColumn:
    """A JSON integer."""
    return ViewColumn(name, doc, f"json_extract({src}, {_sqlite_path(path)})",
                      f"({src} #>> {_pg_path(path)})::bigint")


def boolean(src: str, path: str, name: str, doc: str) -> ViewColumn:
    """A JSON boolean (1/0 on SQLite)."""
    return ViewColumn(name, doc, f"json_extract({src}, {_sqlite_path(path)})",
                      f"({src} #>> {_pg_path(path)})::boolean", kind="bool")


def iso_sqlite(expr: str) -> str:
    """SQLite: a UTC time (the store's ``YYYY-MM-DD HH:MM:SS.ffffff`` or a document's ISO
    text) as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; NULL stays NULL. strftime's ``%f`` keeps only
    milliseconds, so the microseconds are read from the text."""
    micros = (f"CASE WHEN substr({expr}, 20, 1) = '.' THEN "
              f"CAST(round(CAST(substr({expr}, 20, 7) AS REAL) * 1000000) AS INTEGER) ELSE 0 END")
    return f"strftime('%Y-%m-%dT%H:%M:%S', {expr}) || printf('.%06dZ', {micros})"


def iso_postgresql(expr: str) -> str:
    """PostgreSQL: a timestamptz as the same text as :func:`iso_sqlite` gives."""
    return f"to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def iso(name: str, doc: str, sqlite: str, postgresql: str) -> ViewColumn:
    """A time column: ISO 8601 UTC text ending in Z, the same string on both databases."""
    return ViewColumn(name, doc, iso_sqlite(sqlite), iso_postgresql(postgresql), kind="time")


def timestamp(src: str, path: str, name: str, doc: str, typed: str | None = None) -> ViewColumn:
    """A UTC time from the document, or on PostgreSQL from its typed column when there is one
    (the same instant), as ISO text (see :func:`iso`)."""
    pg = typed or f"({src} #>> {_pg_path(path)})::timestamptz"
    return iso(name, doc, f"json_extract({src}, {_sqlite_path(path)})", pg)


def _count(src: str, path: str, name: str, doc: str) -> ViewColumn:
    return ViewColumn(name, doc, f"json_array_length({src}, {_sqlite_path(path)})",
                      f"jsonb_array_length(coalesce({src} #> {_pg_path(path)}, '[]'::jsonb))")


SEQ_DOC = ("Change sequence of the record: grows with every stored change, in commit order "
           "(the API cursor).")


def _common(alias: str) -> tuple[ViewColumn, ...]:
    return (
        col(alias, "id", "Hub id of the record (stable UUID)."),
        col(alias, "connection", "Hub connection the record came from."),
        col(alias, "external_id", "Id of the record in its source system."),
    )


DELETED_DOC = ("When the source deleted the record (null while it exists): the row keeps "
               "the record's last version (docs/feeds.md, Deletions).")


def _tail(alias: str, deleted_doc: str = DELETED_DOC) -> tuple[ViewColumn, ...]:
    return (
        iso("deleted_at", deleted_doc, f"{alias}.deleted_at", f"{alias}.deleted_at"),
        iso("stored_at", "When the hub last stored a change of the record.",
            f"{alias}.updated_at", f"{alias}.updated_at"),
        col(alias, "change_seq", SEQ_DOC),
    )


# -- the views -------------------------------------------------------------------------------

_OD = "o.data"
FEED_ORDERS = FeedView(
    name="feed_orders", entity="order",
    doc="One row per order, any channel.",
    columns=(
        *_common("o"),
        col("o", "number", "Order number as the channel shows it."),
        text(_OD, "channel", "channel", "Sales channel's system (shopify, woocommerce...)."),
        col("o", "status", "pending | open | on_hold | completed | cancelled | failed."),
        text(_OD, "financial_status", "financial_status",
             "pending | authorized | partially_paid | paid | partially_refunded | refunded "
             "| voided | unknown."),
        text(_OD, "fulfillment_status", "fulfillment_status",
             "unfulfilled | partial | fulfilled | restocked | unknown."),
        col("o", "currency", "ISO 4217 currency of every amount of the order."),
        *money(_OD, "subtotal.amount", "subtotal", "Sum of unit price x quantity over lines."),
        *money(_OD, "discount_total.amount", "discount_total", "Discounts on the order."),
        *money(_OD, "shipping_total.amount", "shipping_total", "Shipping charged."),
        *money(_OD, "tax_total.amount", "tax_total", "Taxes charged."),
        *money(_OD, "refunded_total.amount", "refunded_total", "Amount refunded so far."),
        *money(_OD, "total.amount", "total", "What the customer pays."),
        boolean(_OD, "taxes_included", "taxes_included",
                "Whether prices include tax (then tax_total is not added to the total)."),
        timestamp(_OD, "placed_at", "placed_at", "When the order was placed (UTC).",
                  typed="o.placed_at"),
        timestamp(_OD, "updated_at", "updated_at", "When the source last changed it (UTC).",
                  typed="o.source_updated_at"),
        timestamp(_OD, "cancelled_at", "cancelled_at", "When it was cancelled, if it was."),
        text(_OD, "customer.external_id", "customer_external_id",
             "The customer's id in the channel."),
        text(_OD, "customer.email", "customer_email", "The customer's email as on the order."),
        _count(_OD, "lines", "line_count", "Number of order lines."),
        *_tail("o"),
    ),
    from_sqlite="orders o", from_postgresql="orders o",
)

_LV = "l.value"
_LINE_ORDINAL = ViewColumn("line_no", "Position of the line in the order, from 1.",
                           "l.key + 1", "l.ord")
FEED_ORDER_LINES = FeedView(
    name="feed_order_lines", entity="order",
    doc="One row per order line.",
    columns=(
        col("o", "order_id", "Hub id of the order.", column="id"),
        col("o", "connection", "Hub connection the order came from."),
        col("o", "order_external_id", "The order's id in its channel.", column="external_id"),
        _LINE_ORDINAL,
        text(_LV, "external_id", "line_external_id", "The line's id in its channel."),
        text(_LV, "sku", "sku", "SKU, null when the channel has none."),
        text(_LV, "product_external_id", "product_external_id", "Product id in the channel."),
        text(_LV, "variant_external_id", "variant_external_id", "Variant id in the channel."),
        text(_LV, "title", "title", "Line title."),
        integer(_LV, "quantity", "quantity", "Units ordered."),
        col("o", "currency", "Currency of the amounts."),
        *money(_LV, "unit_price.amount", "unit_price", "Price of one unit."),
        *money(_LV, "discount.amount", "discount", "Discount on the line."),
        *money(_LV, "tax.amount", "tax", "Tax on the line."),
        *money(_LV, "total.amount", "total", "unit_price x quantity - discount."),
        integer(_LV, "refunded_quantity", "refunded_quantity", "Units refunded."),
        iso("deleted_at", "When the source deleted the order (see feed_orders).",
            "o.deleted_at", "o.deleted_at"),
        col("o", "change_seq", "Change sequence of the order (see feed_orders)."),
    ),
    from_sqlite="orders o, json_each(o.data, '$.lines') AS l",
    from_postgresql=("orders o CROSS JOIN LATERAL jsonb_array_elements("
                     "coalesce(o.data -> 'lines', '[]'::jsonb)) WITH ORDINALITY AS l(value, ord)"),
)

FEED_INVENTORY = FeedView(
    name="feed_inventory", entity="inventory_level",
    doc="Stock of one SKU at one location of one system.",
    columns=(
        *_common("i"),
        col("i", "sku", "SKU."),
        col("i", "location", "Location id in the source system.",
            column="location_external_id"),
        col("i", "location_name", "Location name, when the source gives one."),
        col("i", "on_hand", "Units physically there (null when the source does not say)."),
        col("i", "reserved", "Units held for orders."),
        col("i", "available", "Units that may be sold, as the source says."),
        timestamp("i.data", "updated_at", "updated_at", "When the source last changed it.",
                  typed="i.source_updated_at"),
        *_tail("i"),
    ),
    from_sqlite="inventory_levels i", from_postgresql="inventory_levels i",
)

_CD = "c.data"
FEED_CUSTOMERS = FeedView(
    name="feed_customers", entity="customer",
    doc="One row per customer per channel (identity across channels is by the id map).",
    columns=(
        *_common("c"),
        text(_CD, "email", "email", "Email address."),
        text(_CD, "phone", "phone", "Phone number."),
        text(_CD, "first_name", "first_name", "First name."),
        text(_CD, "last_name", "last_name", "Last name."),
        boolean(_CD, "accepts_marketing", "accepts_marketing", "Marketing consent."),
        integer(_CD, "orders_count", "orders_count", "Orders the channel counts for them."),
        *money(_CD, "total_spent.amount", "total_spent", "What they spent, per the channel."),
        text(_CD, "total_spent.currency", "total_spent_currency", "Currency of total_spent."),
        text(_CD, "default_address.country_code", "country_code",
             "Country of the default address (ISO 3166-1 alpha-2)."),
        timestamp(_CD, "created_at", "created_at", "When the channel created them."),
        timestamp(_CD, "updated_at", "updated_at", "When the source last changed them.",
                  typed="c.source_updated_at"),
        *_tail("c"),
    ),
    from_sqlite="customers c", from_postgresql="customers c",
)

_SD = "s.data"
_ORDER_LINK = ("LEFT JOIN orders so ON so.connection = coalesce(s.order_connection, "
               "s.connection) AND so.external_id = s.order_external_id")
FEED_SHIPMENTS = FeedView(
    name="feed_shipments", entity="shipment",
    doc="One row per parcel, linked to its order.",
    columns=(
        *_common("s"),
        ViewColumn("order_connection",
                   "Connection of the order (the shipment's own unless made elsewhere).",
                   "coalesce(s.order_connection, s.connection)",
                   "coalesce(s.order_connection, s.connection)"),
        col("s", "order_external_id", "The order's id in its channel."),
        col("so", "order_id", "Hub id of the order, when the hub holds it.", column="id"),
        text(_SD, "carrier", "carrier", "Carrier name."),
        text(_SD, "service", "service", "Carrier service."),
        text(_SD, "tracking_number", "tracking_number", "Tracking number."),
        text(_SD, "tracking_url", "tracking_url", "Tracking page."),
        text(_SD, "status", "status",
             "pending | info_received | in_transit | out_for_delivery | delivered | "
             "failed_attempt | exception | returned | expired | unknown."),
        timestamp(_SD, "shipped_at", "shipped_at", "When it was shipped."),
        timestamp(_SD, "delivered_at", "delivered_at", "When it was delivered."),
        timestamp(_SD, "updated_at", "updated_at", "When the source last changed it."),
        *_tail("s"),
    ),
    from_sqlite=f"shipments s {_ORDER_LINK}", from_postgresql=f"shipments s {_ORDER_LINK}",
)

_PD = "p.data"
FEED_PRODUCTS = FeedView(
    name="feed_products", entity="product",
    doc="One row per sellable item (SKU-level variant) per system.",
    columns=(
        *_common("p"),
        col("p", "sku", "SKU, null when the source has none."),
        text(_PD, "title", "title", "Title."),
        text(_PD, "variant_title", "variant_title", "Variant title."),
        text(_PD, "parent.external_id", "parent_external_id", "The parent product's id."),
        text(_PD, "parent.title", "parent_title", "The parent product's title."),
        text(_PD, "status", "status", "active | draft | archived | unknown."),
        *money(_PD, "price.amount", "price", "Selling price."),
        *money(_PD, "compare_at_price.amount", "compare_at_price", "Compare-at price."),
        text(_PD, "price.currency", "currency", "Currency of the prices."),
        text(_PD, "barcode", "barcode", "Barcode (EAN, UPC...)."),
        boolean(_PD, "inventory_tracked", "inventory_tracked", "Whether stock is tracked."),
        timestamp(_PD, "updated_at", "updated_at", "When the source last changed it."),
        *_tail("p"),
    ),
    from_sqlite="products p", from_postgresql="products p",
)

_RD = "r.data"
_REFUND_ORDER = ("LEFT JOIN orders ro ON ro.connection = r.connection AND ro.external_id = "
                 "{order_ext}")
FEED_REFUNDS = FeedView(
    name="feed_refunds", entity="refund",
    doc="One row per refund, linked to its order.",
    columns=(
        *_common("r"),
        text(_RD, "order_external_id", "order_external_id", "The order's id in its channel."),
        col("ro", "order_id", "Hub id of the order, when the hub holds it.", column="id"),
        timestamp(_RD, "created_at", "created_at", "When the refund was made."),
        *money(_RD, "amount.amount", "amount", "Amount given back (positive)."),
        text(_RD, "amount.currency", "currency", "Currency of the amount."),
        text(_RD, "reason", "reason", "Reason given."),
        _count(_RD, "lines", "line_count", "Refunded lines."),
        *_tail("r"),
    ),
    from_sqlite="refunds r " + _REFUND_ORDER.format(
        order_ext="json_extract(r.data, '$.order_external_id')"),
    from_postgresql="refunds r " + _REFUND_ORDER.format(
        order_ext="(r.data ->> 'order_external_id')"),
)

VIEWS: tuple[FeedView, ...] = (FEED_ORDERS, FEED_ORDER_LINES, FEED_INVENTORY, FEED_CUSTOMERS,
                               FEED_SHIPMENTS, FEED_PRODUCTS, FEED_REFUNDS)
VIEWS_BY_NAME: dict[str, FeedView] = {v.name: v for v in VIEWS}
# entity -> the flat view its CSV export uses (order lines come with orders)
ENTITY_VIEW: dict[str, FeedView] = {v.entity: v for v in VIEWS if v is not FEED_ORDER_LINES}


def create_statements(dialect: Dialect) -> list[str]:
    """Every ``CREATE VIEW`` for ``dialect``, in order: what the next view migration pastes.

    Migrations do not call this (theirs is frozen SQL); a test checks that a migrated database
    has exactly these views.
    """
    return [v.create_sql(dialect) for v in VIEWS]


def drop_statements() -> list[str]:
    """Every ``DROP VIEW``, in reverse order (the reference, as :func:`create_statements`)."""
    return [f"DROP VIEW IF EXISTS {v.name}" for v in reversed(VIEWS)]


def markdown_table(view: FeedView) -> str:
    """The view's columns as a Markdown table (for docs/feeds.md)."""
    rows = [f"| `{c.name}` | {c.doc} |" for c in view.columns]
    return "\n".join(["| column | meaning |", "| --- | --- |", *rows])
