"""The ledger's configuration: chart-of-accounts mapping, channels, rates, commission rules.

It may be written in the ``ledger:`` section of ``hub.yaml``, in ``mappings/ledger/*.yaml``
files (each any part of the same shape), or both: the files are merged in name order (two
files may not set the same key) and the hub section wins over them. ``load_ledger`` returns
the resolved :class:`LedgerConfig` and names the file and key of every problem.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from synchub.config.loader import (
    KeyPath,
    YamlDocument,
    format_key_path,
    load_yaml,
    validation_errors,
)
from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.config.hub import ConnectionView

Account = Annotated[str, Field(min_length=1, max_length=64, description="Account code.")]
Currency = Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str)
                                          else v), Field(pattern=r"^[A-Z]{3}$")]
SNAKE = r"^[a-z][a-z0-9_]*$"
ReportFormat = Literal["csv", "html"]

# the accounts every posting needs; the others fall back as ACCOUNT_FALLBACKS says
REQUIRED_ACCOUNTS = ("revenue", "shipping_income", "discounts", "tax", "refunds", "clearing",
                     "bank", "fx_gain", "fx_loss", "rounding", "suspense")
ACCOUNT_FALLBACKS = {"returns": "refunds", "chargebacks": "suspense", "reserves": "suspense",
                     "adjustments": "suspense", "commission_expense": "suspense",
                     "commission_payable": "suspense"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LedgerAccounts(_Model):
    """The default account of each posting role."""

    revenue: Account | None = Field(default=None, description="Sales of goods (net of tax).")
    shipping_income: Account | None = None
    discounts: Account | None = Field(default=None, description="Discounts given (contra "
                                      "revenue, debited).")
    tax: Account | None = Field(default=None, description="Tax payable when a tax title is "
                                "not in `taxes`.")
    refunds: Account | None = Field(default=None, description="Money given back without "
                                    "goods coming back.")
    returns: Account | None = Field(default=None, description="Refunded lines that were "
                                    "restocked (default: refunds).")
    chargebacks: Account | None = None
    reserves: Account | None = Field(default=None, description="Funds the channel holds "
                                     "back (an asset).")
    adjustments: Account | None = None
    clearing: Account | None = Field(default=None, description="Receivable from a channel "
                                     "when the channel sets none.")
    bank: Account | None = Field(default=None, description="Bank when `banks` has no entry "
                                 "for the payout currency.")
    fx_gain: Account | None = None
    fx_loss: Account | None = None
    rounding: Account | None = Field(default=None, description="Functional-currency rounding "
                                     "of converted lines.")
    suspense: Account | None = Field(default=None, description="Where anything unmapped "
                                     "goes; reported, never lost.")
    commission_expense: Account | None = None
    commission_payable: Account | None = None


class ChannelLedger(_Model):
    """How one sales channel's money is booked."""

    clearing: Account | None = Field(default=None, description="Receivable from this channel.")
    gateways: dict[str, Account] = Field(default_factory=dict, description="Payment gateway "
                                         "name (as on the order) -> its clearing account.")
    payouts_from: list[str] = Field(default_factory=list, description="Connections whose "
                                    "payouts and balance movements settle this channel's "
                                    "orders (default: the channel itself).")
    journal: str | None = Field(default=None, description="ERP journal code for this "
                                "channel's entries (default: `journals`).")


class CommissionRule(_Model):
    """Commission (分佣) owed to a distributor or affiliate on the lines a rule matches."""

    name: str = Field(pattern=SNAKE)
    party: str = Field(min_length=1, description="Who earns it.")
    rate: Decimal = Field(gt=0, lt=1, description="Share of the line's net amount.")
    channels: list[str] = Field(default_factory=list, description="Empty: every channel.")
    skus: list[str] = Field(default_factory=list, description="SKU patterns (fnmatch), the "
                            "SKU group; empty: every line.")
    expense: Account | None = Field(default=None, description="Default: "
                                    "accounts.commission_expense.")
    payable: Account | None = Field(default=None, description="Default: "
                                    "accounts.commission_payable.")

    def matches(self, channel: str, sku: str | None) -> bool:
        """Whether a line of ``channel`` with ``sku`` earns this commission."""
        if self.channels and channel not in self.channels:
            return False
        if not self.skus:
            return True
        return sku is not None and any(fnmatch.fnmatchcase(sku, p) for p in self.skus)


class RatesConfig(_Model):
    """Where exchange rates come from and how old a rate may be."""

    providers: list[str] = Field(default_factory=list, description="Rate providers in order "
                                 "of preference (FxRate.provider); empty: any.")
    max_age_days: int = Field(default=7, ge=0, le=366, description="The newest rate on or "
                              "before the day is used when at most this old.")


