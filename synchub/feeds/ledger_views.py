"""The ledger's row feeds: ``journal_line`` and ``reconciliation``, over two SQL views.

Unlike the canonical feeds these have no document: a record is a row of a view
(``feed_journal_lines``, ``feed_reconciliation``), the same columns for the API, the file
exports and business systems that read the database. ``connection`` is the channel the row
belongs to, so a consumer's connection scope applies as to every other feed.

A journal's lines share their entry's ``change_seq``: a page never splits them (it ends
after the last line of its last entry), and a changed entry comes again whole, so a reader
replaces an entry's lines by ``entry_id``. A rebuilt report day comes again whole too, each
row with a new ``change_seq``. The migration ``0006_ledger_views`` created the views with
the SQL these definitions gave then, frozen in it; a change here needs a new migration
(see :mod:`synchub.feeds.views`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from synchub.canonical.base import MINOR_UNITS
from synchub.feeds.views import SEQ_DOC, FeedView, ViewColumn, iso, scaled


def _raw(alias: str, column: str, name: str, doc: str, kind: str = "value") -> ViewColumn:
    ref = f"{alias}.{column}"
    return ViewColumn(name, doc, ref, ref, kind=kind)


def _exact(alias: str, column: str, name: str, doc: str, kind: str
           ) -> tuple[ViewColumn, ViewColumn]:
    """An amount column: numeric on PostgreSQL; on SQLite (which keeps it as a double) its
    text with the column's 4 decimals, so that no reader sees a float; and its integer twin
    ``<name>_e4``, which sums exactly on both (:func:`synchub.feeds.views.scaled`)."""
    ref = f"{alias}.{column}"
    lite = f"CASE WHEN {ref} IS NULL THEN NULL ELSE printf('%.4f', {ref}) END"
    return ViewColumn(name, doc, lite, ref, kind=kind), scaled(ViewColumn(name, doc, ref, ref))


FEED_JOURNAL_LINES = FeedView(
    name="feed_journal_lines", entity="journal_line",
    doc="One row per journal line, with its entry's identity and change sequence.",
    columns=(
        _raw("l", "entry_id", "entry_id", "Hub id of the journal (the ledger_entry record)."),
        _raw("l", "line_no", "line_no", "Position of the line in its journal, from 1."),
        _raw("l", "channel", "connection", "The channel whose money the journal books."),
        _raw("e", "external_id", "entry_external_id",
             "The journal's own id (kind/source id, e.g. sale/1001), unique per channel."),
        _raw("l", "kind", "kind", "sale, cancellation, refund, fees, chargeback, reserve, "
             "adjustment, payout, commission or correction."),
        _raw("l", "posted_on", "posted_on", "The accounting day (UTC).", kind="date"),
        _raw("l", "account", "account", "Account code in the chart of accounts."),
        _raw("l", "currency", "currency", "Transaction currency of debit and credit."),
        *_exact("l", "debit", "debit", "Debit in the transaction currency (0 or more).",
               "amount"),
        *_exact("l", "credit", "credit", "Credit in the transaction currency.", "amount"),
        _raw("l", "functional_currency", "functional_currency", "The books' currency."),
        *_exact("l", "functional_debit", "functional_debit", "Debit in the books' currency.",
               "functional_amount"),
        *_exact("l", "functional_credit", "functional_credit", "Credit in the books' currency.",
               "functional_amount"),
        _raw("l", "rule", "rule", "The posting rule that made the line, e.g. sale.revenue, "
             "fee:commission, suspense:fee:storage."),
        _raw("l", "source", "source", "entity:hub id of the record the line came from."),
        _raw("l", "description", "description", "Line text."),
        _raw("e", "corrects", "corrects", "external_id of the journal a correction amends."),
        _raw("e", "change_seq", "change_seq",
             "Change sequence of the journal (every line of it has the same)."),
    ),
    from_sqlite="ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id",
    from_postgresql="ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id",
)

_FIGURE = ("An amount in currency when the metric's name ends in _amount, else a count; "
           "null when the side does not apply.")
FEED_RECONCILIATION = FeedView(
    name="feed_reconciliation", entity="reconciliation",
    doc="One row per day, channel, metric and currency of the daily reconciliation report.",
    columns=(
        _raw("r", "day", "day", "The report day (UTC).", kind="date"),
        _raw("r", "channel", "connection", "The channel the row is about."),
        _raw("r", "metric", "metric", "What is compared, e.g. orders_count (docs/ledger.md)."),
        _raw("r", "currency", "currency", "Currency of the figures (orders and refunds are "
             "also counted per currency); empty when none applies."),
        *_exact("r", "channel_value", "channel_value", "What the channel says. " + _FIGURE,
               "figure"),
        *_exact("r", "hub_value", "hub_value", "What the hub holds. " + _FIGURE, "figure"),
        *_exact("r", "erp_value", "erp_value", "What reached the ERP. " + _FIGURE, "figure"),
        *_exact("r", "difference", "difference", "hub - channel; when those agree, "
               "ERP - hub.", "figure"),
        _raw("r", "status", "status", "ok, mismatch, missing, pending, no_source, error or info "
             "(docs/ledger.md)."),
        _raw("r", "detail", "detail", "What was compared, in words."),
        iso("built_at", "When the row was built.", "r.built_at", "r.built_at"),
        _raw("r", "change_seq", "change_seq", SEQ_DOC),
    ),
    from_sqlite="reconciliation_rows r", from_postgresql="reconciliation_rows r",
)


@dataclass(frozen=True)
class RowFeed:
    """A feed whose records are the rows of a view, paged in ``keys`` order."""

    view: FeedView
    keys: tuple[str, ...]
    table: sa.TableClause = field(init=False, repr=False)  # the view as a selectable

    def __post_init__(self) -> None:
        # one object per view, so that every query of the feed names the same FROM
        object.__setattr__(self, "table", sa.table(
            self.view.name, *(sa.column(c) for c in self.view.column_names)))


# feed name -> row feed (in synchub.config.feeds.FEED_NAMES order)
ROW_FEEDS: dict[str, RowFeed] = {
    "reconciliation": RowFeed(FEED_RECONCILIATION, ("change_seq",)),
    "journal_line": RowFeed(FEED_JOURNAL_LINES, ("change_seq", "entry_id", "line_no")),
}
LEDGER_VIEWS: tuple[FeedView, ...] = tuple(f.view for f in ROW_FEEDS.values())


def create_statements(dialect: str) -> list[str]:
    """``CREATE VIEW`` of every ledger view for ``dialect``: what the next migration pastes.

    Migrations do not call this (theirs is frozen SQL); a test checks that a migrated database
    has exactly these views.
    """
    return [v.create_sql(dialect) for v in LEDGER_VIEWS]


def drop_statements() -> list[str]:
    """``DROP VIEW`` of every ledger view, in reverse order (the reference, as above)."""
    return [f"DROP VIEW IF EXISTS {v.name}" for v in reversed(LEDGER_VIEWS)]


# -- records ---------------------------------------------------------------------------------

def is_amount(metric: str) -> bool:
    """Whether a reconciliation metric's figures are amounts (name ends in ``_amount``)."""
    return metric.endswith("_amount")


