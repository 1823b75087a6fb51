"""Odoo's external API over JSON-RPC 2.0: ``POST /odoo/<store>/jsonrpc``.

Services ``common`` (``version``, ``login``, ``authenticate``), ``db`` (``list``) and
``object`` (``execute_kw``, ``execute``) with the model methods ``search_read``, ``search``,
``read``, ``search_count`` and ``fields_get``, and the writes of :mod:`.writes`
(``create``, ``write``, ``unlink``, actions).
Faults are answered with HTTP 200 and a JSON-RPC ``error`` whose ``data.name`` is the
Odoo exception (``odoo.exceptions.AccessDenied``,
``builtins.ValueError``...), as Odoo does. HTTP-level faults come from the shared pipeline.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.auth import same_secret
from synchub.sandbox.kit.http import INVALID, Reply, json_value
from synchub.sandbox.kit.routes import Call
from synchub.sandbox.odoo.domain import check_fields
from synchub.sandbox.odoo.errors import RpcFault, invalid
from synchub.sandbox.odoo.models import MODELS
from synchub.sandbox.odoo.store import OdooStore, RpcCall
from synchub.sandbox.odoo.writes import WRITE_METHODS, call_write

VERSION = {"server_version": "17.0", "server_version_info": [17, 0, 0, "final", 0, ""],
           "server_serie": "17.0", "protocol_version": 1}
# positional parameter names of each model method, as Odoo declares them
SIGNATURES: dict[str, tuple[str, ...]] = {
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("ids", "fields"),
    "fields_get": ("allfields", "attributes"),
    **WRITE_METHODS,  # create, write, unlink and the actions (.writes)
}


def rpc_error(call_id: Any, fault: RpcFault) -> dict[str, Any]:
    """Odoo's JSON-RPC error envelope for an exception."""
    return {"jsonrpc": "2.0", "id": call_id, "error": {
        "code": 200, "message": "Odoo Server Error",
        "data": {"name": fault.name, "message": fault.message, "arguments": [fault.message],
                 "context": {},
                 "debug": f"Traceback (most recent call last):\n  File \"odoo/http.py\", "
                          f"in _serve_db\n{fault.name}: {fault.message}\n"}}}


def handle(store: OdooStore, call: Call) -> Reply:
    """``POST /jsonrpc``: answer one JSON-RPC request body."""
    payload = json_value(call.body, INVALID, INVALID)
    if payload is INVALID:
        return Reply(400, {"message": "Invalid JSON data", "code": 400})
    if not isinstance(payload, dict) or not isinstance(payload.get("params"), dict):
        return Reply(400, {"message": "Invalid JSON-RPC data", "code": 400})
    call_id, params = payload.get("id"), payload["params"]
    try:
        result = dispatch(store, params.get("service"), params.get("method"),
                          params.get("args", []))
    except RpcFault as fault:
        return Reply(200, rpc_error(call_id, fault))
    return Reply(200, {"jsonrpc": "2.0", "id": call_id, "result": result})


def dispatch(store: OdooStore, service: Any, method: Any, args: Any) -> Any:
    """Run ``service.method(*args)``."""
    if not isinstance(args, list):
        raise RpcFault("builtins.TypeError", "args must be a list")
    if service == "common":
        store.rpc_log.append(RpcCall("common", str(method)))
        if method == "version":
            return VERSION
        if method in ("login", "authenticate"):
            if len(args) < 3:
                raise RpcFault("builtins.TypeError", f"{method}() missing arguments")
            return store.uid if _valid(store, args[0], args[1], args[2]) else False
    elif service == "db":
        store.rpc_log.append(RpcCall("db", str(method)))
        if method == "list":
            return [store.db]
        if method == "server_version":
            return VERSION["server_version"]
    elif service == "object" and method in ("execute_kw", "execute"):
        if len(args) < 5:
            raise RpcFault("builtins.TypeError", f"{method}() missing arguments")
        db, uid, password, model, name = args[:5]
        if method == "execute_kw":
            call_args, kwargs = (args[5] if len(args) > 5 else []), (
                args[6] if len(args) > 6 else {})
        else:
            call_args, kwargs = list(args[5:]), {}
        if not isinstance(call_args, list) or not isinstance(kwargs, dict):
            raise RpcFault("builtins.TypeError", "execute_kw takes a list of arguments and a "
                                                 "dict of keyword arguments")
        store.rpc_log.append(RpcCall("object", method, str(model), str(name), dict(kwargs)))
        if db != store.db:
            raise RpcFault("psycopg2.OperationalError",
                           f'connection to server failed: FATAL:  database "{db}" does not exist')
        if uid != store.uid or not _valid(store, db, store.login, password):
            raise RpcFault("odoo.exceptions.AccessDenied", "Access Denied")
        fault = store.next_rpc_fault()
        if fault is not None:
            raise fault
        return call_model(store, str(model), str(name), call_args, kwargs)
    raise RpcFault("builtins.KeyError", f"No such method {service}.{method}")