class ReportsConfig(_Model):
    """Where the daily reconciliation files and journal files go."""

    to: str = Field(default="var/reports/reconciliation", description="Folder or fsspec URL.")
    formats: list[ReportFormat] = Field(default_factory=lambda: list[ReportFormat](
        ["csv", "html"]))
    journals_to: str | None = Field(
        default="var/exports/journals", description="Folder or fsspec URL of the daily "
        "journal file (CSV in the journal-items import layout); null: none.")


class LedgerPart(_Model):
    """A ``ledger:`` section or a ``mappings/ledger/*.yaml`` file: any part of the ledger."""

    functional_currency: Currency | None = Field(default=None, description="The books' "
                                                 "currency.")
    schedule: str | None = Field(default=None, description="Cron of the ledger DAG "
                                 "(default @daily).")
    start_date: date | None = Field(default=None, description="First day the ledger covers.")
    lookback_days: int | None = Field(default=None, ge=0, le=90, description="Each daily "
                                      "run also rebuilds this many days before its own, for "
                                      "records synced late (default 2).")
    accounts: LedgerAccounts = LedgerAccounts()
    taxes: dict[str, Account] = Field(default_factory=dict, description="Tax title "
                                      "(jurisdiction or rate name) -> account.")
    fees: dict[Annotated[str, Field(pattern=SNAKE)], Account] = Field(
        default_factory=dict, description="Fee type -> account; unmapped fees go to suspense.")
    banks: dict[Currency, Account] = Field(default_factory=dict, description="Payout "
                                           "currency -> bank account.")
    channels: dict[str, ChannelLedger] = Field(default_factory=dict)
    commissions: list[CommissionRule] = Field(default_factory=list)
    rates: RatesConfig | None = None
    journals: dict[str, str] = Field(default_factory=dict, description="Entry kind (or "
                                     "`default`) -> ERP journal code.")
    reports: ReportsConfig | None = None
    unsettled_after_days: int | None = Field(default=None, ge=0, description="A paid order "
                                             "no payout settled after this many days is "
                                             "reported unsettled (default 7).")


class LedgerConfig(_Model):
    """The resolved ledger configuration (every required account known)."""

    functional_currency: Currency
    schedule: str = "@daily"
    start_date: date | None = None
    lookback_days: int = 2
    accounts: LedgerAccounts
    taxes: dict[str, Account] = {}
    fees: dict[str, Account] = {}
    banks: dict[Currency, Account] = {}
    channels: dict[str, ChannelLedger] = {}
    commissions: list[CommissionRule] = []
    rates: RatesConfig = RatesConfig()
    journals: dict[str, str] = {}
    reports: ReportsConfig = ReportsConfig()
    unsettled_after_days: int = 7
    # which file set each top-level key (for `synchub ledger explain`)
    origins: dict[str, str] = {}

    # -- lookups: each returns (account, rule) so a line can say why it went where it went --

    def account(self, role: str) -> str:
        """The account of a role (``revenue``, ``returns``...), following the fallbacks."""
        value = getattr(self.accounts, role)
        while value is None and role in ACCOUNT_FALLBACKS:
            role = ACCOUNT_FALLBACKS[role]
            value = getattr(self.accounts, role)
        assert value is not None, role  # required accounts are checked by load_ledger
        return str(value)

    def clearing(self, channel: str, gateway: str | None = None) -> tuple[str, str]:
        """The receivable for ``channel`` (by gateway when mapped)."""
        cfg = self.channels.get(channel)
        if cfg is not None and gateway is not None and gateway in cfg.gateways:
            return cfg.gateways[gateway], f"clearing:{channel}:{gateway}"
        if cfg is not None and cfg.clearing is not None:
            return cfg.clearing, f"clearing:{channel}"
        return self.account("clearing"), "clearing:default"

    def fee(self, fee_type: str) -> tuple[str, str]:
        """The expense account of a fee type; an unmapped type goes to suspense."""
        if fee_type in self.fees:
            return self.fees[fee_type], f"fee:{fee_type}"
        return self.account("suspense"), f"suspense:fee:{fee_type}"

    def tax(self, title: str | None) -> tuple[str, str]:
        """The tax payable account of a tax title (default account when not mapped)."""
        if title is not None and title in self.taxes:
            return self.taxes[title], f"tax:{title}"
        return self.account("tax"), "tax:default"

    def bank(self, currency: str) -> tuple[str, str]:
        """The bank account that receives payouts in ``currency``."""
        if currency in self.banks:
            return self.banks[currency], f"bank:{currency}"
        return self.account("bank"), "bank:default"

    def journal(self, kind: str, channel: str | None = None) -> str | None:
        """The ERP journal code for an entry kind (channel's own first)."""
        cfg = self.channels.get(channel or "")
        if cfg is not None and cfg.journal:
            return cfg.journal
        return self.journals.get(kind) or self.journals.get("default")

    def settles(self, connection: str) -> list[str]:
        """The channels whose money ``connection``'s payouts and movements settle."""
        out = [name for name, cfg in self.channels.items()
               if connection in (cfg.payouts_from or [name])]
        return out or [connection]


