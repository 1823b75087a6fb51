"""Odoo's external API as a transport: JSON-RPC 2.0 ``call`` to ``object.execute_kw``.

Every call is ``POST <path>`` with ``{"jsonrpc": "2.0", "method": "call", "params":
{"service": ..., "method": ..., "args": [...]}}``. A ``jsonrpc`` stream reads records with
``search_read``: its incremental window becomes domain terms (``write_date > start``),
its paging the ``offset``/``limit`` keyword arguments. The writers use :func:`execute_kw`.
Odoo answers faults with HTTP 200; :func:`rpc_result` sorts them into retriable (a
transaction conflict the server rolled back) and fatal.
"""

from __future__ import annotations

import itertools
import json
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError
from synchub.runtime.http import HttpClient
from synchub.runtime.incremental import Window
from synchub.runtime.paginators import Request
from synchub.runtime.transport import RequestTransport, Sender
from synchub.systems.odoo.auth import OdooJsonRpcAuth

if TYPE_CHECKING:
    from synchub.runtime.client import ConnectorClient
    from synchub.systems.odoo.specs import JsonRpcContextSpec, JsonRpcStreamSpec

ODOO_TIME = "%Y-%m-%d %H:%M:%S"  # Odoo's server format: naive UTC, whole seconds
# JSON-RPC ids count per HTTP client, from 1
_ids: weakref.WeakKeyDictionary[HttpClient, itertools.count[int]] = weakref.WeakKeyDictionary()


# Odoo faults that say "try again": PostgreSQL gave up on a transaction that collided with
# another one. Odoo already retries these a few times itself before answering with them.
TRANSIENT_RPC_ERRORS = frozenset({
    "psycopg2.errors.SerializationFailure",
    "psycopg2.errors.DeadlockDetected",
    "psycopg2.errors.LockNotAvailable",
    "psycopg2.extensions.TransactionRollbackError",
})
TRANSIENT_RPC_MESSAGES = ("could not serialize access", "deadlock detected",
                          "could not obtain lock")


def rpc_result(body: Any, url: str) -> Any:
    """The ``result`` of a JSON-RPC 2.0 answer; an ``error`` raises its error class.

    Odoo answers faults with HTTP 200 and ``error.data`` = ``{name, message, debug...}``:
    transient database conflicts are retriable, everything else (AccessDenied, AccessError,
    ValidationError, UserError, MissingError, programming errors) is fatal.
    """
    if not isinstance(body, dict) or ("result" not in body and "error" not in body):
        raise FatalAPIError(f"POST {url}: not a JSON-RPC answer (no result and no error)",
                            status=200, url=url)
    error = body.get("error")
    if error is None:
        return body.get("result")
    if not isinstance(error, dict):
        raise FatalAPIError(f"POST {url}: JSON-RPC error {str(error)[:200]}", status=200, url=url)
    raw_data = error.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    name = str(data.get("name") or "")
    text = str(data.get("message") or error.get("message") or "no details")
    message = f"POST {url}: JSON-RPC error {error.get('code')}: {name + ': ' if name else ''}{text}"
    # the server traceback stays out of the kept body: long, and it may quote arguments
    kept = json.dumps({"code": error.get("code"), "message": error.get("message"),
                       "name": name or None, "data_message": data.get("message")})
    lowered = text.lower()
    if name in TRANSIENT_RPC_ERRORS or any(m in lowered for m in TRANSIENT_RPC_MESSAGES):
        raise RetriableAPIError(message, status=200, url=url, body=kept)
    raise FatalAPIError(message, status=200, url=url, body=kept)


def rpc_call(http: HttpClient, url: str, service: str, method: str, args: list[Any], *,
             once: bool = False) -> tuple[requests.Response, Any]:
    """POST one JSON-RPC 2.0 ``call`` with retries; returns the response and its ``result``.

    A JSON-RPC ``error`` raises like an HTTP error (see :func:`rpc_result`). A retry sends
    the same body, id included.
    """
    payload = {"jsonrpc": "2.0", "method": "call",
               "params": {"service": service, "method": method, "args": args},
               "id": next(_ids.setdefault(http, itertools.count(1)))}
    return http.request("jsonrpc", "POST", url, json=payload, once=once, unwrap=rpc_result)


def execute_kw(client: ConnectorClient, path: str, model: str, method: str, args: list[Any],
               kwargs: dict[str, Any], *, once: bool = False) -> tuple[requests.Response, Any]:
    """One ``object.execute_kw`` call (logging in first if needed); response and result.

    ``once=True`` for calls that change the database (see :meth:`HttpClient.request`).
    """
    auth = client.http.auth
    if not isinstance(auth, OdooJsonRpcAuth):
        raise ConfigError(f"connector {client.spec.system!r}: transport jsonrpc needs auth "
                          "type odoo_jsonrpc", key="auth.type")
    login_url = client.base_url + auth.path
    prefix = auth.execute_args(
        lambda login_args: rpc_call(client.http, login_url, "common", "login", login_args)[1])
    return rpc_call(client.http, client.base_url + path, "object", "execute_kw",
                    [*prefix, model, method, args, kwargs], once=once)


def odoo_time(dt: datetime) -> str:
    """An aware time as Odoo compares datetime fields: naive UTC, whole seconds.

    Dropping the fraction moves a start earlier and an end earlier, never losing a record:
    what the end leaves out, the next window starts from.
    """
    return dt.astimezone(UTC).strftime(ODOO_TIME)


class JsonRpcTransport(RequestTransport):
    """The ``jsonrpc`` transport: ``search_read`` pages, the window as domain terms."""

    name = "jsonrpc"

    def first_request(self, client: ConnectorClient, spec: JsonRpcStreamSpec,
                      window: Window | None, values: dict[str, Any]) -> Request:
        """Request params hold the call's keyword arguments that change from page to page."""
        paging: dict[str, Any] = {}
        if spec.paginator.type == "offset":
            paging[spec.paginator.offset_param] = 0
        if spec.page_size is not None:
            paging["limit"] = spec.page_size
        return Request(client.base_url + spec.path, params=paging)

    def sender(self, client: ConnectorClient, spec: JsonRpcStreamSpec,
               window: Window | None) -> Sender:
        """Resolve context placeholders and the window once; each page adds its paging."""
        domain = list(client.resolve_nested(spec.domain))
        inc = spec.incremental
        if window is not None and inc is not None:
            # appended terms are AND-ed with the declared domain (Odoo's implicit '&')
            if inc.start_param and window.start is not None:
                domain.append([inc.start_param, ">", odoo_time(window.start)])
            if inc.end_param and window.end is not None:
                domain.append([inc.end_param, "<=", odoo_time(window.end)])
        kwargs: dict[str, Any] = dict(spec.kwargs)
        if spec.fields:
            kwargs["fields"] = list(spec.fields)
        if spec.order:
            kwargs["order"] = spec.order

        def send(request: Request) -> tuple[requests.Response, Any]:
            return execute_kw(client, spec.path, spec.model, spec.method, [domain],
                              {**kwargs, **request.params})

        return send

    def context(self, client: ConnectorClient, ctx: JsonRpcContextSpec) -> Any:
        """One ``search_read`` call; the context's ``select`` picks the value."""
        kwargs: dict[str, Any] = {}
        if ctx.fields:
            kwargs["fields"] = list(ctx.fields)
        if ctx.order:
            kwargs["order"] = ctx.order
        if ctx.limit:
            kwargs["limit"] = ctx.limit
        return execute_kw(client, ctx.path, ctx.model, ctx.method, [ctx.domain], kwargs)[1]


JSONRPC = JsonRpcTransport()
