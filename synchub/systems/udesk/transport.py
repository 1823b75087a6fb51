"""The ``udesk_rest`` transport: the engine's GET pages with Udesk's ``code`` checked.

Udesk answers an error with a ``{"code", "message"}`` envelope that a plain record selector
would read as an empty page; this transport opens every answer with :func:`.errors.open_answer`
first, so a refused signature fails the run and a reused nonce is retried.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from synchub.config.connector import RestStreamSpec
from synchub.runtime.incremental import Window
from synchub.runtime.transport import Sender
from synchub.runtime.transports import RestTransport
from synchub.systems.udesk.errors import open_answer

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient


class UdeskStreamSpec(RestStreamSpec):
    """A REST stream of Udesk's Open API (``transport: udesk_rest``)."""

    transport: Literal["udesk_rest"]  # type: ignore[assignment]


class UdeskTransport(RestTransport):
    """GET pages; each answer's ``code`` checked before the records are selected."""

    name = "udesk_rest"

    def sender(self, client: ConnectorClient, spec: Any, window: Window | None) -> Sender:
        """GET the request, open Udesk's envelope."""
        unwrap = partial(_unwrap, conn_id=client.conn.conn_id)
        return lambda request: client.http.request(
            self.name, "GET", request.url, params=request.params or None, unwrap=unwrap)


def _unwrap(body: Any, url: str, *, conn_id: str) -> Any:
    return open_answer(body, url, conn_id=conn_id)


UDESK_REST = UdeskTransport()
