"""Detail calls of a ``gateway`` stream: each page's records read again by id, a batch a call.

Some list APIs give only part of a record: TOP's ``taobao.items.onsale.get`` lists items
without their SKUs, which ``taobao.items.seller.list.get`` gives for at most 20 items a
call. A stream with ``detail`` reads its pages as usual, then names the page's records by
``id_path`` to the detail API, ``batch_size`` ids a call, and hands on the detail's records
in their place. One call per batch instead of one per record keeps a catalogue of
thousands of items to a few hundred calls under the gateway's quota.

A list record without an id is set aside (quarantined with the reason); an id the detail
answer leaves out (the record was deleted between the two calls, or is not the seller's:
the gateways answer nothing for those, without an error) is logged and skipped, and comes
back on the next read if it still exists.

The reading is the transport's own: it turns the detail declaration into a stream spec of
its kind (:meth:`GatewayTransport.detail_spec`) and names the URL the call goes to; what
is here only names the ids, cuts the batches and gathers the answers, so any transport
built on :class:`GatewayTransport` (the signed gateways, Youzan's JSON APIs) has it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jmespath
import requests

from synchub.config.connector_parts import SinglePaginatorSpec
from synchub.errors import FatalAPIError
from synchub.runtime.paginators import Request
from synchub.runtime.records import RejectedRecord, only_objects, split_objects
from synchub.runtime.transport import param_values

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.cn_gateway.specs import DetailSpec, GatewayStreamSpec

log = logging.getLogger("synchub.runtime")

Call = Callable[["ConnectorClient", Any, Request], tuple[requests.Response, Any]]


def detail_stream(spec: GatewayStreamSpec) -> GatewayStreamSpec | None:
    """The stream's detail call as a stream spec of its own (None: the stream has none)."""
    d = spec.detail
    if d is None:
        return None
    return spec.model_copy(update={
        "method": d.method, "params": d.params, "record_selector": d.record_selector,
        "response_key": d.response_key or spec.response_key,
        "paginator": SinglePaginatorSpec(type="single"), "page_size": None,
        "page_size_param": None, "incremental": None, "detail": None})


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def read_details(call: Call, client: ConnectorClient, name: str, d: DetailSpec,
                 detail: Any, url: str, records: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
    """The detail records of ``records``, and the list records that name no id.

    ``detail`` is the detail call as a stream spec of the transport's kind, handed to
    ``call`` with each batch's request to ``url``.
    """
    expr = jmespath.compile(d.id_path)
    ids: dict[str, Any] = {}
    rejected: list[RejectedRecord] = []
    for record in records:
        raw = expr.search(record)
        ident = _id(raw)
        if ident is None:
            rejected.append(RejectedRecord(record, f"stream {name!r}: no id at "
                                           f"{d.id_path!r} to read its {d.method} by",
                                           field=d.id_path))
        else:
            ids.setdefault(ident, raw if isinstance(raw, int) else ident)
    wanted = list(ids)
    selector = client.selector(d.record_selector)
    fixed = dict(param_values(client.resolve(d.params)))
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), d.batch_size):
        batch = wanted[start:start + d.batch_size]
        named = ids[batch[0]] if d.batch_size == 1 else d.separator.join(batch)
        request = Request(url, params={**fixed, d.ids_param: named})
        _response, body = call(client, detail, request)
        found = selector.search(body)
        if found is None:
            found = []
        elif not isinstance(found, list):
            raise FatalAPIError(f"stream {name!r}: detail record_selector "
                                f"{d.record_selector!r} gave {type(found).__name__}, "
                                "not a list")
        if not only_objects(found):
            found, bad = split_objects(found)
            rejected.extend(bad)
        out.extend(found)
    missing = set(wanted) - {_id(expr.search(r)) for r in out}
    if missing:
        log.info("stream %r: %d of %d record(s) not in the %s answer (gone since the list "
                 "was read), skipped: %s", name, len(missing), len(wanted), d.method,
                 ", ".join(sorted(missing)[:10]))
    return out, rejected
