"""Exchange rates from the store (StoreRates), rate files, and the sandbox's Frankfurter
synced end to end into a store that then answers the postings' rate questions."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from synchub.canonical.base import SourceRef
from synchub.canonical.money_movements import FxRate
from synchub.config.ledger import RatesConfig
from synchub.config.loader import ConfigErrors
from synchub.errors import ConfigError
from synchub.ledger.fx import StoreRates, load_rates_file
from synchub.ledger.rates import MissingRateError, Rate
from synchub.pipeline import sync_stream
from synchub.plan import load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import Store
from tests.conftest import ROOT

FRI, SAT, SUN, MON = date(2024, 1, 5), date(2024, 1, 6), date(2024, 1, 7), date(2024, 1, 8)


def fx(base: str, quote: str, day: date, rate: str, provider: str = "ecb") -> FxRate:
    """One stored rate as a rates connector would write it."""
    eid = f"{provider}:{base}{quote}:{day.isoformat()}"
    return FxRate(external_id=eid, base=base, quote=quote, rate_date=day, rate=Decimal(rate),
                  provider=provider, source=SourceRef(connection="rates", system="test",
                                                      external_id=eid))


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Any:
    """For what does not depend on the database: the file checks run before any write."""
    s = Store.from_url(sqlite_url)
    s.migrate()
    yield s
    s.dispose()


def put(store: Store, *rates: FxRate) -> None:
    store.write_page(connection="rates", stream="rates", records=list(rates))


def rates(store: Store, providers: list[str] | None = None, max_age: int = 5) -> StoreRates:
    return StoreRates(store, RatesConfig(providers=providers or [], max_age_days=max_age))


# --- StoreRates ----------------------------------------------------------------------------

def test_the_rate_of_the_day_itself(store: Store) -> None:
    put(store, fx("EUR", "USD", date(2024, 1, 4), "1.0953"), fx("EUR", "USD", FRI, "1.0921"))
    assert rates(store).rate("EUR", "USD", FRI) == Rate(Decimal("1.0921"), FRI, "ecb")


@pytest.mark.parametrize("day", [SAT, SUN])
def test_a_weekend_day_takes_fridays_rate(store: Store, day: date) -> None:
    put(store, fx("EUR", "USD", FRI, "1.0921"), fx("EUR", "USD", MON, "1.0950"))
    assert rates(store).rate("EUR", "USD", day) == Rate(Decimal("1.0921"), FRI, "ecb")


def test_a_rate_older_than_max_age_is_not_used(store: Store) -> None:
    put(store, fx("EUR", "USD", FRI, "1.0921"))
    src = rates(store, ["ecb"], max_age=5)
    assert src.rate("EUR", "USD", date(2024, 1, 10)).on == FRI          # 5 days old: fine
    with pytest.raises(MissingRateError) as err:
        src.rate("EUR", "USD", date(2024, 1, 11))                       # 6 days old
    message = str(err.value)
    assert "EUR->USD" in message and "2024-01-11" in message and "5 days" in message
    assert "from ecb" in message


def test_a_rate_after_the_day_is_never_used(store: Store) -> None:
    put(store, fx("EUR", "USD", MON, "1.0950"))
    with pytest.raises(MissingRateError, match="EUR->USD"):
        rates(store).rate("EUR", "USD", FRI)


def test_the_inverse_of_a_stored_pair(store: Store) -> None:
    put(store, fx("EUR", "USD", FRI, "1.25"))
    assert rates(store).rate("USD", "EUR", SAT) == Rate(Decimal("0.8"), FRI, "ecb")


def test_a_direct_rate_wins_over_an_inverse_of_the_same_day(store: Store) -> None:
    put(store, fx("EUR", "GBP", FRI, "0.8600", "boe"), fx("GBP", "EUR", FRI, "1.1600", "boe"))
    assert rates(store).rate("GBP", "EUR", FRI).value == Decimal("1.1600")


def test_a_cross_rate_through_eur_says_so(store: Store) -> None:
    put(store, fx("EUR", "USD", FRI, "1.0921"), fx("EUR", "JPY", date(2024, 1, 4), "158.20"))
    got = rates(store).rate("USD", "JPY", SAT)
    assert got.value == Decimal(1) / Decimal("1.0921") * Decimal("158.20")
    assert got.on == date(2024, 1, 4)            # the older leg
    assert got.provider == "ecb (via EUR)"


def test_a_cross_rate_through_usd_when_eur_has_no_legs(store: Store) -> None:
    put(store, fx("USD", "CAD", FRI, "1.3400", "fed"), fx("MXN", "USD", FRI, "0.0590", "fed"))
    got = rates(store).rate("MXN", "CAD", FRI)
    assert got.value == Decimal("0.0590") * Decimal("1.3400")
    assert got.provider == "fed (via USD)"


def test_providers_are_preferred_in_the_configured_order(store: Store) -> None:
    put(store, fx("EUR", "USD", date(2024, 1, 4), "1.0900", "ecb"),
        fx("EUR", "USD", FRI, "1.0930", "boe"))
    # the first provider's older rate (within max age) wins over the second's newer one
    assert rates(store, ["ecb", "boe"]).rate("EUR", "USD", FRI) == \
        Rate(Decimal("1.0900"), date(2024, 1, 4), "ecb")
    assert rates(store, ["boe", "ecb"]).rate("EUR", "USD", FRI).provider == "boe"
    # with no preference the newest rate of any provider answers
    assert rates(store).rate("EUR", "USD", FRI).provider == "boe"


def test_providers_not_configured_are_not_used(store: Store) -> None:
    put(store, fx("EUR", "USD", FRI, "1.0930", "boe"))
    with pytest.raises(MissingRateError, match="from ecb"):
        rates(store, ["ecb"]).rate("EUR", "USD", FRI)


def test_same_currency_needs_no_rate(store: Store) -> None:
    assert rates(store).rate("EUR", "eur", FRI) == Rate.identity()


def test_answers_are_cached_per_pair_and_day(store: Store) -> None:
    put(store, fx("EUR", "USD", FRI, "1.0921"))
    src = rates(store)
    first = src.rate("EUR", "USD", FRI)
    with pytest.raises(MissingRateError):
        src.rate("EUR", "CHF", FRI)
    put(store, fx("EUR", "USD", FRI, "1.5000"), fx("EUR", "CHF", FRI, "0.9300"))
    assert src.rate("EUR", "USD", FRI) == first          # the instance keeps its answers
    with pytest.raises(MissingRateError):
        src.rate("EUR", "CHF", FRI)
    assert rates(store).rate("EUR", "USD", FRI).value == Decimal("1.5000")  # a new build


# --- rate files ----------------------------------------------------------------------------

GOOD_CSV = """date,base,quote,rate
2024-01-05,EUR,USD,1.0921
2024-01-05,EUR,JPY,158.20

