"""A Frankfurter (API v1) service over the simulated ECB reference rates of :mod:`.rates`.

``latest``, one day ``YYYY-MM-DD``, a series ``START..END`` or ``START..`` (to today) and
``currencies``; params ``base`` (or ``from``, default EUR), ``symbols`` (or ``to``) and
``amount``. A series starts at the newest business day on or before its start; one day that
has no rates answers the day before. Errors as Frankfurter's: 404 ``{"message": "not
found"}``, 422 ``{"message": ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from synchub.sandbox.frankfurter.rates import (
    CURRENCIES,
    ECB_ZONE,
    FIRST_DAY,
    PUBLISHED_AT,
    business_day_on_or_before,
    eur_rate,
    is_business_day,
    rounded,
)
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.store import BaseStore

ONE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SERIES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})?$")


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
