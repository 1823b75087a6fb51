"""Frankfurter (API v1) over simulated ECB reference rates.

Served under ``/frankfurter/<store>/v1`` (and ``/frankfurter/v1`` for the store ``demo``):
``latest``, one day ``YYYY-MM-DD``, a series ``START..END`` or ``START..`` (to today) and
``currencies``; params ``base`` (or ``from``, default EUR), ``symbols`` (or ``to``) and
``amount``. No key, no limits. Days are TARGET business days (no weekends, 1 January, Good
Friday, Easter Monday, 1 May, 25 and 26 December) from 1999-01-04, and a day's rates
appear at 16:00 Europe/Berlin, as the ECB publishes them. A series starts at the newest
business day on or before its start; one day that has no rates answers the day before.
Errors as Frankfurter's: 404 ``{"message": "not found"}``, 422 ``{"message": ...}``.

A rate is a smooth noise over several time scales around a recent level, seeded by the
sandbox seed, the currency and the day: any day is reproducible on its own (no walk from
1999 to compute) and rates drift slowly from day to day, as real ones do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from synchub.sandbox.http_common import Reply, VendorAPI, serve
from synchub.sandbox.store import BaseStore
from synchub.sandbox.util import stable_int

FIRST_DAY = date(1999, 1, 4)
ECB_ZONE = ZoneInfo("Europe/Berlin")
PUBLISHED_AT = time(16, 0)
ONE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SERIES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})?$")
# code -> (name, level: units for 1 EUR, volatility factor). KWD is not on the ECB's list;
# the sandbox adds it as a currency with three decimals.
CURRENCIES: dict[str, tuple[str, float, float]] = {
    "AUD": ("Australian Dollar", 1.64, 1.0), "BGN": ("Bulgarian Lev", 1.9558, 0.0),
    "BRL": ("Brazilian Real", 5.6, 1.6), "CAD": ("Canadian Dollar", 1.47, 0.9),
    "CHF": ("Swiss Franc", 0.95, 0.7), "CNY": ("Chinese Renminbi Yuan", 7.8, 0.8),
    "CZK": ("Czech Koruna", 25.0, 0.5), "DKK": ("Danish Krone", 7.46, 0.02),
    "GBP": ("British Pound", 0.86, 0.7), "HKD": ("Hong Kong Dollar", 8.5, 1.0),
    "HUF": ("Hungarian Forint", 390.0, 1.0), "IDR": ("Indonesian Rupiah", 17300.0, 1.1),
    "ILS": ("Israeli New Sheqel", 4.0, 1.0), "INR": ("Indian Rupee", 90.0, 1.0),
    "ISK": ("Icelandic Króna", 150.0, 0.8), "JPY": ("Japanese Yen", 160.0, 1.2),
    "KRW": ("South Korean Won", 1450.0, 1.0), "KWD": ("Kuwaiti Dinar", 0.335, 0.9),
    "MXN": ("Mexican Peso", 18.5, 1.5), "MYR": ("Malaysian Ringgit", 5.0, 1.0),
    "NOK": ("Norwegian Krone", 11.6, 1.0), "NZD": ("New Zealand Dollar", 1.78, 1.1),
    "PHP": ("Philippine Peso", 61.5, 1.0), "PLN": ("Polish Złoty", 4.33, 0.6),
    "RON": ("Romanian Leu", 4.97, 0.2), "SEK": ("Swedish Krona", 11.4, 0.8),
    "SGD": ("Singapore Dollar", 1.46, 0.7), "THB": ("Thai Baht", 38.5, 1.0),
    "TRY": ("Turkish Lira", 35.0, 1.4), "USD": ("United States Dollar", 1.09, 1.0),
    "ZAR": ("South African Rand", 20.2, 1.5),
}
# (period in days, amplitude in log-rate): days move a little, seasons more
SCALES = ((3, 0.002), (17, 0.005), (61, 0.012), (240, 0.025), (900, 0.045))


def easter(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian calendar)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def is_business_day(day: date) -> bool:
    """Whether the ECB publishes reference rates on ``day`` (a TARGET business day)."""
    if day.weekday() >= 5 or day < FIRST_DAY:
        return False
    if (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    sunday = easter(day.year)
    return day not in (sunday - timedelta(days=2), sunday + timedelta(days=1))


def business_day_on_or_before(day: date) -> date | None:
    """The newest business day not after ``day`` (None before the first one)."""
    while day >= FIRST_DAY:
        if is_business_day(day):
            return day
        day -= timedelta(days=1)
    return None


def _knot(seed: int, code: str, period: int, k: int) -> float:
    return stable_int(seed, "fx", code, period, k) / 2**63 - 1.0   # in [-1, 1)


def eur_rate(seed: int, code: str, day: date) -> float:
    """Units of ``code`` for one EUR on ``day``, before rounding."""
    _, level, vol = CURRENCIES[code]
    t = day.toordinal()
    log_move = 0.0
    for period, amplitude in SCALES:
        k, frac = divmod(t, period)
        f = frac / period
        f = f * f * (3 - 2 * f)     # smoothstep: no kinks between knots
        a, b = _knot(seed, code, period, k), _knot(seed, code, period, k + 1)
        log_move += amplitude * (a + (b - a) * f)
    return level * math.exp(vol * log_move)


def rounded(value: float) -> float:
    """Five significant digits, as the ECB quotes its reference rates."""
    return float(f"{value:.5g}")


def message(status: int, text: str) -> Reply:
    """Frankfurter's error body."""
    return Reply(status, {"message": text})


