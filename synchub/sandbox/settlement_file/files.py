"""Settlement files of the sandbox WooCommerce shop's card (Stripe) and PayPal payments.

The files follow the generic layout of the ``settlement_file`` connector (docs/connectors.md,
"Settlement files"): one CSV per settlement day, holding per gateway one ``payout`` row
(``settlement_total``) and one row per movement settled that day. Everything derives from
the shop's orders, so the same seed and volume give the same bytes:

- an order paid through ``stripe`` or ``paypal`` (``payment_method``, with ``date_paid``)
  is a charge (``transaction_type`` order) at its payment time, less a processing fee;
- each of its refunds is a movement of minus the refunded amount at the refund's time
  (``refund_id`` is the WooCommerce refund id); the provider keeps the original fee;
- a movement settles ``delay_days`` after the UTC day it was posted on; the settlement's
  total is the sum of its movements' nets (amount - fee).

``bad_row`` writes the amount of the first charge of the first file with a decimal comma
(``445,21``) while its settlement's total still counts it; ``extra_order`` adds a charge for an
order the shop does not have (id 49999) to the first settlement. Order ids are the
WooCommerce ids, which the Woo orders mapping stores as ``Order.external_id``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import fsspec

from synchub.sandbox.kit.money import cents, money_cents
from synchub.sandbox.kit.times import iso_utc_z
from synchub.sandbox.woocommerce.orders import ORDER_ID_BASE
from synchub.sandbox.woocommerce.store import WooStore

COLUMNS = ("settlement_id", "settlement_date", "settlement_total", "currency",
           "transaction_id", "transaction_type", "order_id", "refund_id", "posted_at",
           "amount", "fee_type", "fee_amount", "gateway", "description")
EXTRA_ORDER_ID = ORDER_ID_BASE - 1   # below every generated id: the shop never has it
EXTRA_AMOUNT = 1999


@dataclass(frozen=True, slots=True)
class Provider:
    """How a payment provider settles: days after posting, fee in basis points plus cents."""

    delay_days: int
    fee_bp: int
    fee_fixed: int

    def fee(self, amount: int) -> int:
        """The processing fee on a charge of ``amount`` cents, rounded half up."""
        return (amount * self.fee_bp + 5000) // 10000 + self.fee_fixed


PROVIDERS = {"stripe": Provider(delay_days=2, fee_bp=150, fee_fixed=25),
             "paypal": Provider(delay_days=1, fee_bp=249, fee_fixed=35)}


@dataclass(frozen=True, slots=True)
class Movement:
    """One row of a settlement: a charge or refund of the shop's money at a provider."""

    gateway: str
    posted: int
    kind: str
    transaction_id: str
    order_id: int
    refund_id: str
    amount: int
    fee: int
    description: str

    @property
    def settles_on(self) -> date:
        """The payout day: the posting day (UTC) plus the provider's delay."""
        day = datetime.fromtimestamp(self.posted, UTC).date()
        return day + timedelta(days=PROVIDERS[self.gateway].delay_days)


def movements(store: WooStore) -> list[Movement]:
    """Every charge and refund of the shop's Stripe and PayPal orders, by order id."""
    out: list[Movement] = []
    with store.lock:
        for oid in sorted(h.id for h in store.orders.headers()):
            order = store.orders.get(oid)
            h = store.orders.header(oid)
            provider = PROVIDERS.get(order["payment_method"]) if order else None
            if order is None or h is None or provider is None or not order["date_paid_gmt"]:
                continue
            amount = money_cents(order["total"])
            out.append(Movement(order["payment_method"], h.created + 60, "order",
                                order["transaction_id"] or f"txn_{oid}", oid, "", amount,
                                provider.fee(amount), f"Order #{order['number']}"))
            for ref in order.get("refunds") or []:
                # WooCommerce dates a refund at the order's last change
                out.append(Movement(order["payment_method"], h.updated, "refund",
                                    f"rf_{ref['id']}", oid, str(ref["id"]),
                                    -abs(money_cents(ref["total"])), 0,
                                    f"Refund {ref['id']} of order #{order['number']}"))
    return out


