"""Exchange rates as the posting rules see them: a rate for (currency, functional, day).

:class:`RateSource` is the one question postings ask; :class:`FixedRates` answers it from a
table (tests, files); :mod:`synchub.ledger.fx` answers it from the store's ``fx_rates``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from synchub.errors import RecordError


class PostingError(RecordError):
    """A record cannot be posted (no rate, currencies that disagree, a missing order...).

    The ledger build dead-letters the record with this reason and goes on with the rest.
    """


class MissingRateError(PostingError):
    """No usable exchange rate for a pair on a day."""


@dataclass(frozen=True)
class Rate:
    """Functional units for one transaction unit, with the day and provider it came from."""

    value: Decimal
    on: date | None = None          # None: same currency, no rate needed
    provider: str | None = None

    @classmethod
    def identity(cls) -> Rate:
        return cls(Decimal(1))


class RateSource(Protocol):
    """Where postings get rates from."""

    def rate(self, base: str, quote: str, on: date) -> Rate:
        """1 ``base`` in ``quote`` on day ``on`` (the newest rate not after it).

        Raises :class:`MissingRateError` naming the pair and day when there is none.
        """
        ...


class FixedRates:
    """Rates from a mapping ``{(base, quote, day): value}``; newest day on or before wins."""

    def __init__(self, rates: Mapping[tuple[str, str, date], Decimal | str],
                 provider: str = "fixed", max_age_days: int = 7) -> None:
        self._rates = {k: Decimal(str(v)) for k, v in rates.items()}
        self.provider = provider
        self.max_age = timedelta(days=max_age_days)

    def rate(self, base: str, quote: str, on: date) -> Rate:
        if base == quote:
            return Rate.identity()
        best: tuple[date, Decimal] | None = None
        for (b, q, day), value in self._rates.items():
            if day > on or on - day > self.max_age:
                continue
            if (b, q) == (base, quote):
                cand = (day, value)
            elif (b, q) == (quote, base):
                cand = (day, Decimal(1) / value)
            else:
                continue
            if best is None or cand[0] > best[0]:
                best = cand
        if best is None:
            raise MissingRateError(f"no {base}->{quote} rate on or up to "
                                   f"{self.max_age.days} days before {on.isoformat()}")
        return Rate(best[1], best[0], self.provider)
