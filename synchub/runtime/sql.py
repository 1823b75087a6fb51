"""The ``sql`` transport: a stream's pages are keyset-paged SELECTs on the source database.

The Airflow Connection names the database: its type picks the SQLAlchemy driver
(:data:`DRIVERS`; ``extra.driver`` may name another), host, port, login, password and
``schema`` (the database name) are used by name; ``extra.charset`` is passed to MySQL
drivers. Every value is bound as a parameter; identifiers (tables, columns) come from the
connector file, are checked by its model and quoted by the dialect.

Each page is one statement::

    SELECT * FROM (<table or select>) AS src
    WHERE cursor >= :start AND (cursor > :c OR (cursor = :c AND pk > :k))
    ORDER BY cursor, pk LIMIT :n

so a page starts after the last row read, whatever was inserted meanwhile. The window's
end is applied to the rows read (a row past it waits for a later run), so a row whose cursor
is not a time is met and set aside rather than skipped forever. Rows are handed
on as JSON-ready dicts: DECIMAL as exact text, dates and DATETIME values as ISO text, bytes
decoded; Unix-seconds columns (``unix_time_columns``) as ISO 8601 UTC, where 0 is no time
and anything else that is not a time sets the row aside naming its column.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError
from synchub.runtime.incremental import format_cursor, parse_cursor
from synchub.runtime.records import RejectedRecord
from synchub.runtime.transport import Page, Transport

if TYPE_CHECKING:
    from synchub.config.connector_sql import SqlChildSpec, SqlStreamSpec
    from synchub.runtime.client import ConnectorClient
    from synchub.runtime.connection import ConnectionInfo

log = logging.getLogger("synchub.runtime.sql")

DRIVERS: dict[str, str] = {
    "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql", "postgres": "postgresql+psycopg",
    "sqlite": "sqlite",
}
# the largest Unix second a datetime holds (9999-12-31T23:59:59Z)
MAX_UNIX = 253_402_300_799
# what MySQL stores for a figure too large for INT / INT UNSIGNED outside strict mode
CEILINGS = frozenset({2**31 - 1, 2**32 - 1})
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def database_url(conn: ConnectionInfo) -> sa.URL:
    """The SQLAlchemy URL of the Connection's database, fields taken by name."""
    driver = conn.extra.get("driver") or DRIVERS.get(conn.conn_type or "")
    if not driver:
        raise ConfigError(f"connection {conn.conn_id!r}: type {conn.conn_type!r} names no "
                          f"database; use one of {', '.join(sorted(DRIVERS))} or set "
                          "extra.driver to a SQLAlchemy driver name", key="conn_type")
    if driver.startswith("sqlite"):
        return sa.URL.create(driver, database=conn.schema or conn.host)
    if not conn.host or not conn.schema:
        raise ConfigError(f"connection {conn.conn_id!r}: host and schema (the database "
                          "name) are needed", key="host" if not conn.host else "schema")
    query = {"charset": str(conn.extra.get("charset") or "utf8mb4")} \
        if driver.startswith("mysql") else {}
    return sa.URL.create(driver, username=conn.login, password=conn.password,
                         host=conn.host, port=conn.port, database=conn.schema, query=query)


def engine_for(conn: ConnectionInfo) -> Engine:
    """One pooled engine per Connection and URL (checked before use: a database restarted
    between runs is reconnected to)."""
    url = database_url(conn)
    key = (conn.conn_id, url.render_as_string(hide_password=False))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = sa.create_engine(url, pool_pre_ping=True, pool_size=2)
        return engine


def stored_zone(spec: SqlStreamSpec, conn: ConnectionInfo) -> ZoneInfo:
    """The stream's ``time_zone``, read from the Connection when it names an extra key."""
    name = spec.time_zone
    if name.startswith("{conn."):
        name = str(conn.field(name[6:-1]))
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"connection {conn.conn_id!r}: time zone {name!r} is unknown: "
                          f"{exc}", key=spec.time_zone[6:-1]) from None