2024-01-05,gbp,eur,1.160213
"""


def test_a_csv_file_is_loaded_as_rates_of_its_provider(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(GOOD_CSV)
    assert load_rates_file(store, path, "ecb") == 3
    assert store.count("fx_rate", connection="file:ecb") == 3
    src = rates(store, ["ecb"])
    assert src.rate("EUR", "JPY", SUN) == Rate(Decimal("158.20"), FRI, "ecb")
    assert src.rate("GBP", "EUR", FRI).value == Decimal("1.160213")
    assert load_rates_file(store, path, "ecb") == 3                    # again: nothing new
    assert store.count("fx_rate") == 3


def test_a_json_list_is_loaded(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rates.json"
    path.write_text(json.dumps([
        {"date": "2024-01-05", "base": "EUR", "quote": "CHF", "rate": 0.9301},
        {"date": "2024-01-05", "base": "EUR", "quote": "KWD", "rate": "0.33571"}]))
    assert load_rates_file(store, path, "treasury") == 2
    assert rates(store, ["treasury"]).rate("EUR", "KWD", FRI) == \
        Rate(Decimal("0.33571"), FRI, "treasury")
    assert rates(store).rate("EUR", "CHF", FRI).value == Decimal("0.9301")


BAD_FILES = [
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,USD,0\n", ":2: rate", "greater than 0"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,USD,1.09\n2024-01-05,EUR,JPY,-158\n",
     ":3: rate", "greater than 0"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,USD,abc\n", ":2: rate",
     "not a decimal number"),
    ("rates.csv", "date,base,quote,rate\n05.01.2024,EUR,USD,1.09\n", ":2: date",
     "not a date"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EURO,USD,1.09\n", ":2: base",
     "not a currency code"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,EUR,1\n", ":2: quote",
     "is the base currency"),
    ("rates.csv", "day,from,to,rate\n2024-01-05,EUR,USD,1.09\n", ":1:", "header must name"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,USD\n", ":2:", "4 columns"),
    ("rates.csv", "date,base,quote,rate\n2024-01-05,EUR,USD,1.09\n2024-01-05,EUR,USD,1.1\n",
     ":3: rate", "twice with different rates"),
    ("rates.json", '[\n  {"date": "2024-01-05", "base": "EUR", "quote": "USD", "rate": 1.09},\n'
                   '  {"date": "2024-01-05", "base": "EUR", "quote": "GBP", "rate": 0}\n]',
     ":3: rate", "greater than 0"),
    ("rates.json", '[{"date": "2024-01-05", "base": "EUR", "quote": "USD", "rate": 1.09,\n'
                   '  "source": "x"}]', ":1: source", "unknown field"),
    ("rates.json", '[\n  ["2024-01-05", "EUR", "USD", 1.09]\n]', ":2:", "must be an object"),
]


@pytest.mark.parametrize(("name", "text", "where", "problem"), BAD_FILES,
                         ids=[f"{i}-{p[3]}" for i, p in enumerate(BAD_FILES)])
def test_a_bad_row_names_file_line_and_field_and_nothing_is_written(
        sqlite_store: Store, tmp_path: Path, name: str, text: str, where: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_rates_file(sqlite_store, path, "ecb")
    message = str(err.value)
    assert f"{path}{where}" in message and problem in message
    assert sqlite_store.count("fx_rate") == 0


def test_every_bad_row_is_reported_at_once(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n2024-01-05,EUR,USD,0\n2024-01-05,EUR,JPY,x\n")
    with pytest.raises(ConfigErrors) as err:
        load_rates_file(sqlite_store, path, "ecb")
    assert [(e.line, e.key) for e in err.value.errors] == [(2, "rate"), (3, "rate")]


# --- end to end: the sandbox's Frankfurter synced into a store -----------------------------

def _hub(tmp_path: Path) -> Path:
    """A hub with one rates connection, the repository's connector and mapping."""
    maps = tmp_path / "mappings" / "frankfurter"
    maps.mkdir(parents=True)
    shutil.copy(ROOT / "mappings" / "frankfurter" / "rates.yaml", maps / "rates.yaml")
    hub = tmp_path / "hub.yaml"
    hub.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(tmp_path / "mappings"),
        "connections": {"ecb_rates": {"connector": "frankfurter", "conn_id": "ecb_rates",
                                      "roles": ["feed"], "streams": ["rates"]}}}))
    return hub


