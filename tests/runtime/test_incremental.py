"""Incremental window math: lookback, safety lag, client-side end filter, cursor state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from synchub.config.connector import IncrementalSpec
from synchub.errors import ConfigError
from synchub.runtime.incremental import Window, format_cursor, parse_cursor

END = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)


def spec(**kw: Any) -> IncrementalSpec:
    base: dict[str, Any] = {"cursor_field": "updated_at", "start_param": "updated_at_min",
                            "end_param": "updated_at_max", "lookback": "10m",
                            "safety_lag": "1m"}
    base.update(kw)
    return IncrementalSpec.model_validate(base)


@pytest.mark.parametrize(("value", "zone", "expected"), [
    ("2025-03-01T10:15:00-05:00", None, "2025-03-01T15:15:00Z"),
    ("2025-03-01T10:15:00Z", None, "2025-03-01T10:15:00Z"),
    ("2025-03-01T10:15:00", UTC, "2025-03-01T10:15:00Z"),
    ("2025-03-01T10:15:00.250+01:00", None, "2025-03-01T09:15:00.250000Z"),
])
def test_parse_and_format_cursor(value: str, zone: timezone | None, expected: str) -> None:
    assert format_cursor(parse_cursor(value, zone)) == expected


def test_naive_cursor_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="cursor_timezone"):
        parse_cursor("2025-03-01T10:15:00")


@pytest.mark.parametrize(("state", "window_end", "full_refresh", "params"), [
    ({"cursor": "2025-03-01T12:00:00Z"}, END, False,
     {"updated_at_min": "2025-03-01T11:50:00Z", "updated_at_max": "2025-03-01T23:59:00Z"}),
    (None, END, False, {"updated_at_max": "2025-03-01T23:59:00Z"}),
    ({"cursor": "2025-03-01T12:00:00Z"}, None, False, {"updated_at_min": "2025-03-01T11:50:00Z"}),
    ({"cursor": "2025-03-01T12:00:00Z"}, END, True, {"updated_at_max": "2025-03-01T23:59:00Z"}),
    # a re-run of an older interval: never ask for start > end
    ({"cursor": "2025-03-05T00:00:00Z"}, END, False,
     {"updated_at_min": "2025-03-01T23:49:00Z", "updated_at_max": "2025-03-01T23:59:00Z"}),
])
def test_window_params(state: dict[str, str] | None, window_end: datetime | None,
                       full_refresh: bool, params: dict[str, str]) -> None:
    w = Window(spec(), stream="orders", state=state, window_end=window_end,
               full_refresh=full_refresh)
    assert w.params() == params


def test_templates_share_one_variable() -> None:
    s = spec(start_param="query", end_param="query", start_template="updated_at:>'{value}'",
             end_template="updated_at:<='{value}'")
    w = Window(s, stream="products", state={"cursor": "2025-03-01T12:00:00Z"}, window_end=END,
               full_refresh=False)
    assert w.params() == {"query": "updated_at:>'2025-03-01T11:50:00Z' AND "
                                   "updated_at:<='2025-03-01T23:59:00Z'"}


def test_one_range_param_with_its_own_separator() -> None:
    s = spec(start_param="filter", end_param="filter",
             start_template="lastmodifieddate:[{value}..", end_template="{value}]",
             bounds_separator="", param_format="iso_ms_z")
    w = Window(s, stream="orders", state={"cursor": "2025-03-01T12:00:00.123456Z"},
               window_end=END, full_refresh=False)
    assert w.params() == {"filter": "lastmodifieddate:[2025-03-01T11:50:00.123Z.."
                                    "2025-03-01T23:59:00.000Z]"}


@pytest.mark.parametrize(("fmt", "start"), [
    ("iso_z", "2025-03-01T11:50:00Z"),
    ("iso_ms_z", "2025-03-01T11:50:00.000Z"),
    ("naive", "2025-03-01T11:50:00"),
    ("date", "2025-03-01"),
    ("datetime_space", "2025-03-01 11:50:00"),
    ("epoch_s", "1740829800"),
    ("epoch_ms", "1740829800000"),
])
def test_param_formats_are_registered_strategies(fmt: str, start: str) -> None:
    w = Window(spec(param_format=fmt), stream="o", state={"cursor": "2025-03-01T12:00:00Z"},
               window_end=None, full_refresh=False)
    assert w.params() == {"updated_at_min": start}


def test_an_unknown_param_format_names_the_registered_ones() -> None:
    w = Window(spec(param_format="epoch_days"), stream="o",
               state={"cursor": "2025-03-01T12:00:00Z"}, window_end=None, full_refresh=False)
    with pytest.raises(ConfigError, match=r"unknown incremental 'epoch_days'; registered: "
                                          r"date, datetime_space, datetime_space_utc8, "
                                          r"epoch_ms"):
        w.params()


def test_state_is_max_and_never_goes_back() -> None:
    w = Window(spec(), stream="o", state={"cursor": "2025-03-01T12:00:00Z"}, window_end=END,
               full_refresh=False)
    assert w.state() == {"cursor": "2025-03-01T12:00:00Z"}
    # records of the overlap are older than the stored cursor: state stays
    w.consume([{"updated_at": "2025-03-01T06:55:00-05:00"}])
    assert w.state() == {"cursor": "2025-03-01T12:00:00Z"}
    w.consume([{"updated_at": "2025-03-01T09:00:00-05:00"},
               {"updated_at": "2025-03-01T08:00:00-05:00"}, {"updated_at": None}])
    assert w.state() == {"cursor": "2025-03-01T14:00:00Z"}


def test_empty_first_run_has_no_state() -> None:
    w = Window(spec(), stream="o", state=None, window_end=END, full_refresh=False)
    assert w.consume([]) == ([], [])
    assert w.state() is None


def test_records_past_end_dropped_only_without_end_param() -> None:
    recs = [{"updated_at": "2025-03-01T23:58:00Z"}, {"updated_at": "2025-03-01T23:59:30Z"}]
    with_end = Window(spec(), stream="o", state=None, window_end=END, full_refresh=False)
    assert with_end.consume(list(recs)) == (recs, [])  # the API filtered already
    no_end = Window(spec(end_param=None), stream="o", state=None, window_end=END,
                    full_refresh=False)
    kept, rejected = no_end.consume(list(recs))
    assert (kept, rejected) == (recs[:1], [])
    assert kept[0] is recs[0]  # records are not copied
    assert no_end.state() == {"cursor": "2025-03-01T23:58:00Z"}


@pytest.mark.parametrize("end_param", ["updated_at_max", None])
@pytest.mark.parametrize("value, problem", [
    ("yesterday", "not an ISO 8601 time: 'yesterday'"),
    ("2025-03-01T11:00:05", "has no offset; declare incremental.cursor_timezone"),
    (12.5, "not an ISO 8601 time: '12.5'"),
    ("0001-01-01T00:00:00+01:00", "out of range in UTC"),
])
def test_a_bad_cursor_value_rejects_that_record_only(end_param: str | None, value: Any,
                                                     problem: str) -> None:
    w = Window(spec(end_param=end_param), stream="orders",
               state={"cursor": "2025-03-01T12:00:00Z"}, window_end=END, full_refresh=False)
    good = [{"id": 1, "updated_at": "2025-03-01T13:00:00Z"}, {"id": 3, "updated_at": None}]
    bad = {"id": 2, "updated_at": value}
    kept, rejected = w.consume([good[0], bad, good[1]])
    assert kept == good
    (rej,) = rejected
    assert (rej.raw, rej.field) == (bad, "updated_at")
    assert rej.reason.startswith("cursor field 'updated_at': ") and problem in rej.reason
    # the rejected record does not move the cursor
    assert w.state() == {"cursor": "2025-03-01T13:00:00Z"}


def test_a_naive_cursor_is_read_in_the_declared_zone() -> None:
    w = Window(spec(cursor_timezone="Europe/Paris"), stream="o", state=None, window_end=None,
               full_refresh=False)
    assert w.consume([{"updated_at": "2025-03-01T11:00:05"}])[1] == []
    assert w.state() == {"cursor": "2025-03-01T10:00:05Z"}


def test_lookback_and_lag_parse_durations() -> None:
    s = spec(lookback="1h", safety_lag=90)
    assert (s.lookback, s.safety_lag) == (timedelta(hours=1), timedelta(seconds=90))


def test_paired_bounds_send_both_or_neither() -> None:
    paired = spec(paired_bounds=True, cursor_field="modifiedOn", start_param="modifiedAfter",
                  end_param="modifiedBefore")
    # a stored cursor and a run end: both bounds, as with any window
    w = Window(paired, stream="orders", state={"cursor": "2025-03-01T12:00:00Z"},
               window_end=END, full_refresh=False)
    assert w.params() == {"modifiedAfter": "2025-03-01T11:50:00Z",
                          "modifiedBefore": "2025-03-01T23:59:00Z"}
    # no end from the run: the end is now less the safety lag (never one bound alone)
    before = datetime.now(UTC)
    w = Window(paired, stream="orders", state={"cursor": "2025-03-01T12:00:00Z"},
               window_end=None, full_refresh=False)
    sent = w.params()
    assert set(sent) == {"modifiedAfter", "modifiedBefore"}
    end = parse_cursor(sent["modifiedBefore"])
    assert before - timedelta(minutes=1) <= end <= datetime.now(UTC) - timedelta(minutes=1)
    # no start (first run, full refresh): neither bound, and the end is applied here
    for state, refresh in ((None, False), ({"cursor": "2025-03-01T12:00:00Z"}, True)):
        w = Window(paired, stream="orders", state=state, window_end=END,
                   full_refresh=refresh)
        assert w.params() == {}
        recs = [{"modifiedOn": "2025-03-01T23:58:00Z"}, {"modifiedOn": "2025-03-01T23:59:30Z"}]
        assert w.consume(recs) == (recs[:1], [])
    # unpaired, the same first run sends the end alone
    assert Window(spec(), stream="o", state=None, window_end=END,
                  full_refresh=False).params() == {"updated_at_max": "2025-03-01T23:59:00Z"}


def test_paired_bounds_with_initial_lookback_always_send_both() -> None:
    s = spec(paired_bounds=True, initial_lookback="2d")
    w = Window(s, stream="orders", state=None, window_end=END, full_refresh=False)
    assert w.params() == {"updated_at_min": "2025-02-27T23:59:00Z",
                          "updated_at_max": "2025-03-01T23:59:00Z"}
    assert w.consume([{"updated_at": "2025-03-02T00:30:00Z"}])[0] != []  # the API filtered


def test_filter_parts_travel_only_with_their_value() -> None:
    # Magento's searchCriteria: a filter is three params; field and condition alone would
    # filter on an empty value, so without a start the whole filter stays out
    base = "searchCriteria[filter_groups][{g}][filters][0][{k}]"
    spec = IncrementalSpec(
        cursor_field="updated_at", param_format="datetime_space",
        start_param=base.format(g=0, k="value"),
        start_with={base.format(g=0, k="field"): "updated_at",
                    base.format(g=0, k="condition_type"): "gteq"},
        end_param=base.format(g=1, k="value"),
        end_with={base.format(g=1, k="field"): "updated_at",
                  base.format(g=1, k="condition_type"): "lteq"})
    end = datetime(2025, 3, 2, tzinfo=UTC)
    first = Window(spec, stream="orders", state=None, window_end=end, full_refresh=False)
    assert first.params() == {base.format(g=1, k="value"): "2025-03-02 00:00:00",
                              base.format(g=1, k="field"): "updated_at",
                              base.format(g=1, k="condition_type"): "lteq"}
    nxt = Window(spec, stream="orders", state={"cursor": "2025-03-01T10:15:00Z"},
                 window_end=None, full_refresh=False)
    assert nxt.params() == {base.format(g=0, k="value"): "2025-03-01 10:15:00",
                            base.format(g=0, k="field"): "updated_at",
                            base.format(g=0, k="condition_type"): "gteq"}