class UnixClock:
    """Unix seconds as a writer stored them: true seconds less ``zone``'s UTC offset."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def to_utc(self, value: Any) -> datetime:
        """A stored value -> aware UTC datetime; ValueError when it is not a time."""
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise ValueError(f"{value!r} is not a number of seconds")
        try:
            seconds = int(value)
        except (ValueError, ArithmeticError):
            raise ValueError(f"{str(value)[:40]!r} is not a number of seconds") from None
        if Decimal(str(value)) != seconds:
            raise ValueError(f"{value!r} is not a whole number of seconds")
        if not 0 < seconds <= MAX_UNIX:
            raise ValueError(f"{seconds} is outside 1970-01-01..9999-12-31")
        if seconds in CEILINGS:
            raise ValueError(f"{seconds} is the ceiling of a 32-bit column: a figure "
                             "clamped on the way in, not a time")
        shifted = datetime.fromtimestamp(seconds, UTC)
        offset = shifted.astimezone(self.zone).utcoffset() or timedelta(0)
        return shifted + offset

    def to_stored(self, at: datetime) -> int:
        """An aware time -> the figure the writer would have stored for it."""
        offset = at.astimezone(self.zone).utcoffset() or timedelta(0)
        return int((at - offset).timestamp())


class WallClock:
    """Naive DATETIME values on the wall clock of ``zone``."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def to_utc(self, value: Any) -> datetime:
        """A stored value -> aware UTC datetime; ValueError when it is not a time."""
        return parse_cursor(value, self.zone)

    def to_stored(self, at: datetime) -> datetime:
        """An aware time -> the naive wall-clock value compared in SQL."""
        return at.astimezone(self.zone).replace(tzinfo=None)


