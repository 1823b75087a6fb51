"""Odoo: the ledger's journals as posted journal entries (``account.move``, ``entry``).

Idempotent by reference: every entry carries ``ref`` = ``"<channel>/<entry external id>"``
(the ledger's ERP reference, :func:`synchub.ledger.posting.ledger_ref`). A batch first looks
all of its references up in one search, so an entry whose creation was committed but whose
reply was lost is found, not created twice. Account codes, journal codes and currencies are
resolved in one ``search_read`` each, cached for the writer's run.

- absent: ``create`` with its lines as ``(0, 0, vals)`` commands, then ``action_post``;
- present, same lines (account, debit, credit; currency and amount in currency for foreign
  entries), date and reference: ``skipped`` (a draft is posted);
- present and different: ``button_draft`` when posted, the lines replaced (``(5, 0, 0)``
  then ``(0, 0, vals)``) with the date, reference and memo, ``action_post``. The journal
  of an entry is set when it is created.

Debits and credits go in the company currency, which must be the ledger's functional
currency; a line of an entry in another currency carries ``currency_id`` and the signed
``amount_currency`` (+ debit, - credit). The journal comes from the entry's kind through the
option ``journals``. Odoo's refusals (an unbalanced entry, a deprecated account) fail the
entry with Odoo's message; an account code Odoo does not have fails it naming the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synchub.canonical.base import MINOR_UNITS
from synchub.canonical.money_movements import LedgerKind
from synchub.delivery.base import DeliveryItem, DeliveryResult
from synchub.errors import FatalAPIError
from synchub.systems.odoo.rpc import (
    OdooBatchWriter,
    any_of,
    decimal,
    first_by,
    many2one_id,
)

MOVE_FIELDS = ["id", "name", "ref", "state", "date", "journal_id", "line_ids"]
LINE_FIELDS = ["id", "move_id", "account_id", "debit", "credit", "amount_currency",
               "currency_id"]
KINDS = frozenset(get_args(LedgerKind))
# (account id, debit, credit, currency id or None, amount in currency or None)
LineKey = tuple[int, Decimal, Decimal, int | None, Decimal | None]


def entry_ref(channel: str, external_id: str) -> str:
    """The ERP reference of a ledger entry (as ``synchub.ledger.posting.ledger_ref``)."""
    return f"{channel}/{external_id}"


class OdooJournalOptions(BaseModel):
    """``options`` of an ``odoo_journal_entry`` writer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    journals: dict[str, str] = Field(
        default_factory=lambda: {"default": "MISC"},
        description="Entry kind (sale, refund, payout...) or `default` -> account.journal "
                    "code. Keep it in step with hub.yaml's ledger `journals`.")
    post: bool = Field(default=True, description="Post (action_post) the entries; false "
                                                 "leaves them as drafts to review.")

    @field_validator("journals")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - KINDS - {"default"})
        if unknown:
            raise ValueError(f"journals: unknown entry kind(s) {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(KINDS))} and default")
        if not all(isinstance(code, str) and code.strip() for code in value.values()):
            raise ValueError("journals: every journal code must be a non-empty string")
        return value


@dataclass
class _Entry:
    """One item on its way: its reference, its payload and what Odoo holds for it."""

    item: DeliveryItem
    payload: dict[str, Any]
    ref: str
    move: dict[str, Any] | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    keys: list[LineKey] = field(default_factory=list)
    journal: int | None = None
    changed: bool = False

    @property
    def name(self) -> str:
        return f"ledger entry {self.ref} ({self.item.record_id})"


