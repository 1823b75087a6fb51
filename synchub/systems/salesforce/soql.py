"""The ``salesforce_soql`` transport: a SOQL query read with ``GET /query``, page by page.

The first request sends ``q``: the stream's ``SELECT ... FROM ...`` with the window on its
cursor field (``SystemModstamp >= start AND SystemModstamp <= end``, the start inclusive so
records sharing the stored cursor's second are read again and skipped as unchanged) and
``ORDER BY`` that field, so the cursor may be saved after every page. Salesforce answers
``{totalSize, done, records, nextRecordsUrl}``; each next page is a plain GET of
``nextRecordsUrl`` (a path on the instance) until ``done`` is true. The page size is asked
with ``Sforce-Query-Options: batchSize=`` (200 to 2,000; Salesforce may send fewer).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from synchub.errors import FatalAPIError
from synchub.runtime.incremental import Window
from synchub.runtime.records import RejectedRecord, only_objects, split_objects
from synchub.runtime.transport import Page, Transport
from synchub.systems.salesforce.auth import salesforce_auth
from synchub.systems.salesforce.errors import vendor_error
from synchub.systems.salesforce.specs import SoqlStreamSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient


def soql_datetime(dt: datetime) -> str:
    """A SOQL dateTime literal in UTC, whole seconds: ``2025-03-01T10:15:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soql_query(spec: SoqlStreamSpec, window: Window | None) -> str:
    """The stream's query with its fixed condition, the window and the order."""
    conditions = [f"({spec.where})"] if spec.where else []
    order = ""
    if window is not None:
        field = window.spec.cursor_field
        if window.start is not None:
            conditions.append(f"{field} >= {soql_datetime(window.start)}")
        if window.end is not None:
            conditions.append(f"{field} <= {soql_datetime(window.end)}")
        order = f" ORDER BY {field} ASC"
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"{spec.soql.strip()}{where}{order}"


class SoqlTransport(Transport):
    """GET /query with ``q``, then ``nextRecordsUrl`` until ``done``."""

    name = "salesforce_soql"

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield the query's pages; with a cursor, the state after each one (sorted)."""
        inc = spec.incremental
        window = Window(inc, stream=name, state=state, window_end=window_end,
                        full_refresh=full_refresh) if inc is not None else None
        auth = salesforce_auth(client.http.auth)
        headers = ({"Sforce-Query-Options": f"batchSize={spec.page_size}"}
                   if spec.page_size else None)
        selector = client.selector(spec.record_selector)
        url: str = auth.instance_url() + spec.path
        params: dict[str, Any] | None = {"q": soql_query(spec, window)}
        followed: set[str] = set()
        number = 0
        while True:
            body = self._get(client, url, params, headers)
            records = selector.search(body) or []
            if not isinstance(records, list):
                raise FatalAPIError(f"stream {name!r}: {spec.record_selector!r} is not a list")
            rejected: list[RejectedRecord] = []
            if not only_objects(records):
                records, rejected = split_objects(records)
            if window is not None:
                records, bad = window.consume(records)
                rejected += bad
            next_url = body.get("nextRecordsUrl") if isinstance(body, dict) else None
            last = bool(body.get("done", True)) or not next_url
            number += 1
            page_state = window.state() if window is not None else None
            yield Page(records, page_state, number, rejected)
            if last:
                return
            if next_url in followed:
                raise FatalAPIError(f"stream {name!r}: nextRecordsUrl {next_url} came twice; "
                                    "stopping rather than reading it forever")
            followed.add(str(next_url))
            url, params = auth.instance_url() + str(next_url), None

    @staticmethod
    def _get(client: ConnectorClient, url: str, params: dict[str, Any] | None,
             headers: dict[str, str] | None) -> Any:
        try:
            return client.http.request("rest", "GET", url, params=params,
                                       headers=headers)[1]
        except FatalAPIError as exc:
            raise vendor_error(exc) from None


SOQL = SoqlTransport()