def figure_text(value: Any, currency: str | None) -> str | None:
    """An exact figure as text: a count without decimals when ``currency`` is empty, else an
    amount with its currency's minor units (more only when it has more)."""
    if value is None:
        return None
    number = Decimal(str(value))
    places = MINOR_UNITS.get(currency, 2) if currency else 0
    quantum = Decimal(1).scaleb(-places)
    exact = number.quantize(quantum) if number == number.quantize(quantum) else number.normalize()
    return format(exact, "f")


def _time_text(value: Any) -> str | None:
    # the views give fixed-width ISO text; the API spells times as the documents do
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:  # SQLite keeps UTC without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def row_record(view: FeedView, row: Any) -> dict[str, Any]:
    """One view row as a JSON-ready record, spelled the same on both databases (the
    ``_e4`` twins of the amounts are left out: the record's amounts are exact text)."""
    data = dict(row._mapping)
    out: dict[str, Any] = {}
    for column in view.columns:
        value = data[column.name]
        if column.kind == "e4":
            continue  # a SQL reader's exact sum; the record's amounts are exact text already
        if column.kind == "amount":
            out[column.name] = figure_text(value, data["currency"])   # lines: NOT NULL
        elif column.kind == "functional_amount":
            out[column.name] = figure_text(value, data["functional_currency"])
        elif column.kind == "figure":
            out[column.name] = figure_text(value, data.get("currency")
                                           if is_amount(data.get("metric") or "") else "")
        elif column.kind == "date":
            out[column.name] = value.isoformat() if isinstance(value, date) else value
        elif column.kind == "time":
            out[column.name] = _time_text(value)
        else:
            out[column.name] = int(value) if column.name == "change_seq" else value
    return out


def read_rows(conn: sa.Connection, feed: RowFeed, *, since: int, limit: int,
              scope: Any, upto: int | None = None
              ) -> tuple[list[dict[str, Any]], int, bool]:
    """(records, next cursor, more waiting) after ``since``, never splitting a change_seq."""
    t = feed.table
    keys = [t.c[k] for k in feed.keys]
    where: list[Any] = [t.c.change_seq > since, scope]
    if upto is not None:
        where.append(t.c.change_seq <= upto)
    rows: Sequence[Any] = conn.execute(
        sa.select(t).where(*where).order_by(*keys).limit(limit + 1)).all()
    more = len(rows) > limit
    if more and rows[limit].change_seq == rows[limit - 1].change_seq:
        # the page would end inside one entry's lines: end it after that entry instead
        seq = rows[limit - 1].change_seq
        group = conn.execute(sa.select(t).where(t.c.change_seq == seq, scope)
                             .order_by(*keys)).all()
        rows = [r for r in rows[:limit] if r.change_seq != seq] + list(group)
        after = [t.c.change_seq > seq, scope]
        if upto is not None:
            after.append(t.c.change_seq <= upto)
        more = conn.execute(sa.select(t.c.change_seq).where(*after).limit(1)).first() \
            is not None
    else:
        rows = rows[:limit]
    cursor = int(rows[-1].change_seq) if rows else since
    return [row_record(feed.view, r) for r in rows], cursor, more
