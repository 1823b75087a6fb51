"""The ``sf_service`` transport: one signed form POST per request series.

The stream's ``msg_data`` becomes the ``msgData`` JSON text, its ``{input.x}`` placeholders
filled from the store-fed input (the waybill number) and ``{conn.<field>}`` from the
Connection (the phone digits SF checks); keys in ``omit_empty`` whose value is empty are
left out. The ``sf_digest`` auth signs the form; the answer's two levels are checked
(:mod:`.errors`) and the record selector is applied to the decoded ``apiResultData``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from synchub.errors import FatalAPIError
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.records import RejectedRecord, only_objects, split_objects
from synchub.runtime.transport import Page, Transport
from synchub.systems.sf_express.errors import open_answer

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.sf_express.specs import SfServiceStreamSpec

PLACEHOLDER = re.compile(r"\{((?:input|conn)\.[\w.]+)\}")


def connection_value(conn: ConnectionInfo, name: str) -> str:
    """A Connection field for ``{conn.<name>}``; empty when the Connection leaves it out."""
    value = conn.extra.get(name[6:]) if name.startswith("extra.") else getattr(conn, name, None)
    return "" if value is None else str(value)


def fill(value: Any, values: dict[str, Any], conn: ConnectionInfo) -> Any:
    """``value`` with its placeholders filled (strings, and strings inside lists)."""
    if isinstance(value, list):
        return [fill(v, values, conn) for v in value]
    if not isinstance(value, str) or "{" not in value:
        return value

    def one(m: re.Match[str]) -> str:
        name = m[1]
        if name.startswith("conn."):
            return connection_value(conn, name[5:])
        return str(values.get(name, m[0]))

    return PLACEHOLDER.sub(one, value)


def msg_data(spec: SfServiceStreamSpec, values: dict[str, Any], conn: ConnectionInfo
             ) -> str:
    """The ``msgData`` JSON text of one request."""
    out = {k: fill(v, values, conn) for k, v in spec.msg_data.items()}
    for key in spec.omit_empty:
        if out.get(key) in ("", None, [], [""]):
            out.pop(key, None)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


class SfServiceTransport(Transport):
    """SF's standard service: ``serviceCode`` and ``msgData`` POSTed, the answer opened."""

    name = "sf_service"
    supports_parent = True   # takes request values (the store-fed waybill numbers)

    def call(self, client: ConnectorClient, service_code: str, path: str, data: str
             ) -> Any:
        """One signed call; the decoded ``apiResultData``."""
        url = client.base_url + path
        unwrap = partial(_unwrap, service=service_code, conn_id=client.conn.conn_id)
        return client.http.request(self.name, "POST", url, unwrap=unwrap,
                                   data={"serviceCode": service_code, "msgData": data})[1]

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """One page: the records the service answered for this request."""
        body = self.call(client, spec.service_code, spec.path,
                         msg_data(spec, dict(values or {}), client.conn))
        records = client.selector(spec.record_selector).search(body)
        if records is None:
            records = []
        elif not isinstance(records, list):
            raise FatalAPIError(f"stream {name!r}: record_selector {spec.record_selector!r} "
                                f"gave {type(records).__name__}, not a list")
        rejected: list[RejectedRecord] = []
        if not only_objects(records):
            records, rejected = split_objects(records)
        yield Page(records, None, 1, rejected)


def _unwrap(body: Any, url: str, *, service: str, conn_id: str) -> Any:
    return open_answer(body, url=url, service=service, conn_id=conn_id)


SF_SERVICE = SfServiceTransport()
