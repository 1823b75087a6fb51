"""ERPNext: the ledger's journals as Journal Entries.

Idempotent by a custom field (option ``id_field``) holding ``<channel>/<entry external
id>`` (the ledger's ERP reference), also written as ``cheque_no`` (ERPNext's reference
number). Every attempt first looks the entry up by that field:

- absent: one insert with ``docstatus`` 1 (option ``submit``);
- present with the same date and lines (account, debit, credit): ``skipped`` (a draft is
  submitted when it should be);
- present and different: a draft gets its lines replaced; a submitted entry, which ERPNext
  does not let anyone edit, is cancelled and an amendment inserted (``amended_from``).

Accounts: the ledger's account codes are ERPNext's ``account_number`` within the company
(one lookup per new code, cached); option ``accounts`` maps a code to an account name
directly. Debits and credits are the functional (company) currency amounts, the currency of
the company's accounts; the voucher type comes from the entry's kind (option
``voucher_types``). ERPNext's refusals (an unbalanced entry, a frozen or group account)
fail the entry with ERPNext's message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synchub.delivery.base import DeliveryItem, DeliveryResult, ItemFailure, PerItemWriter
from synchub.systems.erpnext.rest import FrappeDocs

CENT = Decimal("0.01")
# (account, debit, credit): what makes two versions of an entry the same
LineKey = tuple[str, Decimal, Decimal]


class JournalEntryOptions(BaseModel):
    """``options`` of an ``erpnext_journal_entry`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    company: str = Field(description="The ERPNext company whose books these are.")
    submit: bool = Field(default=True, description="Submit (docstatus 1) the entries; "
                                                   "false leaves drafts to review.")
    id_field: str = Field(default="custom_synchub_entry_id",
                          description="Custom field of Journal Entry holding the hub's id.")
    accounts: dict[str, str] = Field(default_factory=dict, description="Ledger account "
                                     "code -> ERPNext account name, before account_number.")
    voucher_types: dict[str, str] = Field(
        default_factory=lambda: {"payout": "Bank Entry", "default": "Journal Entry"},
        description="Entry kind (or default) -> ERPNext voucher_type.")


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


class JournalEntryWriter(PerItemWriter):
    """Inserts, replaces and submits ERPNext journal entries, one entry at a time."""

    options_model = JournalEntryOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.client is not None, "the erpnext_journal_entry writer needs a connection"
        self.docs = FrappeDocs(self.client, self.spec.path or "/api/resource")
        self._accounts: dict[str, str] = dict(self.options.accounts)

    def write_one(self, item: DeliveryItem) -> DeliveryResult:
        """Find the entry by the hub's id, then insert, skip, replace or amend it."""
        doc = item.document
        ref = f"{doc.get('channel')}/{doc.get('external_id')}"
        payload = item.payload
        name = f"ledger entry {ref} ({item.record_id})"
        if not isinstance(payload, dict) or not isinstance(payload.get("lines"), list):
            raise ItemFailure(f"{name}: no payload with lines (the route needs the write "
                              "mapping 'journals')")
        lines = self._lines(payload["lines"], name)
        rows = self.docs.list("Journal Entry", [[self.options.id_field, "=", ref],
                                                ["docstatus", "<", 2]],
                              ["name", "docstatus", "posting_date"], 5)
        if not rows:
            saved = self.docs.insert("Journal Entry", self._document(payload, ref, lines))
            return DeliveryResult(item.delivery_id, "delivered", remote_id=str(saved["name"]))
        return self._update(item, payload, ref, lines, rows[0])

    def _update(self, item: DeliveryItem, payload: dict[str, Any], ref: str,
                lines: list[dict[str, Any]], row: dict[str, Any]) -> DeliveryResult:
        current = self.docs.get("Journal Entry", str(row["name"]))
        name = str(current.get("name") or row["name"])
        same = (str(current.get("posting_date")) == str(payload.get("date"))
                and _keys(current.get("accounts") or []) == _keys(lines))
        if same:
            if current.get("docstatus") == 0 and self.options.submit:
                self.docs.update("Journal Entry", name, {"docstatus": 1})
                return DeliveryResult(item.delivery_id, "delivered", remote_id=name)
            return DeliveryResult(item.delivery_id, "skipped", remote_id=name)
        doc = self._document(payload, ref, lines)
        if current.get("docstatus") == 0:
            self.docs.update("Journal Entry", name, doc)
            return DeliveryResult(item.delivery_id, "delivered", remote_id=name)
        self.docs.update("Journal Entry", name, {"docstatus": 2})
        saved = self.docs.insert("Journal Entry", {**doc, "amended_from": name})
        return DeliveryResult(item.delivery_id, "delivered", remote_id=str(saved["name"]))

    def _document(self, payload: dict[str, Any], ref: str, lines: list[dict[str, Any]]
                  ) -> dict[str, Any]:
        kinds = self.options.voucher_types
        doc: dict[str, Any] = {
            "voucher_type": kinds.get(str(payload.get("kind"))) or kinds.get("default")
            or "Journal Entry",
            "company": self.options.company,
            "posting_date": str(payload.get("date")),
            "cheque_no": ref,
            "cheque_date": str(payload.get("date")),
            "user_remark": payload.get("memo") or ref,
            self.options.id_field: ref,
            "accounts": lines,
        }
        if self.options.submit:
            doc["docstatus"] = 1
        return doc

    def _lines(self, lines: list[Any], name: str) -> list[dict[str, Any]]:
        codes = sorted({str(ln.get("account")) for ln in lines
                        if isinstance(ln, dict) and ln.get("account")})
        self._load_accounts(codes)
        out = []
        for n, ln in enumerate(lines):
            code = str(ln.get("account") or "") if isinstance(ln, dict) else ""
            account = self._accounts.get(code)
            if account is None:
                raise ItemFailure(f"{name}: lines[{n}]: account {code!r} is no account "
                                  f"number of company {self.options.company!r} in ERPNext")
            row: dict[str, Any] = {
                "account": account,
                "debit_in_account_currency": float(_amount(ln.get("debit"))),
                "credit_in_account_currency": float(_amount(ln.get("credit"))),
            }
            if ln.get("remark"):
                row["user_remark"] = ln["remark"]
            out.append(row)
        return out

    def _load_accounts(self, codes: list[str]) -> None:
        wanted = [c for c in codes if c not in self._accounts]
        if not wanted:
            return
        rows = self.docs.list("Account", [["account_number", "in", wanted],
                                          ["company", "=", self.options.company],
                                          ["is_group", "=", 0]],
                              ["name", "account_number"], len(wanted) * 2)
        for row in rows:
            self._accounts.setdefault(str(row["account_number"]), str(row["name"]))


def _keys(lines: list[dict[str, Any]]) -> list[LineKey]:
    return sorted((str(ln.get("account")), _amount(ln.get("debit_in_account_currency")),
                   _amount(ln.get("credit_in_account_currency"))) for ln in lines)
