"""The accounting side of the simulated Odoo: chart of accounts, journals, journal entries.

``account.account``, ``account.journal`` and the journal-entry fields of ``account.move``
(``date``, ``journal_id``, ``line_ids``, ``narration``) and ``account.move.line``
(``account_id``, ``debit``, ``credit``, ``balance``, ``amount_currency``, ``currency_id``,
``partner_id``) are defined in :mod:`.models` and read and written like the sales models.
The ORM of :mod:`.writes` calls the hooks below; as in Odoo 17:

- a line is a debit or a credit (``Wrong credit or debit value in accounting entry!``),
  on an account (``Missing required account on accountable line.``) that is not
  deprecated (``The account <name> (<code>) is deprecated.``) and whose own currency, if
  any, is the line's; ``balance`` = debit - credit in the company currency;
  ``amount_currency`` equals the balance in the company currency and has its sign
  otherwise.
- after every ``create``/``write`` touching a journal entry, and when posting it, the
  entry must balance (Odoo's "The move (...) is not balanced." ``UserError``).
- ``button_draft`` resets a posted or cancelled entry to draft; it keeps its number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from synchub.sandbox.kit.seed import YEAR_START
from synchub.sandbox.odoo.catalog import CURRENCIES, Catalog, odoo_time
from synchub.sandbox.odoo.errors import RpcFault, user_error, validation
from synchub.sandbox.odoo.models import ACCOUNTING_MODELS, Records

# (code, name, type, reconcile, currency): Odoo's generic chart, the demo ledger's codes
# (mappings/ledger/chart.yaml and hub.yaml's channels) and one deprecated account
ACCOUNTS: tuple[tuple[str, str, str, bool, str | None], ...] = (
    ("101000", "Current Assets", "asset_current", False, None),
    ("101401", "Bank", "asset_cash", False, None),
    ("101402", "Bank USD", "asset_cash", False, "USD"),
    ("101403", "Outstanding Receipts", "asset_current", True, None),
    ("101404", "Outstanding Payments", "asset_current", True, None),
    ("101501", "Cash", "asset_cash", False, None),
    ("110100", "Stock Valuation", "asset_current", False, None),
    ("121000", "Account Receivable", "asset_receivable", True, None),
    ("121100", "Receivable shopify_demo", "asset_receivable", True, None),
    ("121110", "Receivable shopify_demo Shopify Payments", "asset_receivable", True, None),
    ("121200", "Receivable woo_demo", "asset_receivable", True, None),
    ("121210", "Receivable woo_demo Stripe", "asset_receivable", True, None),
    ("121220", "Receivable woo_demo PayPal", "asset_receivable", True, None),
    ("121300", "Reserves Held by Channels", "asset_current", False, None),
    ("121500", "Receivable ebay_demo", "asset_receivable", True, None),
    ("121510", "Receivable ebay_demo eBay Managed Payments", "asset_receivable", True, None),
    ("121400", "Receivable amazon_demo", "asset_receivable", True, None),
    ("131000", "Tax Paid", "asset_current", False, None),
    ("211000", "Account Payable", "liability_payable", True, None),
    ("251000", "Tax Received", "liability_current", False, None),
    ("251100", "VAT Collected (MwSt)", "liability_current", False, None),
    ("251200", "VAT Collected", "liability_current", False, None),
    ("400000", "Product Sales", "income", False, None),
    ("400100", "Shipping Income", "income", False, None),
    ("400200", "Discounts Granted", "income", False, None),
    ("400300", "Refunds Given", "income", False, None),
    ("400400", "Sales Returns", "income", False, None),
    ("400900", "Sales (old chart)", "income", False, None),
    ("442000", "Foreign Exchange Gain", "income_other", False, None),
    ("600000", "Expenses", "expense", False, None),
    ("620100", "Channel Commissions", "expense", False, None),
    ("620200", "Payment Processing Fees", "expense", False, None),
    ("620300", "Fulfilment Fees", "expense", False, None),
    ("620400", "Advertising", "expense", False, None),
    ("620500", "Refund Administration Fees", "expense", False, None),
    ("620600", "Chargeback Fees", "expense", False, None),
    ("620700", "Marketplace Subscriptions", "expense", False, None),
    ("623000", "Affiliate Commissions", "expense", False, None),
    ("640100", "Chargebacks Lost", "expense", False, None),
    ("640900", "Channel Adjustments", "expense", False, None),
    ("642000", "Foreign Exchange Loss", "expense", False, None),
    ("642100", "Rounding Differences", "expense", False, None),
    ("999999", "Suspense", "asset_current", False, None),
)
DEPRECATED = ("400900",)
# (code, name, type, default account): the first of a type is its default journal
JOURNALS: tuple[tuple[str, str, str, str | None], ...] = (
    ("INV", "Customer Invoices", "sale", "400000"),
    ("BILL", "Vendor Bills", "purchase", "600000"),
    ("MISC", "Miscellaneous Operations", "general", None),
    ("EXCH", "Exchange Difference", "general", None),
    ("BNK1", "Bank", "bank", "101401"),
    ("CSH1", "Cash", "cash", "101501"),
    ("SAL", "Sales", "sale", "400000"),
)
CENTS = 2  # every sandbox currency has two decimals


def seed_accounting(catalog: Catalog) -> None:
    """The chart of accounts and the journals."""
    records, created = catalog.records, odoo_time(YEAR_START)
    for model in ACCOUNTING_MODELS:
        records.setdefault(model, {})
    by_code: dict[str, int] = {}
    for aid, (code, name, kind, reconcile, currency) in enumerate(ACCOUNTS, start=1):
        records["account.account"][aid] = {
            "id": aid, "code": code, "name": name, "display_name": f"{code} {name}",
            "account_type": kind, "reconcile": reconcile, "deprecated": code in DEPRECATED,
            "currency_id": [CURRENCIES[currency][0], currency] if currency else False,
            "create_date": created, "write_date": created}
        by_code[code] = aid
    for jid, (code, name, kind, account) in enumerate(JOURNALS, start=1):
        default = [by_code[account], records["account.account"][by_code[account]][
            "display_name"]] if account else False
        records["account.journal"][jid] = {
            "id": jid, "code": code, "name": name, "display_name": name, "type": kind,
            "currency_id": False, "default_account_id": default, "active": True,
            "create_date": created, "write_date": created}
    for model in ACCOUNTING_MODELS:
        catalog.next_ids[model] = max(records[model], default=0) + 1


# --- errors ------------------------------------------------------------------------------
def _constraint(message: str) -> RpcFault:
    """A database constraint, as Odoo reports it over RPC."""
    return validation(f"The operation cannot be completed: {message}")


def _money(amount: float, currency: str) -> str:
    """``format_amount``: ``1,234.50 €`` (euro after the amount), ``$ 1,234.50`` otherwise."""
    symbol, text = CURRENCIES[currency][1], f"{amount:,.{CENTS}f}"
    return f"{text}\N{NO-BREAK SPACE}{symbol}" if currency == "EUR" \
        else f"{symbol}\N{NO-BREAK SPACE}{text}"


def move_label(move: dict[str, Any]) -> str:
    """How Odoo names an entry in messages: ``Draft Entry (* 12) (ref)`` or its number."""
    name = move["name"] if move["name"] not in (False, "/") else f"(* {move['id']})"
    if move["state"] == "draft":
        kind = {"entry": "Draft Entry", "out_refund": "Draft Credit Note",
                "out_invoice": "Draft Invoice"}.get(move["move_type"], "Draft Entry")
        name = f"{kind} {name}"
    return f"{name} ({move['ref']})" if move.get("ref") else name


# --- hooks of the ORM --------------------------------------------------------------------
def complete(records: Records, model: str, rec: dict[str, Any], vals: dict[str, Any],
             now: str) -> None:
    """Defaults of a new record: an active journal; an entry's date and journal."""
    if model == "account.journal" and "active" not in vals:
        rec["active"] = True
    if model != "account.move":
        return
    if not rec["date"]:
        rec["date"] = now[:10]
    if not rec["journal_id"]:
        kind = "general" if rec["move_type"] == "entry" else (
            "sale" if rec["move_type"].startswith("out_") else "purchase")
        journal = next((j for _, j in sorted(records["account.journal"].items())
                        if j["type"] == kind and j["active"]), None)
        if journal is not None:
            rec["journal_id"] = [journal["id"], journal["display_name"]]