def plain_value(value: Any) -> Any:
    """A database value as JSON holds it: exact decimal text, ISO times, decoded bytes."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value


class SqlReader:
    """Reads one stream's pages on one database connection."""

    def __init__(self, spec: SqlStreamSpec, conn: ConnectionInfo, name: str) -> None:
        self.spec, self.conn, self.name = spec, conn, name
        zone = stored_zone(spec, conn)
        self.unix = UnixClock(zone)
        inc = spec.incremental
        self.cursor_clock = (self.unix if inc is None or inc.cursor_type == "unix_seconds"
                             else WallClock(zone))
        # rows past the window end are left for a later run; the bound is applied here, not
        # in SQL, so a row whose cursor is not a time is still met and set aside
        self.end: datetime | None = None

    def statement(self, db: Connection, *, start: bool, after: bool) -> sa.TextClause:
        """The page's SELECT for the bounds in use."""
        q = db.dialect.identifier_preparer
        spec, inc = self.spec, self.spec.incremental
        source = spec.select if spec.select is not None else \
            "SELECT * FROM " + ".".join(q.quote(p) for p in (spec.table or "").split("."))
        pk = f"src.{q.quote(spec.primary_key)}"
        where: list[str] = []
        if inc is None:
            order = pk
            if after:
                where.append(f"{pk} > :after_key")
        else:
            cur = f"src.{q.quote(inc.cursor_column)}"
            order = f"{cur}, {pk}"
            if start:
                where.append(f"{cur} >= :start")
            if after:
                where.append(f"({cur} > :after_cursor OR ({cur} = :after_cursor "
                             f"AND {pk} > :after_key))")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return sa.text(f"SELECT * FROM ({source}) AS src{clause} ORDER BY {order} LIMIT :limit")

    def pages(self, state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool) -> Iterator[Page]:
        """Keyset pages from the stored cursor (less the overlap) up to the window end."""
        inc = self.spec.incremental
        params: dict[str, Any] = {"limit": self.spec.page_size}
        max_seen: datetime | None = None
        if inc is not None:
            stored = None if full_refresh or not state else state.get("cursor")
            if stored:
                try:
                    max_seen = parse_cursor(stored, UTC)
                except ValueError as exc:
                    raise ConfigError(f"stream {self.name!r}: stored cursor is not a time: "
                                      f"{exc}") from None
                params["start"] = self.cursor_clock.to_stored(max_seen - inc.lookback)
            if window_end is not None:
                if window_end.tzinfo is None:
                    raise ConfigError(f"stream {self.name!r}: window_end must be "
                                      "timezone-aware")
                self.end = window_end - inc.safety_lag
        engine = engine_for(self.conn)
        number = 0
        after: tuple[Any, Any] | None = None
        while True:
            rows = self._fetch(engine, params, after)
            number += 1
            records, rejected, top = self._records(rows)
            if top is not None and (max_seen is None or top > max_seen):
                max_seen = top
            if rows:
                last = rows[-1]
                after = (last.get(inc.cursor_column) if inc is not None else None,
                         last[self.spec.primary_key])
            finished = len(rows) < self.spec.page_size
            page_state = {"cursor": format_cursor(max_seen)} \
                if inc is not None and max_seen is not None else None
            yield Page(records, page_state, number, rejected)
            if finished:
                return

    def _fetch(self, engine: Engine, params: dict[str, Any],
               after: tuple[Any, Any] | None) -> list[dict[str, Any]]:
        bound = dict(params)
        if after is not None:
            bound["after_cursor"], bound["after_key"] = after
        try:
            with engine.connect() as db:
                stmt = self.statement(db, start="start" in bound, after=after is not None)
                rows = [dict(r) for r in db.execute(stmt, bound).mappings()]
                if rows and self.spec.children:
                    self._attach_children(db, rows)
                return rows
        except sa.exc.OperationalError as exc:   # unreachable, lost, locked: try again later
            raise RetriableAPIError(f"stream {self.name!r}: database unavailable: "
                                    f"{exc.orig or exc}") from None
        except sa.exc.DBAPIError as exc:         # a wrong table or column: the file is wrong
            raise FatalAPIError(f"stream {self.name!r}: the database refused the query: "
                                f"{exc.orig or exc}") from None

    def _attach_children(self, db: Connection, rows: list[dict[str, Any]]) -> None:
        for key, child in self.spec.children.items():
            values = sorted({r[child.parent_key] for r in rows
                             if r.get(child.parent_key) is not None})
            found: dict[Any, list[dict[str, Any]]] = {}
            if values:
                for r in db.execute(self._child_statement(db, child), {"keys": values}
                                    ).mappings():
                    found.setdefault(r[child.key], []).append(
                        {k: plain_value(v) for k, v in r.items()})
            for row in rows:
                row[key] = found.get(row.get(child.parent_key), [])

    @staticmethod
    def _child_statement(db: Connection, child: SqlChildSpec) -> Any:
        q = db.dialect.identifier_preparer
        table = ".".join(q.quote(p) for p in child.table.split("."))
        order = q.quote(child.order_by or child.key)
        stmt = sa.text(f"SELECT * FROM {table} WHERE {q.quote(child.key)} IN :keys "
                       f"ORDER BY {order}")
        return stmt.bindparams(sa.bindparam("keys", expanding=True))

    def _records(self, rows: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[RejectedRecord], datetime | None]:
        """Plain records, rows set aside (with the column at fault) and the newest cursor."""
        inc = self.spec.incremental
        records: list[dict[str, Any]] = []
        rejected: list[RejectedRecord] = []
        top: datetime | None = None
        for row in rows:
            rec = {k: v if isinstance(v, list) else plain_value(v) for k, v in row.items()}
            problem = self._convert_times(rec, row)
            if problem is None and inc is not None and row.get(inc.cursor_column) not in (None, 0):
                try:
                    at = self.cursor_clock.to_utc(row[inc.cursor_column])
                except ValueError as exc:
                    problem = (inc.cursor_column, str(exc))
                else:
                    if self.end is not None and at > self.end:
                        continue
                    top = at if top is None or at > top else top
            if problem is not None:
                column, why = problem
                rejected.append(RejectedRecord(
                    rec, f"column {column!r} is not a valid time: {why}", column))
            else:
                records.append(rec)
        return records, rejected, top

    def _convert_times(self, rec: dict[str, Any], row: dict[str, Any]
                       ) -> tuple[str, str] | None:
        for column in self.spec.unix_time_columns:
            if column not in row:
                continue
            value = row[column]
            if value in (None, 0):
                rec[column] = None   # the shop's "not yet" (an unpaid order's pay_time)
                continue
            try:
                rec[column] = format_cursor(self.unix.to_utc(value))
            except ValueError as exc:
                return column, str(exc)
        return None


class SqlTransport(Transport):
    """The ``sql`` transport: keyset-paged SELECTs on the Connection's database."""

    name = "sql"

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """The stream's pages from ``state`` up to ``window_end``."""
        return SqlReader(spec, client.conn, name).pages(state, window_end, full_refresh)


SQL = SqlTransport()