class FrankfurterStore(BaseStore):
    """One rates service; every store of one seed serves the same rates."""

    system = "frankfurter"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=0, products=1,
                         rate_limits=rate_limits)
        # tests may pin the time that decides which days are published
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def credentials(self) -> dict[str, str]:
        """Frankfurter needs no key."""
        return {}

    def counts(self) -> dict[str, int]:
        """How many currencies it quotes."""
        return {"currencies": len(CURRENCIES) + 1}

    def mutate(self, **_: int) -> dict[str, list[Any]]:
        """Rates follow the calendar; there is nothing to mutate."""
        return {}

    def last_published(self) -> date | None:
        """The newest day whose rates are out (16:00 Europe/Berlin)."""
        now = self.clock().astimezone(ECB_ZONE)
        day = now.date() if now.time() >= PUBLISHED_AT else now.date() - timedelta(days=1)
        return business_day_on_or_before(day)

    def rates_on(self, day: date, base: str, symbols: list[str] | None,
                 amount: float) -> dict[str, float]:
        """The rates of one published day for ``base`` (empty when base is unknown)."""
        eur = {code: rounded(eur_rate(self.seed, code, day)) for code in CURRENCIES}
        eur["EUR"] = 1.0
        divisor = eur.get(base)
        if divisor is None:
            return {}
        return {q: rounded(amount * v / divisor) for q, v in sorted(eur.items())
                if q != base and (symbols is None or q in symbols)}

    def answer(self, spec: str, params: Mapping[str, str]) -> Reply:
        """The answer to ``GET /v1/<spec>``."""
        if spec == "currencies":
            names = {code: name for code, (name, _, _) in CURRENCIES.items()}
            return Reply(200, dict(sorted({**names, "EUR": "Euro"}.items())))
        base = (params.get("base") or params.get("from") or "EUR").upper()
        raw = params.get("symbols") or params.get("to")
        symbols = raw.upper().split(",") if raw else None
        if symbols == [base]:
            return message(422, "bad currency pair")
        try:
            amount = float(params.get("amount") or 1.0)
        except ValueError:
            return message(422, "invalid amount")
        if not amount > 0:
            return message(422, "invalid amount")
        last = self.last_published()
        series = SERIES.match(spec)
        try:
            if spec == "latest":
                days = [last] if last is not None else []
            elif series:
                end = date.fromisoformat(series[2]) if series[2] else None
                days = self._series(date.fromisoformat(series[1]), end, last)
            elif ONE_DAY.match(spec):
                one = business_day_on_or_before(min(date.fromisoformat(spec), last or FIRST_DAY))
                days = [one] if one is not None and last is not None else []
            else:
                return message(404, "not found")
        except ValueError:
            return message(422, "invalid date")
        table = {d.isoformat(): r for d in days if (r := self.rates_on(d, base, symbols, amount))}
        if not table:
            return message(404, "not found")
        if not series:
            ((day, rates),) = table.items()
            return Reply(200, {"amount": amount, "base": base, "date": day, "rates": rates})
        keys = list(table)
        return Reply(200, {"amount": amount, "base": base, "start_date": keys[0],
                           "end_date": keys[-1], "rates": table})

    @staticmethod
    def _series(start: date, end: date | None, last: date | None) -> list[date]:
        if last is None or start > last:
            return []
        first = business_day_on_or_before(start) or FIRST_DAY
        stop = min(end, last) if end is not None else last
        days, day = [], first
        while day <= stop:
            if is_business_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days


class FrankfurterAPI(VendorAPI):
    """No key, no limits; injected errors in Frankfurter's ``{"message"}`` shape."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected error."""
        return message(status, "too many requests" if status == 429 else "server error")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """Anyone may ask."""
        return None


def frankfurter_router(get_store: Callable[[str], FrankfurterStore]) -> APIRouter:
    """``GET /frankfurter/<store>/v1/<spec>`` and ``/frankfurter/v1/<spec>`` (store demo)."""
    router = APIRouter()
    api = FrankfurterAPI()

    async def run(name: str, spec: str, request: Request) -> Response:
        s = get_store(name)
        return await serve(api, s, request, lambda: s.answer(spec, request.query_params))

    @router.get("/frankfurter/v1/{spec}")
    async def demo(spec: str, request: Request) -> Response:
        return await run("demo", spec, request)

    @router.get("/frankfurter/{store}/v1/{spec}")
    async def named(store: str, spec: str, request: Request) -> Response:
        return await run(store, spec, request)

    return router