def _valid(store: OdooStore, db: Any, login: Any, password: Any) -> bool:
    return db == store.db and login == store.login and isinstance(password, str) and \
        same_secret(password, store.password)


def call_model(store: OdooStore, model: str, method: str, args: list[Any],
               kwargs: dict[str, Any]) -> Any:
    """A model method called through ``execute_kw``."""
    if model not in MODELS:
        raise RpcFault("odoo.exceptions.UserError", f"Object {model} doesn't exist")
    if method.startswith("_"):
        raise RpcFault("odoo.exceptions.AccessError",
                       f"Private methods (such as '{method}') cannot be called remotely.")
    names = SIGNATURES.get(method)
    if names is None:
        raise RpcFault("builtins.AttributeError",
                       f"The method '{method}' does not exist on the model '{model}'")
    context = kwargs.get("context") or {}
    params = _bind(method, names, args, {k: v for k, v in kwargs.items() if k != "context"})
    if method in WRITE_METHODS:
        return call_write(store, model, method, params)
    active_test = not (isinstance(context, dict) and context.get("active_test") is False)
    if method == "fields_get":
        attrs = params.get("attributes") or ["type", "string", "relation"]
        wanted = params.get("allfields") or list(MODELS[model])
        return {name: {a: getattr(MODELS[model][name], a) for a in attrs
                       if hasattr(MODELS[model][name], a) and getattr(MODELS[model][name], a)}
                for name in wanted if name in MODELS[model]}
    if method == "read":
        return _read(store, model, params.get("ids"), params.get("fields"))
    ids = store.search(model, params.get("domain") or [], params.get("order"), active_test)
    if method == "search_count":
        limit = _int(params.get("limit"), "limit")
        return min(len(ids), limit) if limit else len(ids)
    offset, limit = _int(params.get("offset"), "offset"), _int(params.get("limit"), "limit")
    page = ids[offset: offset + limit if limit else None]
    if method == "search":
        return page
    fields = check_fields(model, params.get("fields"))
    rows = store.records[model]
    return [{f: rows[i].get(f, False) for f in fields} for i in page]


def _bind(method: str, names: tuple[str, ...], args: list[Any], kwargs: dict[str, Any]
          ) -> dict[str, Any]:
    """Positional and keyword arguments by parameter name, with Python's own errors."""
    if len(args) > len(names):
        raise RpcFault("builtins.TypeError", f"{method}() takes at most {len(names)} "
                                             f"arguments ({len(args)} given)")
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise RpcFault("builtins.TypeError",
                           f"{method}() got an unexpected keyword argument '{key}'")
        if key in bound:
            raise RpcFault("builtins.TypeError",
                           f"{method}() got multiple values for argument '{key}'")
        bound[key] = value
    return bound


def _int(value: Any, name: str) -> int:
    if value in (None, False):
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"{name} must be a non-negative integer, not {value!r}")
    return value


def _read(store: OdooStore, model: str, ids: Any, fields: Any) -> list[dict[str, Any]]:
    if isinstance(ids, int) and not isinstance(ids, bool):
        ids = [ids]
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise invalid(f"ids must be a list of integers, not {ids!r}")
    names = check_fields(model, fields)
    rows = store.records[model]
    missing = [i for i in ids if i not in rows]
    if missing:
        raise RpcFault("odoo.exceptions.MissingError",
                       "Record does not exist or has been deleted.\n"
                       f"(Record: {model}({', '.join(map(str, missing))},), User: {store.uid})")
    return [{f: rows[i].get(f, False) for f in names} for i in ids]