def _merge(into: dict[str, Any], part: dict[str, Any], origin: str, origins: dict[str, str],
           prefix: KeyPath, errors: list[tuple[KeyPath, str]], override: bool) -> None:
    for key, value in part.items():
        path = (*prefix, key)
        name = format_key_path(path)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, origins, path, errors, override)
        elif key in into and not override and into[key] != value:
            errors.append((path, f"{name} is set in {origins.get(name, '?')} and in {origin}"))
        elif isinstance(value, list) and isinstance(into.get(key), list) and not override:
            into[key] = [*into[key], *value]
        else:
            into[key] = value
        origins.setdefault(name, origin)
        if override:
            origins[name] = origin


def load_ledger(section: LedgerPart | None, hub_doc: YamlDocument, map_dir: Path,
                plans: Mapping[str, ConnectionView]
                ) -> tuple[LedgerConfig | None, list[ConfigError]]:
    """Merge ``mappings/ledger/*.yaml`` and the hub's ``ledger:`` section; check it all.

    Returns (None, []) when the hub keeps no ledger: no `ledger:` section and no ledger file
    that names the functional currency.
    """
    errors: list[ConfigError] = []
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    files = sorted((map_dir / "ledger").glob("*.yaml")) if (map_dir / "ledger").is_dir() else []
    if section is None and not files:
        return None, []
    for path in files:
        try:
            doc = load_yaml(path)
            part = LedgerPart.model_validate(doc.data or {})
        except ConfigError as exc:
            errors.append(exc)
            continue
        except ValidationError as exc:
            errors.extend(validation_errors(exc, doc, str(path)))
            continue
        clashes: list[tuple[KeyPath, str]] = []
        _merge(merged, part.model_dump(exclude_defaults=True, mode="json"), str(path), origins,
               (), clashes, override=False)
        errors.extend(ConfigError(msg, file=str(path), key=format_key_path(keys),
                                  line=doc.line_of(keys)) for keys, msg in clashes)
    if section is None and "functional_currency" not in merged and not errors:
        # a chart of accounts alone keeps no books: the ledger is on when the hub file has a
        # `ledger:` section or a ledger file names the functional currency
        return None, []
    if section is not None:
        _merge(merged, section.model_dump(exclude_defaults=True, mode="json"),
               str(hub_doc.path), origins, (), [], override=True)
    where = f"{hub_doc.path} (ledger) and {map_dir / 'ledger'}"
    try:
        config = LedgerConfig.model_validate({**merged, "origins": origins})
    except ValidationError as exc:
        for err in exc.errors():
            keys: KeyPath = tuple(str(k) for k in err["loc"])
            errors.append(ConfigError(f"{err['msg']}", file=origins.get(
                format_key_path(keys), where), key=format_key_path(("ledger", *keys))))
        return None, errors
    for keys, message in check_ledger(config, plans):
        origin = origins.get(format_key_path(keys[:2])) or origins.get(str(keys[0]), where)
        line = hub_doc.line_of(("ledger", *keys)) if origin == str(hub_doc.path) else None
        errors.append(ConfigError(message, file=origin, key=format_key_path(("ledger", *keys)),
                                  line=line))
    return (None if errors else config), errors


def check_ledger(config: LedgerConfig, plans: Mapping[str, ConnectionView]
                 ) -> list[tuple[KeyPath, str]]:
    """Cross-checks: required accounts set, channels and rate sources are connections."""
    out: list[tuple[KeyPath, str]] = []
    for role in REQUIRED_ACCOUNTS:
        if getattr(config.accounts, role) is None:
            out.append((("accounts", role), f"account for {role!r} is required"))
    known = ", ".join(sorted(plans)) or "none"
    for name, channel in config.channels.items():
        if name not in plans:
            out.append((("channels", name), f"unknown connection {name!r}; configured: {known}"))
        for i, source in enumerate(channel.payouts_from):
            if source not in plans:
                out.append((("channels", name, "payouts_from", i),
                            f"unknown connection {source!r}; configured: {known}"))
    for i, rule in enumerate(config.commissions):
        for j, ch in enumerate(rule.channels):
            if ch not in plans:
                out.append((("commissions", i, "channels", j),
                            f"unknown connection {ch!r}; configured: {known}"))
    return out

