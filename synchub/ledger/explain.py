"""``synchub ledger explain REF``: which journals a record made, line by line, and why.

REF is a hub id, an external id or an order number of an order, refund, payout or balance
transaction; an ``entity:hub id`` line source; or a journal's external id. Each line says
its account, side, both currencies, the posting rule, and for a rule taken from the
configuration the key and file it came from.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from synchub.canonical import LedgerEntry
from synchub.config.ledger import ACCOUNT_FALLBACKS, LedgerConfig
from synchub.ledger.journal_store import entries_table, read_entries
from synchub.store.tables import dead_letters, entity_table

ENTITIES = ("order", "refund", "payout", "balance_transaction")
_LIMIT = 20  # matches shown per table: a ref matching more is too vague to explain

# rules whose account is an account role (their key is accounts.<role>)
_ROLE_OF_RULE = {
    "sale.revenue": "revenue", "sale.discount": "discounts", "sale.shipping":
    "shipping_income", "refund.return": "returns", "refund.allowance": "refunds",
    "refund.other": "refunds", "fx.gain": "fx_gain", "fx.loss": "fx_loss",
    "rounding": "rounding", "chargeback": "chargebacks", "chargeback.reversal": "chargebacks",
    "reserve.hold": "reserves", "reserve.release": "reserves",
}


def config_key(config: LedgerConfig, rule: str) -> str | None:
    """The configuration key a rule's account comes from (None for no configured rule)."""
    rule = rule.removeprefix("cancel.")
    head, _, rest = rule.partition(":")
    if head == "clearing":
        channel, _, gateway = rest.partition(":")
        if channel == "default":
            return _role_key(config, "clearing")
        return f"channels.{channel}.gateways.{gateway}" if gateway else \
            f"channels.{channel}.clearing"
    if head == "suspense":
        return _role_key(config, "suspense")
    if head == "tax":
        return _role_key(config, "tax") if rest == "default" else f"taxes.{rest}"
    if head == "bank":
        return _role_key(config, "bank") if rest == "default" else f"banks.{rest}"
    if head == "fee":
        return f"fees.{rest}"
    if head == "commission":
        index = next((i for i, c in enumerate(config.commissions) if c.name == rest), None)
        return "commissions" if index is None else f"commissions[{index}]"
    if head == "adjustment":
        return _role_key(config, "adjustments")
    if rule in _ROLE_OF_RULE:
        return _role_key(config, _ROLE_OF_RULE[rule])
    return None


def _role_key(config: LedgerConfig, role: str) -> str:
    # the role that really gave the account: an unset role falls back (returns -> refunds)
    while getattr(config.accounts, role) is None and role in ACCOUNT_FALLBACKS:
        role = ACCOUNT_FALLBACKS[role]
    return f"accounts.{role}"


def _known_key(key: str, origins: dict[str, str]) -> str | None:
    # origins name the keys each file set; a whole section set at once is one key
    while key:
        if key in origins:
            return key
        if key.endswith("]"):
            key = key[:key.rindex("[")]
        elif "." in key:
            key = key.rpartition(".")[0]
        else:
            return None
    return None


def origin(config: LedgerConfig, rule: str, root: Path | None = None) -> str | None:
    """``accounts.revenue in mappings/ledger/chart.yaml``: where a rule's mapping was set."""
    key = config_key(config, rule)
    if key is None:
        return None
    probe = _known_key(key, config.origins)
    if probe is None:
        return key
    where = config.origins[probe]
    if root is not None:
        with contextlib.suppress(ValueError):  # a file outside the hub's folder: as it is
            where = str(Path(where).resolve().relative_to(root.resolve()))
    return f"{key} in {where}"


def _amount(value: Any, currency: str) -> str:
    return f"{value} {currency}"


