"""Exchange rates from the store: :class:`StoreRates`, and rate files loaded into it.

Rates reach the store's ``fx_rates`` table from a rates connector (``frankfurter``: the
ECB's reference rates) or from a file (:func:`load_rates_file`). :class:`StoreRates`
answers the postings' one question, "1 ``base`` in ``quote`` on a day", with the newest
rate on or before the day that is at most ``max_age_days`` old: the pair as stored, else
its inverse, else a cross rate through EUR or USD.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from synchub.canonical.base import SourceRef
from synchub.canonical.money_movements import FxRate
from synchub.config.ledger import RatesConfig
from synchub.config.loader import ConfigErrors
from synchub.errors import ConfigError
from synchub.ledger.rates import MissingRateError, Rate
from synchub.store import Store
from synchub.store.tables import entity_table

PIVOTS = ("EUR", "USD")      # cross rates go through these, in this order
FILE_COLUMNS = ("date", "base", "quote", "rate")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PROVIDER = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class _Found:
    value: Decimal
    on: date
    provider: str


class StoreRates:
    """A :class:`~synchub.ledger.rates.RateSource` over the store's ``fx_rates``.

    Providers listed in ``config.providers`` are preferred in their order (a rate of the
    first within the age limit wins over a newer one of the next); others are not used.
    With no list, any provider's newest rate is used. Answers are cached per (pair, day)
    for the life of the instance, one ledger build.
    """

    def __init__(self, store: Store, config: RatesConfig | None = None) -> None:
        self.store = store
        self.config = config or RatesConfig()
        self.max_age = timedelta(days=self.config.max_age_days)
        self._table = entity_table("fx_rate")
        self._cache: dict[tuple[str, str, date], Rate | MissingRateError] = {}
        self._legs: dict[tuple[str, str, date], _Found | None] = {}

    def rate(self, base: str, quote: str, on: date) -> Rate:
        """1 ``base`` in ``quote`` on day ``on``; :class:`MissingRateError` when none is usable."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Rate.identity()
        key = (base, quote, on)
        if key not in self._cache:
            self._cache[key] = self._resolve(base, quote, on)
        found = self._cache[key]
        if isinstance(found, MissingRateError):
            raise MissingRateError(found.message)
        return found

    def _resolve(self, base: str, quote: str, on: date) -> Rate | MissingRateError:
        leg = self._leg(base, quote, on)
        if leg is not None:
            return Rate(leg.value, leg.on, leg.provider)
        for pivot in PIVOTS:
            if pivot in (base, quote):
                continue
            first, second = self._leg(base, pivot, on), self._leg(pivot, quote, on)
            if first is None or second is None:
                continue
            names = first.provider if first.provider == second.provider else \
                f"{first.provider}/{second.provider}"
            # the older leg says how old the cross rate is
            return Rate(first.value * second.value, min(first.on, second.on),
                        f"{names} (via {pivot})")
        providers = f" from {', '.join(self.config.providers)}" if self.config.providers else ""
        return MissingRateError(
            f"no {base}->{quote} rate{providers} on {on.isoformat()} or up to "
            f"{self.config.max_age_days} days before (max_age_days), direct, inverse or "
            f"through {' or '.join(PIVOTS)}")

    def _leg(self, base: str, quote: str, on: date) -> _Found | None:
        """The pair as stored or inverted, by provider preference, then newest, then direct."""
        key = (base, quote, on)
        if key in self._legs:
            return self._legs[key]
        t = self._table
        query = (sa.select(t.c.base, t.c.rate_date, t.c.provider,
                           t.c.data["rate"].as_string().label("rate"))
                 .where(sa.or_(sa.and_(t.c.base == base, t.c.quote == quote),
                               sa.and_(t.c.base == quote, t.c.quote == base)),
                        t.c.rate_date <= on, t.c.rate_date >= on - self.max_age))
        order = list(self.config.providers)
        if order:
            query = query.where(t.c.provider.in_(order))
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        best: tuple[tuple[int, int, int, str], _Found] | None = None
        for row in rows:
            value = Decimal(row.rate)
            direct = row.base == base
            if value <= 0:
                continue
            rank = (order.index(row.provider) if order else 0, -row.rate_date.toordinal(),
                    0 if direct else 1, row.provider)
            if best is None or rank < best[0]:
                best = (rank, _Found(value if direct else Decimal(1) / value, row.rate_date,
                                     row.provider))
        self._legs[key] = found = best[1] if best is not None else None
        return found


# --- rate files ----------------------------------------------------------------------------

def file_connection(provider: str) -> str:
    """The connection name rates loaded from files of ``provider`` are kept under."""
    return f"file:{provider}"


