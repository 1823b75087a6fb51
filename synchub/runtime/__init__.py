"""The declarative connector runtime: HTTP session, auth, paging, limits, retries, cursors.

The sync engine uses exactly this surface::

    conn = ConnectionInfo.from_env("shopify_demo")
    with ConnectorClient(spec, conn) as client:
        currency = client.context()["shop_currency"]
        for page in client.read("orders", state=state, window_end=interval_end):
            ...  # page.records, page.state, page.number, page.rejected
"""

from __future__ import annotations

from synchub.runtime.client import ConnectorClient, Page, RejectedRecord
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.http import ClientStats

__all__ = ["ClientStats", "ConnectionInfo", "ConnectorClient", "Page", "RejectedRecord"]