def test_sandbox_rates_sync_incrementally_and_answer_postings(
        store: Store, sandbox: Any, tmp_path: Path) -> None:
    sb, srv = sandbox
    service = sb.store("frankfurter", "demo")
    hub = load_hub(_hub(tmp_path))
    conn = ConnectionInfo(conn_id="ecb_rates", host=srv.url("frankfurter"))

    # Wednesday 10 January, 13:00 in Frankfurt: that day's rates are not out yet
    service.clock = lambda: datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    first = sync_stream(hub, "ecb_rates", "rates", store=store, conn_info=conn,
                        window_end=datetime(2024, 1, 10, tzinfo=UTC))
    assert first.status == "success" and first.cursor == "2024-01-09T00:00:00Z"
    # 90 days back: 12 October 2023 to 9 January 2024 holds 61 TARGET business days
    assert first.stored == 61 * 31 and first.quarantined == 0

    # a week later, after 16:00: the series starts again at the last day read
    service.clock = lambda: datetime(2024, 1, 17, 17, 0, tzinfo=UTC)
    second = sync_stream(hub, "ecb_rates", "rates", store=store, conn_info=conn,
                         window_end=datetime(2024, 1, 17, 18, tzinfo=UTC))
    assert second.cursor == "2024-01-17T00:00:00Z"
    assert (second.unchanged, second.stored) == (31, 6 * 31)
    assert [(r.path, r.query) for r in service.requests] == [
        ("/v1/2023-10-12..2024-01-10", {"base": "EUR"}),
        ("/v1/2024-01-09..2024-01-17", {"base": "EUR"})]

    src = StoreRates(store, hub.ledger.rates if hub.ledger else RatesConfig(providers=["ecb"]))
    friday = service.rates_on(date(2024, 1, 12), "EUR", None, 1.0)
    usd_eur = src.rate("USD", "EUR", date(2024, 1, 14))               # Sunday: Friday's
    assert usd_eur == Rate(Decimal(1) / Decimal(repr(friday["USD"])), date(2024, 1, 12), "ecb")
    gbp_jpy = src.rate("GBP", "JPY", date(2024, 1, 12))
    assert gbp_jpy.provider == "ecb (via EUR)"
    assert gbp_jpy.value == Decimal(1) / Decimal(repr(friday["GBP"])) * \
        Decimal(repr(friday["JPY"]))
    with pytest.raises(MissingRateError, match="EUR->USD"):
        src.rate("EUR", "USD", date(2024, 2, 1))


def test_the_provider_of_a_file_is_a_short_name(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(GOOD_CSV)
    with pytest.raises(ConfigError, match="provider 'ECB rates' must be a short lowercase"):
        load_rates_file(sqlite_store, path, "ECB rates")
