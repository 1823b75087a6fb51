"""The day's journals as a CSV in the layout accountants import (journal items).

One row per journal line: ``date, journal, reference, account, label, debit, credit,
currency, amount_currency, rule``. Debit and credit are in the books' (functional) currency;
a line in another currency also gives that currency and its signed amount (debit positive,
credit negative), as journal-item imports expect (Odoo's among them). ``reference`` is the
ERP reference of the entry (``<channel>/<external id>``, the one the ERP push uses), so an
import and a push never make the same entry twice. Lines stream from the database in pages;
the file is written under a temporary name and moved into place.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fsspec
import sqlalchemy as sa
from fsspec.implementations.local import LocalFileSystem

from synchub.canonical.common import quantize
from synchub.ledger.report_files import report_url
from synchub.store.ledger_tables import ledger_lines
from synchub.store.tables import ENTITY_TABLES

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.store import Store

COLUMNS = ("date", "journal", "reference", "account", "label", "debit", "credit", "currency",
           "amount_currency", "rule")
PAGE = 2000


def journal_rows(store: Store, hub: Hub, day: date) -> Any:
    """The day's lines as CSV rows (dicts), entry by entry, in line order."""
    assert hub.ledger is not None
    ledger = hub.ledger
    e, ll = ENTITY_TABLES["ledger_entry"].c, ledger_lines.c
    query = (sa.select(ll.entry_id, ll.line_no, ll.channel, ll.kind, ll.account, ll.currency,
                       ll.debit, ll.credit, ll.functional_currency, ll.functional_debit,
                       ll.functional_credit, ll.rule, ll.description, e.external_id)
             .join_from(ledger_lines, ENTITY_TABLES["ledger_entry"], e.id == ll.entry_id)
             .where(ll.posted_on == day).order_by(ll.channel, e.external_id, ll.line_no))
    last: tuple[str, str, int] | None = None
    while True:
        page = query
        if last is not None:  # keyset paging: constant memory for any number of lines
            page = page.where(sa.tuple_(ll.channel, e.external_id, ll.line_no) > last)
        with store.engine.connect() as conn:
            rows = conn.execute(page.limit(PAGE)).all()
        for r in rows:
            functional = r.functional_currency
            debit = quantize(Decimal(str(r.functional_debit)), functional)
            credit = quantize(Decimal(str(r.functional_credit)), functional)
            foreign = r.currency != functional
            signed = quantize(Decimal(str(r.debit)) - Decimal(str(r.credit)), r.currency)
            yield {"date": day.isoformat(), "journal": ledger.journal(r.kind, r.channel) or "",
                   "reference": f"{r.channel}/{r.external_id}", "account": r.account,
                   "label": r.description or r.rule, "debit": format(debit, "f"),
                   "credit": format(credit, "f"), "currency": r.currency if foreign else "",
                   "amount_currency": format(signed, "f") if foreign else "",
                   "rule": r.rule}
        if len(rows) < PAGE:
            return
        last = (rows[-1].channel, rows[-1].external_id, rows[-1].line_no)


def write_journal_file(store: Store, hub: Hub, day: date, root: Path | str) -> str | None:
    """Write ``<journals_to>/<day>.csv``; returns where it is (None when not configured)."""
    assert hub.ledger is not None
    target = hub.ledger.reports.journals_to
    if not target:
        return None
    fs: Any
    fs, base = fsspec.core.url_to_fs(report_url(target, root))
    base = base.rstrip("/")
    fs.makedirs(base, exist_ok=True)
    final, tmp = f"{base}/{day.isoformat()}.csv", f"{base}/.{day.isoformat()}.csv.part"
    try:
        with fs.open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in journal_rows(store, hub, day):
                writer.writerow(row)
        fs.mv(tmp, final)
    except BaseException:
        if fs.exists(tmp):
            fs.rm(tmp)
        raise
    return final if isinstance(fs, LocalFileSystem) else fs.unstrip_protocol(final)
