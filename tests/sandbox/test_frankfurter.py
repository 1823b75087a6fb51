"""The Frankfurter (v1) simulator: series and one-day shapes, TARGET business days, the
16:00 publication, reproducible rates, Frankfurter's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer
from synchub.sandbox.frankfurter.rates import CURRENCIES, is_business_day
from synchub.sandbox.frankfurter.store import FrankfurterStore

NOW = datetime(2024, 4, 3, 15, 0, tzinfo=UTC)          # Wednesday, 17:00 in Frankfurt


@pytest.fixture(autouse=True)
def _pinned_clock(sandbox: Sandbox) -> None:
    store: FrankfurterStore = sandbox.store("frankfurter", "demo")
    store.clock = lambda: NOW


def get(http: requests.Session, server: SandboxServer, spec: str, **params: str
        ) -> requests.Response:
    return http.get(f"{server.url('frankfurter')}/v1/{spec}", params=params)


def test_a_series_has_frankfurters_shape_and_business_days_only(
        http: requests.Session, server: SandboxServer) -> None:
    resp = get(http, server, "2023-12-27..2024-01-03", symbols="USD,GBP,KWD")
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    assert set(body) == {"amount", "base", "start_date", "end_date", "rates"}
    assert (body["amount"], body["base"]) == (1.0, "EUR")
    # no weekend (30-31 Dec) and no New Year's Day
    assert list(body["rates"]) == ["2023-12-27", "2023-12-28", "2023-12-29", "2024-01-02",
                                   "2024-01-03"]
    assert (body["start_date"], body["end_date"]) == ("2023-12-27", "2024-01-03")
    for rates in body["rates"].values():
        assert list(rates) == ["GBP", "KWD", "USD"]
        assert all(isinstance(v, float) and v > 0 for v in rates.values())


def test_a_series_starting_on_a_holiday_starts_at_the_business_day_before(
        http: requests.Session, server: SandboxServer) -> None:
    body = get(http, server, "2024-01-01..2024-01-02", symbols="USD").json()
    assert list(body["rates"]) == ["2023-12-29", "2024-01-02"]


def test_good_friday_and_easter_monday_have_no_rates() -> None:
    assert not is_business_day(date(2024, 3, 29)) and not is_business_day(date(2024, 4, 1))
    assert not is_business_day(date(2025, 4, 18)) and not is_business_day(date(2025, 4, 21))
    assert is_business_day(date(2024, 3, 28)) and is_business_day(date(2024, 4, 2))


def test_an_open_series_ends_at_the_last_published_day(http: requests.Session,
                                                       server: SandboxServer,
                                                       sandbox: Sandbox) -> None:
    assert get(http, server, "2024-03-27..", symbols="USD").json()["end_date"] == "2024-04-03"
    # before 16:00 in Frankfurt the day's rates are not out
    sandbox.store("frankfurter", "demo").clock = lambda: datetime(2024, 4, 3, 13, 0, tzinfo=UTC)
    body = get(http, server, "2024-03-27..2024-04-30", symbols="USD").json()
    assert list(body["rates"]) == ["2024-03-27", "2024-03-28", "2024-04-02"]
    assert get(http, server, "latest").json()["date"] == "2024-04-02"


def test_one_day_answers_the_business_day_on_or_before_it(http: requests.Session,
                                                          server: SandboxServer) -> None:
    sunday = get(http, server, "2024-01-07", symbols="USD,JPY").json()
    friday = get(http, server, "2024-01-05..2024-01-05", symbols="USD,JPY").json()
    assert sunday == {"amount": 1.0, "base": "EUR", "date": "2024-01-05",
                      "rates": friday["rates"]["2024-01-05"]}
    everything = get(http, server, "2024-01-05").json()["rates"]
    assert len(everything) == len(CURRENCIES) and "EUR" not in everything


def test_another_base_is_rebased_from_the_euro_rates(http: requests.Session,
                                                     server: SandboxServer) -> None:
    eur = get(http, server, "2024-01-05", symbols="USD,JPY").json()["rates"]
    usd = get(http, server, "2024-01-05", base="USD", symbols="EUR,JPY").json()
    assert usd["base"] == "USD"
    assert usd["rates"]["EUR"] == pytest.approx(1 / eur["USD"], rel=1e-4)
    assert usd["rates"]["JPY"] == pytest.approx(eur["JPY"] / eur["USD"], rel=1e-4)


def test_rates_are_reproducible_and_move_slowly() -> None:
    one, same, other = (FrankfurterStore(s, "demo") for s in (7, 7, 8))
    day = date(2024, 1, 5)
    assert one.rates_on(day, "EUR", None, 1.0) == same.rates_on(day, "EUR", None, 1.0)
    assert one.rates_on(day, "EUR", None, 1.0) != other.rates_on(day, "EUR", None, 1.0)
    days = [d for d in (date.fromordinal(date(2023, 1, 2).toordinal() + i) for i in range(400))
            if is_business_day(d)]
    usd = [one.rates_on(d, "EUR", ["USD"], 1.0)["USD"] for d in days]
    assert max(abs(b / a - 1) for a, b in pairwise(usd)) < 0.02
    assert 0.95 < min(usd) < max(usd) < 1.25 and max(usd) / min(usd) > 1.02
    assert {one.rates_on(d, "EUR", ["BGN"], 1.0)["BGN"] for d in days} == {1.9558}  # the peg


@pytest.mark.parametrize(("spec", "params", "status", "message"), [
    ("1998-12-31", {}, 404, "not found"),
    ("2030-01-01..", {}, 404, "not found"),
    ("2024-01-05", {"base": "XXX"}, 404, "not found"),
    ("weekly", {}, 404, "not found"),
    ("2024-02-30", {}, 422, "invalid date"),
    ("2024-01-05", {"base": "USD", "symbols": "USD"}, 422, "bad currency pair"),
])
def test_errors_have_frankfurters_message(http: requests.Session, server: SandboxServer,
                                          spec: str, params: dict[str, str], status: int,
                                          message: str) -> None:
    resp = get(http, server, spec, **params)
    assert (resp.status_code, resp.json()) == (status, {"message": message})


def test_the_unnamed_path_serves_the_demo_store(http: requests.Session,
                                                server: SandboxServer) -> None:
    named = get(http, server, "2024-01-05").json()
    assert http.get(f"{server.base_url}/frankfurter/v1/2024-01-05").json() == named


def test_injected_faults_answer_in_frankfurters_shape(http: requests.Session,
                                                      server: SandboxServer,
                                                      sandbox: Sandbox) -> None:
    sandbox.store("frankfurter", "faulty").faults(fail_next=[503])
    resp = http.get(f"{server.url('frankfurter', 'faulty')}/v1/latest")
    assert (resp.status_code, resp.json()) == (503, {"message": "server error"})
    assert http.get(f"{server.url('frankfurter', 'faulty')}/v1/latest").status_code == 200