def recompute(records: Records, model: str, rec: dict[str, Any], company: str) -> int | None:
    """Check and compute a journal item or an entry; the entry's id when one was touched."""
    if model == "account.move.line":
        move = records["account.move"].get(rec["move_id"][0]) if rec["move_id"] else None
        _line(records, rec, move, company)
        if move is None:
            return None
        _totals(records, move)
        return int(move["id"])
    if model == "account.move":
        lines = records["account.move.line"]
        # line_ids holds every item of the entry; invoice_line_ids the product lines of
        # invoices and credit notes, which are items too
        rec["line_ids"] = sorted(i for i in {*rec["line_ids"], *rec["invoice_line_ids"]}
                                 if i in lines)
        _totals(records, rec)
        return int(rec["id"])
    return None


def _line(records: Records, rec: dict[str, Any], move: dict[str, Any] | None,
          company: str) -> None:
    if move is not None and move["state"] == "posted":
        raise user_error("You cannot modify a posted entry of this journal.")
    debit, credit = round(rec["debit"] or 0.0, CENTS), round(rec["credit"] or 0.0, CENTS)
    if debit < 0 or credit < 0 or (debit and credit):
        raise _constraint("Wrong credit or debit value in accounting entry!")
    rec["debit"], rec["credit"] = float(debit), float(credit)
    rec["balance"] = round(debit - credit, CENTS) + 0.0  # + 0.0: no -0.0
    rec["amount_currency"] = float(rec["amount_currency"] or 0.0)
    if not rec["currency_id"]:
        rec["currency_id"] = [CURRENCIES[company][0], company]
    if rec["currency_id"][1] == company:
        rec["amount_currency"] = rec["balance"]
    elif rec["amount_currency"] * rec["balance"] < 0:
        raise _constraint(
            "The amount expressed in the secondary currency must be positive when account "
            "is debited and negative when account is credited. If the currency is the same "
            "as the one from the company, this amount must strictly be equal to the balance.")
    if move is None or move["move_type"] != "entry":
        return  # the sandbox keeps invoice and credit note lines without accounts
    if not rec["account_id"]:
        raise _constraint("Missing required account on accountable line.")
    account = records["account.account"][rec["account_id"][0]]
    if account["deprecated"]:
        raise user_error(f"The account {account['name']} ({account['code']}) is deprecated.")
    forced = account["currency_id"][1] if account["currency_id"] else None
    if forced and forced not in (company, rec["currency_id"][1]):
        raise user_error("The account selected on your journal entry forces to provide a "
                          "secondary currency. You should remove the secondary currency on "
                          "the account.")