def load_rates_file(store: Store, path: str | Path, provider: str) -> int:
    """Load a CSV (``date,base,quote,rate`` header) or JSON list of rates into the store.

    Every row becomes an :class:`FxRate` of ``provider`` under the connection
    ``file:<provider>``, stream ``rates``, all in one transaction; loading the same file
    again changes nothing. Any bad row raises :class:`ConfigErrors` naming the file, line
    and field of every problem, and nothing is written. Returns the number of rates.
    """
    path = Path(path)
    if not _PROVIDER.match(provider):
        raise ConfigError(f"provider {provider!r} must be a short lowercase name such as "
                          "ecb", file=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the rates file: {exc}", file=str(path)) from None
    rows = _json_rows(text, path) if text.lstrip().startswith("[") else _csv_rows(text, path)
    errors: list[ConfigError] = []
    records: dict[tuple[str, str, date], FxRate] = {}
    connection = file_connection(provider)
    for line, row in rows:
        rate = _parse_row(row, provider, connection, path, line, errors)
        if rate is None:
            continue
        key = (rate.base, rate.quote, rate.rate_date)
        if key in records and records[key].rate != rate.rate:
            errors.append(ConfigError(f"{rate.base}{rate.quote} on {rate.rate_date} is given "
                                      f"twice with different rates", file=str(path),
                                      key="rate", line=line))
        records[key] = rate
    if errors:
        raise ConfigErrors(errors)
    store.write_page(connection=connection, stream="rates", records=list(records.values()))
    return len(records)


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if sorted(header) != sorted(FILE_COLUMNS):
        raise ConfigError(f"the header must name the columns {','.join(FILE_COLUMNS)}, "
                          f"found {','.join(header) or 'none'}", file=str(path), line=1)
    reader.fieldnames = header
    for row in reader:
        if any(v is None for v in row.values()) or None in row:
            raise ConfigError("the row does not have 4 columns", file=str(path),
                              line=reader.line_num)
        if any((v or "").strip() for v in row.values()):   # blank lines are skipped
            yield reader.line_num, row


def _json_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects of a JSON list, each with the line it starts on."""
    decoder = json.JSONDecoder(parse_float=str, parse_int=str)   # rates stay exact
    pos = text.index("[") + 1
    while True:
        pos = _skip_space(text, pos)
        if text.startswith("]", pos):
            break
        line = text.count("\n", 0, pos) + 1
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", file=str(path),
                              line=exc.lineno) from None
        if not isinstance(item, dict):
            raise ConfigError("each item must be an object {date, base, quote, rate}",
                              file=str(path), line=line)
        yield line, item
        pos = _skip_space(text, pos)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            raise ConfigError("not valid JSON: expected ',' or ']'", file=str(path),
                              line=text.count("\n", 0, pos) + 1)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _parse_row(row: dict[str, Any], provider: str, connection: str, path: Path, line: int,
               errors: list[ConfigError]) -> FxRate | None:
    def bad(field: str, message: str) -> None:
        errors.append(ConfigError(message, file=str(path), key=field, line=line))

    unknown = sorted(set(row) - set(FILE_COLUMNS))
    if unknown:
        bad(unknown[0], f"unknown field(s) {', '.join(unknown)}; expected "
                        f"{', '.join(FILE_COLUMNS)}")
        return None
    values = {k: str(row.get(k) if row.get(k) is not None else "").strip()
              for k in FILE_COLUMNS}
    ok = True
    try:
        day = date.fromisoformat(values["date"])
    except ValueError:
        bad("date", f"{values['date']!r} is not a date (YYYY-MM-DD)")
        ok = False
    for field in ("base", "quote"):
        values[field] = values[field].upper()
        if not _CURRENCY.match(values[field]):
            bad(field, f"{values[field]!r} is not a currency code (3 letters)")
            ok = False
    if ok and values["base"] == values["quote"]:
        bad("quote", f"quote {values['quote']} is the base currency")
        ok = False
    try:
        rate = Decimal(values["rate"])
        if not rate.is_finite() or rate <= 0:
            bad("rate", f"{values['rate']!r} is not a rate: it must be greater than 0")
            ok = False
    except InvalidOperation:
        bad("rate", f"{values['rate']!r} is not a decimal number")
        ok = False
    if not ok:
        return None
    external_id = f"{provider}:{values['base']}{values['quote']}:{day.isoformat()}"
    return FxRate(external_id=external_id, base=values["base"], quote=values["quote"],
                  rate_date=day, rate=rate, provider=provider,
                  source=SourceRef(connection=connection, system="file",
                                   external_id=external_id))
