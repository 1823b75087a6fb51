"""The ``frappe_rest`` transport: DocType lists read in the site's timezone.

Frappe keeps every time as a naive value in the site's timezone (System Settings
``time_zone``): ``modified`` in the records and the values a filter compares alike. The
transport reads that zone once per client (the context value ``timezone_context``), writes
the incremental window into ``filters`` in it, and hands the window the same zone so that
the naive ``modified`` of each record is compared and stored as the right UTC instant.
Sending the zone's time rather than UTC is what keeps a site east of Greenwich from
skipping the hours between its clock and UTC (and one west of it from re-reading them).

Every request names its ``fields`` and ``limit_page_length``: without them Frappe answers
20 rows holding only ``name``. A refused request fails with Frappe's own message
(:mod:`.errors`).
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from synchub.errors import APIError, ConfigError
from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.runtime.transport import RequestTransport, Sender
from synchub.systems.erpnext.errors import with_frappe_message
from synchub.systems.erpnext.specs import FrappeStreamSpec

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient


def site_zone(client: ConnectorClient, name: str) -> ZoneInfo:
    """The site's timezone from the context value ``name`` (read once per client)."""
    values = client.context()
    if name not in values:
        raise ConfigError(f"connector {client.spec.system!r}: context {name!r} (the site's "
                          "time zone) is not declared")
    try:
        return ZoneInfo(str(values[name]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"context {name!r}: the site's time zone {values[name]!r} is not "
                          "an IANA zone") from None


def site_time(dt: datetime, zone: tzinfo) -> str:
    """An aware time as Frappe compares it: naive in the site's zone, microseconds kept."""
    return dt.astimezone(zone).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def window_terms(window: Window, field: str, zone: tzinfo) -> list[list[str]]:
    """``[[field, ">", start], [field, "<=", end]]`` for the bounds the window sends."""
    if not window.send_bounds:
        return []
    terms = []
    if window.start is not None:
        terms.append([field, ">", site_time(window.start, zone)])
    if window.end is not None and window.spec.end_param is not None:
        terms.append([field, "<=", site_time(window.end, zone)])
    return terms


class FrappeRestTransport(RequestTransport):
    """GET ``/api/resource/<DocType>`` pages with fields, filters, order and page size."""

    name = "frappe_rest"

    def first_request(self, client: ConnectorClient, spec: FrappeStreamSpec,
                      window: Window | None, values: dict[str, Any]) -> Request:
        """The first page: every list parameter written out, the window in site time."""
        filters = list(client.resolve_nested(spec.filters))
        if window is not None:
            zone = site_zone(client, spec.timezone_context)
            window.zone = zone  # record times are naive in the site's zone, like the filters
            field = window.spec.start_param or window.spec.cursor_field
            filters += window_terms(window, field, zone)
        params: dict[str, Any] = {
            "fields": json.dumps(spec.fields),
            "order_by": spec.order_by,
            spec.paginator.offset_param: 0,
            "limit_page_length": spec.page_size,
        }
        if filters:
            params["filters"] = json.dumps(filters)
        url = f"{client.base_url}/api/resource/{quote(spec.doctype)}"
        return Request(url, params=params)

    def sender(self, client: ConnectorClient, spec: FrappeStreamSpec,
               window: Window | None) -> Sender:
        """GET the page; a refusal carries Frappe's message."""

        def send(request: Request) -> Any:
            try:
                return client.http.get(request.url, request.params or None)
            except APIError as exc:
                raise with_frappe_message(exc) from None

        return send


FRAPPE_REST = FrappeRestTransport()
