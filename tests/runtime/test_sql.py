"""The ``sql`` transport on SQLite: keyset pages, the overlap window, Unix seconds stored
less a zone's offset, rows with a bad time set aside naming the column, and the stream
model's refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from synchub.config.connector_sql import SqlStreamSpec
from synchub.runtime import ConnectionInfo
from synchub.runtime.sql import SqlReader, UnixClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def spec(**keys: object) -> SqlStreamSpec:
    return SqlStreamSpec.model_validate({"transport": "sql", "table": "events",
                                         "primary_key": "id", **keys})


@pytest.fixture
def db(tmp_path: Path) -> ConnectionInfo:
    """events(id, changed, amount): changed is Unix seconds as a UTC+8 PHP shop stores them."""
    path = tmp_path / "shop.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    clock = UnixClock(SHANGHAI)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, changed INTEGER, "
                          "amount NUMERIC)"))
        c.execute(sa.text("INSERT INTO events VALUES (:i, :c, :a)"),
                  [{"i": i, "c": clock.to_stored(T0 + timedelta(minutes=i // 2)),
                    "a": "1.10"} for i in range(1, 12)])
        c.execute(sa.text("INSERT INTO events VALUES (12, -5, '2.00')"))
    engine.dispose()
    return ConnectionInfo(conn_id="shop", conn_type="sqlite", schema=str(path))


@pytest.mark.parametrize(("zone", "stored", "utc"), [
    ("Asia/Shanghai", 1740830400 - 28800, "2025-03-01T12:00:00+00:00"),
    ("UTC", 1740830400, "2025-03-01T12:00:00+00:00"),
    ("Europe/Berlin", 1751371200 - 7200, "2025-07-01T12:00:00+00:00"),   # summer time
])
def test_unix_seconds_stored_less_the_zones_offset_read_back(zone: str, stored: int,
                                                             utc: str) -> None:
    clock = UnixClock(ZoneInfo(zone))
    assert clock.to_utc(stored).isoformat() == utc
    assert clock.to_stored(datetime.fromisoformat(utc)) == stored


@pytest.mark.parametrize("value", [-1, 2**32 - 1, 2**31 - 1, 10**13, "abc", 1.5, True])
def test_what_is_not_a_unix_time(value: object) -> None:
    with pytest.raises(ValueError):
        UnixClock(SHANGHAI).to_utc(value)


def test_keyset_pages_in_cursor_order_with_ties_and_a_bad_row_set_aside(
        db: ConnectionInfo) -> None:
    s = spec(page_size=3, time_zone="Asia/Shanghai", unix_time_columns=["changed"],
             incremental={"cursor_column": "changed"})
    pages = list(SqlReader(s, db, "events").pages(None, None, False))
    ids = [r["id"] for p in pages for r in p.records]
    assert ids == list(range(1, 12))           # ties on changed broken by id, none repeated
    [bad] = [r for p in pages for r in p.rejected]
    assert bad.field == "changed" and "column 'changed' is not a valid time" in bad.reason
    assert pages[0].records[0]["changed"] == "2025-03-01T12:00:00Z"
    assert pages[0].records[0]["amount"] in ("1.10", "1.1", 1.1)
    assert pages[-1].state == {"cursor": "2025-03-01T12:05:00Z"}


def test_the_next_run_starts_the_overlap_before_the_stored_cursor(db: ConnectionInfo) -> None:
    s = spec(time_zone="Asia/Shanghai", incremental={"cursor_column": "changed",
                                                     "lookback": "1m"})
    state = {"cursor": "2025-03-01T12:04:00Z"}
    ids = [r["id"] for p in SqlReader(s, db, "events").pages(state, None, False)
           for r in p.records]
    assert ids == [6, 7, 8, 9, 10, 11]          # from 12:03 on


def test_rows_past_the_window_end_wait(db: ConnectionInfo) -> None:
    s = spec(time_zone="Asia/Shanghai", incremental={"cursor_column": "changed"})
    pages = list(SqlReader(s, db, "events").pages(None, T0 + timedelta(minutes=1), False))
    assert [r["id"] for p in pages for r in p.records] == [1, 2, 3]
    assert pages[-1].state == {"cursor": "2025-03-01T12:01:00Z"}


@pytest.mark.parametrize(("keys", "message"), [
    ({"select": "SELECT 1"}, "exactly one of table and select"),
    ({"table": None, "select": "DELETE FROM events"}, "must be a SELECT"),
    ({"table": None, "select": "SELECT 1; DROP TABLE events"}, "one statement"),
    ({"table": None, "select": "SELECT * FROM events WHERE id > :x"}, "bind parameters"),
    ({"table": "events; drop"}, "String should match pattern"),
    ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
    ({"unix_time_columns": ["a b"]}, "not column names"),
])
def test_the_stream_model_refuses(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**keys)
