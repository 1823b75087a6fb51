"""A single-URL signed gateway: one endpoint, and the ``method`` parameter picks the handler.

Some marketplace APIs put every operation behind one URL (``/router/rest?method=
shop.orders.list&...``) and sign each call over its parameters. :class:`SignedGateway`
holds the handlers registered per method name, a pluggable signature check and the vendor's
error envelope, and answers one call (:meth:`SignedGateway.handle`, or as a route table
entry with :meth:`SignedGateway.route`):

1. Parameters are the query string merged with a form body
   (``application/x-www-form-urlencoded``; the body wins on a name given twice).
2. No ``method`` parameter: ``envelope(400, "missing_method", ...)``.
3. The signature check fails: ``envelope(401, "bad_signature", ...)`` (before the method is
   looked up, so an unsigned caller learns nothing about the methods).
4. ``method`` names no handler: ``envelope(400, "unknown_method", ...)``.
5. The handler runs with the store and a :class:`GatewayCall`; an
   :class:`~.errors.ApiError` it raises goes through the envelope, a :class:`~.http.Reply`
   it returns is sent as is, any other value as ``Reply(200, value)``.

:func:`sign_params` / :func:`hmac_params_check` give the common scheme: HMAC-SHA256 of the
parameters sorted by name, concatenated as ``name1value1name2value2...`` (the signature
parameter left out), upper-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from synchub.sandbox.kit.auth import same_secret
from synchub.sandbox.kit.errors import ApiError, Envelope
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.routes import Call, Route

FORM = "application/x-www-form-urlencoded"
# (store, parameters) -> True when the call's signature is right
SignatureCheck = Callable[[Any, Mapping[str, str]], bool]


@dataclass(frozen=True, slots=True)
class GatewayCall:
    """What a gateway handler gets: the method name, every parameter, the raw call."""

    method: str
    params: dict[str, str]
    call: Call


GatewayHandler = Callable[[Any, GatewayCall], Any]


def sign_params(secret: str, params: Mapping[str, str], sign_param: str = "sign") -> str:
    """HMAC-SHA256 (key ``secret``) of the sorted ``name + value`` pairs, upper-case hex."""
    text = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != sign_param)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def hmac_params_check(secret_of: Callable[[Any], str], sign_param: str = "sign"
                      ) -> SignatureCheck:
    """A check of :func:`sign_params` with the store's secret (``secret_of(store)``)."""
    def check(store: Any, params: Mapping[str, str]) -> bool:
        given = params.get(sign_param, "")
        return bool(given) and same_secret(given.upper(),
                                           sign_params(secret_of(store), params, sign_param))
    return check


class SignedGateway:
    """Handlers by method name behind one URL, with a signature check and an envelope."""

    def __init__(self, check: SignatureCheck, envelope: Envelope, *,
                 method_param: str = "method") -> None:
        self.check, self.envelope, self.method_param = check, envelope, method_param
        self._handlers: dict[str, GatewayHandler] = {}

    @property
    def methods(self) -> list[str]:
        """The registered method names, sorted."""
        return sorted(self._handlers)

    def register(self, name: str, handler: GatewayHandler) -> None:
        """Answer ``method=name`` with ``handler(store, GatewayCall)``."""
        if name in self._handlers:
            raise ValueError(f"method {name!r} is registered already")
        self._handlers[name] = handler

    def method(self, name: str) -> Callable[[GatewayHandler], GatewayHandler]:
        """Decorator form of :meth:`register`."""
        def add(handler: GatewayHandler) -> GatewayHandler:
            self.register(name, handler)
            return handler
        return add

    def route(self, path: str, methods: tuple[str, ...] = ("GET", "POST"),
              store: str | None = None) -> Route:
        """The gateway as one entry of a route table."""
        return Route(methods, path, self.handle, store)

    def handle(self, store: Any, call: Call) -> Reply:
        """Answer one call (see the module docstring for the order of the checks)."""
        params = dict(call.query)
        if call.request.headers.get("content-type", "").startswith(FORM):
            params.update(parse_qsl(call.body.decode("utf-8", "replace"),
                                    keep_blank_values=True))
        name = params.get(self.method_param, "")
        try:
            if not name:
                raise ApiError(400, "missing_method", f"{self.method_param} is required")
            if not self.check(store, params):
                raise ApiError(401, "bad_signature", "the signature does not match")
            handler = self._handlers.get(name)
            if handler is None:
                raise ApiError(400, "unknown_method", f"unknown method {name!r}")
            result = handler(store, GatewayCall(name, params, call))
        except ApiError as exc:
            return exc.reply(self.envelope)
        return result if isinstance(result, Reply) else Reply(200, result)