class OdooJournalEntryWriter(OdooBatchWriter):
    """Creates, rewrites and posts Odoo journal entries in a few calls per batch."""

    options_model = OdooJournalOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._company: tuple[int, str] | None = None
        self._accounts: dict[str, int] = {}
        self._journals: dict[str, int] = {}
        self._currencies: dict[str, int] = {}

    def _write(self, items: Sequence[DeliveryItem], results: dict[int, DeliveryResult]) -> None:
        work: list[_Entry] = []
        for item in items:
            doc = item.document
            ref = entry_ref(str(doc.get("channel")), str(doc.get("external_id")))
            if not isinstance(item.payload, dict) or not isinstance(
                    item.payload.get("lines"), list):
                self._fail(results, item, f"ledger entry {ref} ({item.record_id}): no payload "
                           "with lines (the route needs the write mapping 'journals')")
            else:
                work.append(_Entry(item, item.payload, ref))
        if not work:
            return
        self._find(work)
        company = self._company_currency()
        self._lookup(work)
        ready = []
        for w in work:
            error = self._prepare(w, company)
            if error:
                self._fail(results, w.item, f"{w.name}: {error}")
            else:
                ready.append(w)
        to_post, rewrite = self._compare(ready, company, results)
        new = [w for w in ready if w.move is None]
        to_post += self._create(new, results)
        to_post += self._rewrite(rewrite, results)
        if self.options.post:
            self._action("action_post", [w for w in to_post if w.item.delivery_id not in
                                         results], results, "posted")
        for w in ready:
            if w.item.delivery_id not in results and w.move is not None:
                results[w.item.delivery_id] = DeliveryResult(
                    w.item.delivery_id, "delivered" if w.changed else "skipped",
                    remote_id=str(w.move["id"]))

    @staticmethod
    def _fail(results: dict[int, DeliveryResult], item: DeliveryItem, error: str) -> None:
        results[item.delivery_id] = DeliveryResult(item.delivery_id, "failed", error=error)

    # --- lookups -------------------------------------------------------------------------
    def _find(self, work: list[_Entry]) -> None:
        """The entries Odoo holds already: by the hub's id for them, else by reference."""
        remote = [int(w.item.remote_id) for w in work
                  if w.item.remote_id and w.item.remote_id.isdigit()]
        rows = self.rpc.search_read("account.move", [["move_type", "=", "entry"], *any_of(
            ("id", remote), ("ref", [w.ref for w in work]))], MOVE_FIELDS)
        by_id, by_ref = {r["id"]: r for r in rows}, first_by(rows, "ref")
        for w in work:
            rid = w.item.remote_id
            w.move = (by_id.get(int(rid)) if rid and rid.isdigit() else None) or \
                by_ref.get(w.ref)

    def _company_currency(self) -> tuple[int, str]:
        """Odoo's company currency (id, code): debits and credits are in it."""
        if self._company is None:
            rows = self.rpc.search_read("res.company", [], ["currency_id"])
            currency = rows[0].get("currency_id") if rows else None
            if not isinstance(currency, list) or len(currency) < 2:
                raise FatalAPIError("Odoo's company has no currency (res.company currency_id)")
            self._company = (int(currency[0]), str(currency[1]))
        return self._company

    def _lookup(self, work: list[_Entry]) -> None:
        """Account, journal and currency ids for the batch, one search each (cached)."""
        codes = {str(ln.get("account")) for w in work for ln in w.payload["lines"]
                 if isinstance(ln, dict) and ln.get("account")}
        self._resolve("account.account", [["code", "in", sorted(codes - set(self._accounts))]],
                      "code", self._accounts)
        journals = {self._journal_code(w) for w in work} - {None}
        wanted = sorted(str(j) for j in journals if j not in self._journals)
        self._resolve("account.journal", [["code", "in", wanted]], "code", self._journals)
        foreign = {str(w.payload.get("currency")) for w in work
                   if w.payload.get("currency") != w.payload.get("functional_currency")}
        wanted = sorted(foreign - set(self._currencies))
        self._resolve("res.currency", [["name", "in", wanted], ["active", "in", [True, False]]],
                      "name", self._currencies)

    def _resolve(self, model: str, domain: list[Any], key: str, into: dict[str, int]) -> None:
        if not domain[0][2]:
            return  # nothing new to look up
        rows = self.rpc.search_read(model, domain, ["id", key])
        into.update({str(k): row["id"] for k, row in first_by(rows, key).items()})

    def _journal_code(self, w: _Entry) -> str | None:
        journals: dict[str, str] = self.options.journals
        return journals.get(str(w.payload.get("kind"))) or journals.get("default")

    # --- what to send --------------------------------------------------------------------
    def _prepare(self, w: _Entry, company: tuple[int, str]) -> str | None:
        """The entry's Odoo lines and their comparison keys, or why it cannot be sent."""
        p = w.payload
        functional, currency = str(p.get("functional_currency")), str(p.get("currency"))
        if functional != company[1]:
            return (f"Odoo's company currency is {company[1]}, the ledger's functional "
                    f"currency {functional}: debits and credits would be misread")
        code = self._journal_code(w)
        if code is None:
            return (f"no Odoo journal for entries of kind {p.get('kind')!r} (writer option "
                    "journals has neither it nor default)")
        w.journal = self._journals.get(code)
        if w.journal is None:
            return f"journal {code!r} is not in Odoo (account.journal code)"
        cid = None
        if currency != functional:
            cid = self._currencies.get(currency)
            if cid is None:
                return f"currency {currency} is not in Odoo (res.currency)"
        places, cur_places = MINOR_UNITS.get(functional, 2), MINOR_UNITS.get(currency, 2)
        for n, ln in enumerate(p["lines"]):
            if not isinstance(ln, dict):
                return f"lines.{n} is not an object"
            account = self._accounts.get(str(ln.get("account")))
            if account is None:
                return (f"account {ln.get('account')!r} (line {n}, {ln.get('name')}) is not "
                        "in Odoo's chart of accounts (account.account code)")
            try:
                debit, credit = _q(ln.get("debit"), places), _q(ln.get("credit"), places)
                amount = _q(ln.get("amount_currency"), cur_places) if cid else None
            except ValueError as exc:
                return f"lines.{n}: {exc}"
            vals: dict[str, Any] = {"account_id": account, "name": ln.get("name") or "/",
                                    "debit": float(debit), "credit": float(credit)}
            if cid is not None and amount is not None:
                vals.update(currency_id=cid, amount_currency=float(amount))
            w.lines.append(vals)
            w.keys.append((account, debit, credit, cid, amount))
        return None

    def _compare(self, ready: list[_Entry], company: tuple[int, str],
                 results: dict[int, DeliveryResult]) -> tuple[list[_Entry], list[_Entry]]:
        """Known entries: (drafts to post as they are, entries to rewrite)."""
        known = [w for w in ready if w.move is not None]
        if not known:
            return [], []
        rows = self.rpc.search_read("account.move.line", [["move_id", "in", sorted(
            {w.move["id"] for w in known if w.move})]], LINE_FIELDS)
        held: dict[int, list[LineKey]] = {}
        for row in rows:
            held.setdefault(many2one_id(row["move_id"]) or 0, []).append(_held(row, company))
        to_post, rewrite = [], []
        for w in known:
            assert w.move is not None
            if w.move["state"] == "cancel":
                self._fail(results, w.item, f"{w.name}: journal entry {w.move['name']} is "
                           "cancelled in Odoo; reset it to draft there, then replay")
            elif _sorted(held.get(w.move["id"], [])) == _sorted(w.keys) and (
                    w.move.get("date"), w.move.get("ref")) == (w.payload.get("date"), w.ref):
                if w.move["state"] == "draft":
                    to_post.append(w)
            else:
                rewrite.append(w)
        return to_post, rewrite

    # --- writes --------------------------------------------------------------------------
    def _vals(self, w: _Entry) -> dict[str, Any]:
        return {"date": w.payload.get("date") or False,
                "narration": w.payload.get("memo") or False}

    def _create(self, new: list[_Entry], results: dict[int, DeliveryResult]) -> list[_Entry]:
        """Create the new entries in one call (one by one when Odoo refuses the list)."""
        if not new:
            return []
        vals = [{"move_type": "entry", "ref": w.ref, "journal_id": w.journal, **self._vals(w),
                 "line_ids": [[0, 0, ln] for ln in w.lines]} for w in new]
        ready = list(zip(new, vals, strict=True))
        try:
            ids = self.rpc.create("account.move", vals)
        except FatalAPIError:
            ids = []
            for pair in list(ready):
                try:
                    ids.extend(self.rpc.create("account.move", [pair[1]]))
                except FatalAPIError as exc:
                    self._fail(results, pair[0].item, f"{pair[0].name}: Odoo refused the "
                               f"journal entry: {exc.message}")
                    ready.remove(pair)
        for (w, _), mid in zip(ready, ids, strict=True):
            w.move, w.changed = {"id": mid, "state": "draft", "name": "/"}, True
        return [w for w, _ in ready]

    def _rewrite(self, todo: list[_Entry], results: dict[int, DeliveryResult]) -> list[_Entry]:
        """Back to draft when posted, then the new lines, date and memo; entries to post."""
        self._action("button_draft", [w for w in todo if w.move and w.move["state"] ==
                                      "posted"], results, "draft")
        done = []
        for w in todo:
            if w.item.delivery_id in results or w.move is None:
                continue
            commands: list[Any] = [[5, 0, 0], *([0, 0, ln] for ln in w.lines)]
            try:
                self.rpc.write("account.move", "write", [[w.move["id"]], {
                    "ref": w.ref, **self._vals(w), "line_ids": commands}])
            except FatalAPIError as exc:
                self._fail(results, w.item, f"{w.name}: Odoo refused the new lines of "
                           f"journal entry {w.move.get('name')}: {exc.message}")
                continue
            w.changed = True
            done.append(w)
        return done

    def _action(self, method: str, todo: list[_Entry], results: dict[int, DeliveryResult],
                state: str) -> None:
        """Run an action on every entry in one call; one by one when Odoo refuses it."""
        todo = [w for w in todo if w.move is not None]
        if not todo:
            return
        done = todo
        try:
            self.rpc.write("account.move", method, [[w.move["id"] for w in todo if w.move]])
        except FatalAPIError:
            done = []
            for w in todo:
                try:
                    self.rpc.write("account.move", method, [[w.move["id"]] if w.move else []])
                    done.append(w)
                except FatalAPIError as exc:
                    self._fail(results, w.item, f"{w.name}: Odoo refused {method}: "
                               f"{exc.message}")
        for w in done:
            if w.move is not None:
                w.move["state"] = state
            w.changed = True


def _q(value: Any, places: int) -> Decimal:
    """A canonical amount at its currency's precision."""
    return decimal(value).quantize(Decimal(1).scaleb(-places))


def _held(row: dict[str, Any], company: tuple[int, str]) -> LineKey:
    """The comparison key of a line Odoo holds (its floats back to exact amounts)."""
    currency = many2one_id(row.get("currency_id"))
    foreign = currency is not None and currency != company[0]
    places = MINOR_UNITS.get(company[1], 2)
    return (many2one_id(row.get("account_id")) or 0,
            _q(repr(row.get("debit") or 0.0), places), _q(repr(row.get("credit") or 0.0), places),
            currency if foreign else None,
            Decimal(repr(row.get("amount_currency") or 0.0)) if foreign else None)


def _sorted(keys: list[LineKey]) -> list[LineKey]:
    """Lines in a fixed order; amounts compare as numbers (``50.0`` equals ``50.00``)."""
    return sorted(keys, key=lambda k: (k[0], k[1], k[2], k[3] or 0, k[4] or 0))
