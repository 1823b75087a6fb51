"""Frankfurter contract: the real connector file asks for the series of its window in the
path (/v1/<start>..<end>, base=EUR, no key), starts a first run 90 days back and later runs
at the last day read, keeps that day as its cursor, and the answer maps to one FxRate per
(day, currency) that validates against the canonical schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import responses
import yaml
from responses import matchers

from synchub.config.connector_checks import load_connector
from synchub.errors import ConfigError, FatalAPIError
from synchub.mapping import MappingContext, load_mapping
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.schemas import entity_schema

from .conftest import ROOT, connector

HOST = "https://api.frankfurter.dev"
SERIES = json.loads((ROOT / "tests" / "mapping" / "fixtures" / "frankfurter" / "rates.json")
                    .read_text(encoding="utf-8"))


def client() -> ConnectorClient:
    conn = ConnectionInfo(conn_id="ecb_rates", conn_type="http", host=HOST)
    return ConnectorClient(connector("frankfurter"), conn, sleep=lambda s: None)


def expect(mock: responses.RequestsMock, window: str, status: int = 200, body: Any = SERIES
           ) -> None:
    mock.get(f"{HOST}/v1/{window}", status=status, json=body,
             match=[matchers.query_param_matcher({"base": "EUR"})])


def test_a_first_run_reads_90_days_up_to_the_window_end(mock_http: responses.RequestsMock
                                                         ) -> None:
    expect(mock_http, "2023-10-06..2024-01-04")
    with client() as c:
        pages = list(c.read("rates", state=None,
                            window_end=datetime(2024, 1, 4, 6, 0, tzinfo=UTC)))
    assert [len(p.records) for p in pages] == [1]            # the whole table is one record
    assert pages[-1].state == {"cursor": "2024-01-03T00:00:00Z"}   # its end_date
    request = mock_http.calls[0].request
    assert "Authorization" not in request.headers            # no key


def test_a_later_run_starts_at_the_last_day_read(mock_http: responses.RequestsMock) -> None:
    expect(mock_http, "2024-01-03..2024-01-10")
    with client() as c:
        pages = list(c.read("rates", state={"cursor": "2024-01-03T00:00:00Z"},
                            window_end=datetime(2024, 1, 10, tzinfo=UTC)))
    assert pages[-1].state == {"cursor": "2024-01-03T00:00:00Z"}


def test_a_rerun_of_an_old_interval_asks_for_its_last_day(mock_http: responses.RequestsMock
                                                          ) -> None:
    # the cursor is newer than the interval being re-run: read that interval's end only
    expect(mock_http, "2024-01-02..2024-01-02")
    with client() as c:
        list(c.read("rates", state={"cursor": "2024-01-03T00:00:00Z"},
                    window_end=datetime(2024, 1, 2, tzinfo=UTC)))


def test_a_run_without_an_end_reads_from_90_days_ago_to_today(
        mock_http: responses.RequestsMock) -> None:
    mock_http.get(re.compile(rf"{HOST}/v1/\d{{4}}-\d{{2}}-\d{{2}}\.\.(\?.*)?$"), json=SERIES,
                  match=[matchers.query_param_matcher({"base": "EUR"})])
    before = datetime.now(UTC)
    with client() as c:
        list(c.read("rates", state=None, window_end=None))
    start = mock_http.calls[0].request.path_url.split("/v1/")[1].split("..")[0]
    # counted back from now (the day may turn while the test runs)
    assert start in {(before - timedelta(days=90)).date().isoformat(),
                     (datetime.now(UTC) - timedelta(days=90)).date().isoformat()}


def test_an_empty_window_fails_with_frankfurters_message(mock_http: responses.RequestsMock
                                                         ) -> None:
    expect(mock_http, "2024-01-03..2024-01-10", status=404, body={"message": "not found"})
    with client() as c, pytest.raises(FatalAPIError, match="not found"):
        list(c.read("rates", state={"cursor": "2024-01-03T00:00:00Z"},
                    window_end=datetime(2024, 1, 10, tzinfo=UTC)))


def test_the_answer_maps_to_one_valid_fx_rate_per_day_and_currency() -> None:
    mapping = load_mapping(ROOT / "mappings" / "frankfurter" / "rates.yaml")
    ctx = MappingContext(connection="ecb_rates", system="frankfurter")
    records = mapping.apply(SERIES, ctx)
    assert len(records) == 3 * 4
    usd = next(r for r in records if r.external_id == "ecb:EURUSD:2024-01-02")
    assert (usd.base, usd.quote, str(usd.rate), usd.provider) == ("EUR", "USD", "1.0956", "ecb")
    schema = entity_schema("fx_rate")
    for rec in records:
        jsonschema.validate(rec.to_json_dict(), schema)
    assert {r.rate_date.isoformat() for r in records} == set(SERIES["rates"])


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s["incremental"].pop("initial_lookback"),
     "streams.rates.incremental.initial_lookback: a path with {window.start} needs "
     "initial_lookback"),
    (lambda s: s.pop("incremental"),
     "streams.rates.path: path placeholder {window.end} needs incremental"),
    (lambda s: s.update(path="/{window.begin}..{window.end}"),
     "streams.rates.path: unknown placeholder {window.begin}"),
    (lambda s: s.update(path="/{window.end}"),
     "streams.rates.incremental.start_param: an incremental stream needs start_param "
     "(or {window.start} in its path)"),
], ids=["no initial_lookback", "no incremental", "unknown name", "no start"])
def test_window_placeholders_are_checked_when_the_file_loads(
        tmp_path: Path, change: Callable[[dict[str, Any]], Any], problem: str) -> None:
    doc = yaml.safe_load((ROOT / "connectors" / "frankfurter" / "connector.yaml").read_text())
    change(doc["streams"]["rates"])
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as err:
        load_connector(path)
    assert problem in str(err.value)
