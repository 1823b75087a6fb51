"""Frappe's document API as the writers use it: list, get, insert, update, delete.

Reads are retried by the connector client; writes go ``once`` (a lost reply may hide a
committed insert, so the writer looks the document up by its idempotency field before it
sends anything again). A refusal carries Frappe's own message (:mod:`.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from synchub.errors import APIError
from synchub.systems.erpnext.errors import with_frappe_message

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient

T = TypeVar("T")


def _frappe(call: Callable[[], T]) -> T:
    try:
        return call()
    except APIError as exc:
        raise with_frappe_message(exc) from None


class FrappeDocs:
    """``/api/resource`` calls through one connection's HTTP client."""

    def __init__(self, client: ConnectorClient, path: str = "/api/resource") -> None:
        self.client, self.root = client, client.base_url + path.rstrip("/")

    def _url(self, doctype: str, name: str | None = None) -> str:
        url = f"{self.root}/{quote(doctype)}"
        return url if name is None else f"{url}/{quote(name, safe='')}"

    def list(self, doctype: str, filters: list[list[Any]], fields: list[str],
             limit: int = 500) -> list[dict[str, Any]]:
        """The documents matching ``filters`` (fields and page size always named)."""
        params = {"fields": json.dumps(fields), "filters": json.dumps(filters),
                  "limit_page_length": limit, "order_by": "creation asc"}
        body = _frappe(lambda: self.client.http.get(self._url(doctype), params)[1])
        data = body.get("data") if isinstance(body, dict) else None
        return [row for row in data or [] if isinstance(row, dict)]

    def get(self, doctype: str, name: str) -> dict[str, Any]:
        """One whole document, child tables included."""
        body = _frappe(lambda: self.client.http.get(self._url(doctype, name))[1])
        return dict(body.get("data") or {}) if isinstance(body, dict) else {}

    def insert(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
        """``POST`` a new document (``docstatus: 1`` in it submits it); the saved document."""
        return self._write("POST", self._url(doctype), doc)

    def update(self, doctype: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
        """``PUT`` values on a document (``docstatus`` 1 submits, 2 cancels)."""
        return self._write("PUT", self._url(doctype, name), values)

    def delete(self, doctype: str, name: str) -> None:
        """``DELETE`` a draft."""
        _frappe(lambda: self.client.http.request("rest", "DELETE", self._url(doctype, name),
                                                 once=True))

    def _write(self, method: str, url: str, doc: dict[str, Any]) -> dict[str, Any]:
        body = _frappe(lambda: self.client.http.request("rest", method, url, json=doc,
                                                        once=True)[1])
        return dict(body.get("data") or {}) if isinstance(body, dict) else {}