def _totals(records: Records, move: dict[str, Any]) -> None:
    """An entry's total is the sum of its debits (invoices keep their computed amounts)."""
    if move["move_type"] != "entry":
        return
    lines = records["account.move.line"]
    debit = round(sum(lines[i]["debit"] for i in move["line_ids"] if i in lines), CENTS)
    move["amount_untaxed"] = move["amount_total"] = debit
    move["amount_tax"] = 0.0


def check_balanced(records: Records, move_ids: Iterable[int], company: str) -> None:
    """Odoo's balance check, run when a call that touched entries is about to commit."""
    moves = [records["account.move"][i] for i in sorted(set(move_ids))
             if i in records["account.move"]]
    unbalanced = []
    for move in moves:
        if move["move_type"] != "entry" or not move["line_ids"]:
            continue
        lines = [records["account.move.line"][i] for i in move["line_ids"]]
        debit = round(sum(ln["debit"] for ln in lines), CENTS)
        credit = round(sum(ln["credit"] for ln in lines), CENTS)
        if round(debit - credit, CENTS) != 0:
            journal = move["journal_id"][1] if move["journal_id"] else ""
            unbalanced.append(
                f"\n\nThe move ({move_label(move)}) is not balanced.\n"
                f"The total of debits equals {_money(debit, company)} and the total of "
                f"credits equals {_money(credit, company)}.\nYou might want to specify a "
                f"default account on journal \"{journal}\" to automatically balance each move.")
    if unbalanced:
        raise user_error("An error has occurred." + "".join(unbalanced))