def describe_entry(entry: LedgerEntry, config: LedgerConfig | None,
                   root: Path | None = None) -> list[str]:
    """The text of one journal: its header, then one row per line."""
    if entry.currency == entry.functional_currency:
        fx = f"in {entry.currency} (the functional currency)"
    else:
        fx = (f"{entry.currency} -> {entry.functional_currency} at {entry.rate} ("
              f"{entry.rate_date.isoformat() if entry.rate_date else 'no date'}, "
              f"{entry.rate_provider or 'no provider'})")
    out = [f"  journal {entry.external_id} ({entry.kind}, {entry.channel}) posted "
           f"{entry.posted_on.isoformat()}: {fx}"]
    if entry.corrects:
        out.append(f"    corrects {entry.corrects}")
    if entry.memo:
        out.append(f"    memo: {entry.memo}")
    for ln in entry.lines:
        side, tx, fn = (("D", ln.debit, ln.functional_debit) if ln.debit or ln.functional_debit
                        else ("C", ln.credit, ln.functional_credit))
        row = (f"    {side} {ln.account:<10} {_amount(tx, entry.currency):>16} "
               f"{_amount(fn, entry.functional_currency):>16}  {ln.rule}")
        where = origin(config, ln.rule, root) if config is not None else None
        if where:
            row += f"  [{where}]"
        if ln.description:
            row += f"  - {ln.description}"
        out.append(row)
    return out


def _find_records(conn: sa.Connection, ref: str) -> list[tuple[str, Any]]:
    """(entity, row) of every record the ref names, by hub id, external id or number."""
    found: list[tuple[str, Any]] = []
    entity_hint, _, hub_id = ref.partition(":")
    for entity in ENTITIES:
        t = entity_table(entity)
        cond = [t.c.id == ref, t.c.external_id == ref]
        if entity_hint == entity and hub_id:
            cond.append(t.c.id == hub_id)
        if entity == "order":
            number = ref.lstrip("#")
            cond += [t.c.number == number, t.c.number == f"#{number}"]
        rows = conn.execute(sa.select(t.c.id, t.c.connection, t.c.external_id, t.c.data)
                            .where(sa.or_(*cond)).order_by(t.c.connection, t.c.id)
                            .limit(_LIMIT)).all()
        found += [(entity, row) for row in rows]
    return found


def _dead(conn: sa.Connection, entity: str, row: Any) -> list[str]:
    dl = dead_letters.c
    reasons = conn.execute(sa.select(dl.reason).where(
        dl.stream == "ledger", dl.connection == row.connection, dl.entity == entity,
        dl.record_id == row.external_id, dl.resolved_at.is_(None)).order_by(dl.id)).scalars()
    return [f"  not posted: {reason}" for reason in reasons]


def explain(store: Any, hub: Any, ref: str) -> list[str]:
    """Lines of text: the records ``ref`` names and every journal made from them."""
    ref = ref.strip()
    config: LedgerConfig | None = getattr(hub, "ledger", None)
    root = getattr(hub, "root", None)
    out: list[str] = []
    shown: set[str] = set()
    with store.engine.connect() as conn:
        records = _find_records(conn, ref)
        t = entries_table
        direct = [LedgerEntry.model_validate(r.data) for r in conn.execute(
            sa.select(t.c.data).where(sa.or_(t.c.id == ref, t.c.external_id == ref))
            .order_by(t.c.connection, t.c.posted_on).limit(_LIMIT))]
        if not records and not direct:
            return [f"nothing matches {ref!r}: searched the hub ids, external ids and order "
                    "numbers of orders, refunds, payouts and balance transactions, line "
                    "sources (entity:hub id) and journal external ids"]
        for entity, row in records:
            doc = row.data
            number = f" number {doc['number']}" if entity == "order" and doc.get("number") \
                else ""
            out.append(f"{entity.replace('_', ' ')} {row.external_id}{number} (connection "
                       f"{row.connection}, hub id {row.id})")
            out += _dead(conn, entity, row)
            entries = read_entries(conn, source=f"{entity}:{row.id}")
            if not entries:
                out.append("  no journals yet: build its day with `synchub ledger build "
                           "--day YYYY-MM-DD`")
            for entry in entries:
                shown.add(entry.id)
                out += describe_entry(entry, config, root)
        for entry in direct:
            if entry.id not in shown:
                out.append(f"journal {entry.external_id} (connection {entry.channel}, hub id "
                           f"{entry.id})")
                out += describe_entry(entry, config, root)
    return out
