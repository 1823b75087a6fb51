"""Simulated ECB reference rates: the TARGET calendar and a seeded rate per currency and day.

Days are TARGET business days (no weekends, 1 January, Good Friday, Easter Monday, 1 May,
25 and 26 December) from 1999-01-04, and a day's rates appear at 16:00 Europe/Berlin, as
the ECB publishes them. A rate is a smooth noise over several time scales around a recent
level, seeded by the sandbox seed, the currency and the day: any day is reproducible on its
own (no walk from 1999 to compute) and rates drift slowly from day to day, as real ones do.
"""

from __future__ import annotations

import math
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from synchub.sandbox.kit.seed import stable_int

FIRST_DAY = date(1999, 1, 4)
ECB_ZONE = ZoneInfo("Europe/Berlin")
PUBLISHED_AT = time(16, 0)
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