def check_post(records: Records, move: dict[str, Any], company: str) -> None:
    """What ``action_post`` checks on a journal entry beyond the invoice rules."""
    if move["move_type"] != "entry":
        return
    accounts, lines = records["account.account"], records["account.move.line"]
    used = [accounts.get(lines[i]["account_id"][0]) for i in move["line_ids"]
            if lines[i]["account_id"]]
    if any(a is not None and a["deprecated"] for a in used):
        raise user_error("A line of this move is using a deprecated account, you cannot "
                          "post it.")
    check_balanced(records, [move["id"]], company)


def sequence(records: Records, move: dict[str, Any], now: str) -> tuple[str, str]:
    """Prefix and year of a posted entry's number: ``MISC/2026/00001``, ``RINV/2026/...``."""
    if move["move_type"] == "out_refund":
        return "RINV", now[:4]
    if move["move_type"] == "out_invoice":
        return "INV", now[:4]
    journal = records["account.journal"].get(move["journal_id"][0]) \
        if move["journal_id"] else None
    return (journal["code"] if journal else "MISC"), str(move["date"] or now)[:4]


def reset_to_draft(moves: list[dict[str, Any]], now: str) -> None:
    """``button_draft``: posted or cancelled entries back to draft, numbers kept."""
    if any(m["state"] not in ("posted", "cancel") for m in moves):
        raise user_error("Only posted/cancelled journal entries can be reset to draft.")
    for move in moves:
        move["state"], move["write_date"] = "draft", now
        name = move["name"] if move["name"] not in (False, "/") else None
        move["display_name"] = name or move_label(move)


# --- what the database holds --------------------------------------------------------------
def journals_view(records: Records, company: str) -> dict[str, Any]:
    """Every journal entry with its lines (account codes) and totals, for tests and reports."""
    accounts, journals = records["account.account"], records["account.journal"]
    entries = []
    for _, move in sorted(records["account.move"].items()):
        if move["move_type"] != "entry":
            continue
        lines = []
        for lid in move["line_ids"]:
            ln = records["account.move.line"][lid]
            account = accounts.get(ln["account_id"][0]) if ln["account_id"] else None
            lines.append({"id": lid, "account": account["code"] if account else None,
                          "name": ln["name"], "debit": ln["debit"], "credit": ln["credit"],
                          "balance": ln["balance"], "amount_currency": ln["amount_currency"],
                          "currency": ln["currency_id"][1] if ln["currency_id"] else None,
                          "partner_id": ln["partner_id"]})
        debit = round(sum(ln["debit"] for ln in lines), CENTS)
        credit = round(sum(ln["credit"] for ln in lines), CENTS)
        journal = journals.get(move["journal_id"][0]) if move["journal_id"] else None
        entries.append({"id": move["id"], "name": move["name"], "ref": move["ref"],
                        "date": move["date"], "state": move["state"],
                        "journal": journal["code"] if journal else None,
                        "narration": move["narration"], "lines": lines,
                        "totals": {"debit": debit, "credit": credit,
                                   "balanced": round(debit - credit, CENTS) == 0}})
    return {"company_currency": company, "entries": entries,
            "totals": {"entries": len(entries),
                       "posted": sum(1 for e in entries if e["state"] == "posted"),
                       "debit": round(sum(e["totals"]["debit"] for e in entries), CENTS),
                       "credit": round(sum(e["totals"]["credit"] for e in entries), CENTS)}}