def settlement_files(store: WooStore, *, through: date | None = None, bad_row: bool = False,
                     extra_order: bool = False) -> dict[date, list[dict[str, str]]]:
    """The rows of each settlement day's file up to ``through`` (inclusive), by day."""
    groups: dict[tuple[date, str], list[Movement]] = defaultdict(list)
    for m in movements(store):
        if through is None or m.settles_on <= through:
            groups[(m.settles_on, m.gateway)].append(m)
    if extra_order and groups:
        day, gateway = min(groups)
        posted = datetime.combine(day - timedelta(days=PROVIDERS[gateway].delay_days),
                                  datetime.min.time(), UTC) + timedelta(hours=12)
        groups[(day, gateway)].append(Movement(
            gateway, int(posted.timestamp()), "order", f"txn_extra_{EXTRA_ORDER_ID}",
            EXTRA_ORDER_ID, "", EXTRA_AMOUNT, PROVIDERS[gateway].fee(EXTRA_AMOUNT),
            f"Order #{EXTRA_ORDER_ID}"))
    files: dict[date, list[dict[str, str]]] = defaultdict(list)
    for (day, gateway), items in sorted(groups.items()):
        files[day] += _settlement_rows(day, gateway, items, store.currency)
    if bad_row and files:
        first = files[min(files)]
        charge = next(r for r in first if r["transaction_type"] == "order"
                      and r["order_id"] != str(EXTRA_ORDER_ID))
        charge["amount"] = charge["amount"].replace(".", ",")
    return dict(files)


def _settlement_rows(day: date, gateway: str, items: list[Movement], currency: str
                     ) -> list[dict[str, str]]:
    sid = f"{gateway}-{day:%Y%m%d}"
    items = sorted(items, key=lambda m: (m.posted, m.transaction_id))
    total = sum(m.amount - m.fee for m in items)
    head = {"settlement_id": sid, "settlement_date": day.isoformat(),
            "settlement_total": cents(total), "currency": currency,
            "transaction_id": f"po_{gateway}_{day:%Y%m%d}", "transaction_type": "payout",
            "gateway": gateway, "description": f"{gateway} payout {day.isoformat()}"}
    rows = [{c: head.get(c, "") for c in COLUMNS}]
    for m in items:
        row = {"settlement_id": sid, "settlement_date": day.isoformat(), "currency": currency,
               "transaction_id": m.transaction_id, "transaction_type": m.kind,
               "order_id": str(m.order_id), "refund_id": m.refund_id,
               "posted_at": iso_utc_z(m.posted), "amount": cents(m.amount),
               "fee_type": "payment_processing" if m.fee else "",
               "fee_amount": cents(m.fee) if m.fee else "", "gateway": m.gateway,
               "description": m.description}
        rows.append({c: row.get(c, "") for c in COLUMNS})
    return rows


def file_name(day: date) -> str:
    """The name of a settlement day's file."""
    return f"settlement-{day.isoformat()}.csv"


def render_csv(rows: list[dict[str, str]]) -> bytes:
    """A file's bytes: header and rows, comma-separated, ``\\n`` line ends."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_settlements(store: WooStore, out: str, *, through: date | None = None,
                      bad_row: bool = False, extra_order: bool = False) -> dict[str, Any]:
    """Write the settlement files into the folder or fsspec URL ``out``; returns a summary.

    A file whose bytes are already there is left alone (its modified time too, so the
    connector does not read it again); a changed one is written under a temporary name and
    moved into place, so a reader never sees half a file.
    """
    files = settlement_files(store, through=through, bad_row=bad_row, extra_order=extra_order)
    fs, root = fsspec.core.url_to_fs(out)
    root = str(root).rstrip("/")
    fs.makedirs(root, exist_ok=True)
    written = unchanged = rows = 0
    names = []
    for day in sorted(files):
        data = render_csv(files[day])
        path = f"{root}/{file_name(day)}"
        names.append(file_name(day))
        rows += len(files[day])
        if fs.exists(path) and fs.cat_file(path) == data:
            unchanged += 1
            continue
        fs.pipe_file(path + ".part", data)
        fs.mv(path + ".part", path)
        written += 1
    return {"out": out, "files": names, "written": written, "unchanged": unchanged,
            "rows": rows, "settlements": sum(1 for day in files for r in files[day]
                                             if r["transaction_type"] == "payout")}
