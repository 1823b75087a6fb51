"""Kit: the single-URL signed gateway (dispatch on ``method=``, signature, error envelope)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from synchub.sandbox.kit.errors import ApiError
from synchub.sandbox.kit.gateway import GatewayCall, SignedGateway, hmac_params_check, sign_params
from synchub.sandbox.kit.http import Reply
from synchub.sandbox.kit.routes import Call

SECRET = "s3cret"
STORE = SimpleNamespace(secret=SECRET, orders={"o1": {"id": "o1", "total": "9.90"}})


def envelope(status: int, code: str, message: str) -> Reply:
    """A made-up marketplace's error shape: HTTP 200, the error in the body."""
    return Reply(200, {"error_response": {"code": status, "sub_code": code, "msg": message}})


def gateway() -> tuple[SignedGateway, list[str]]:
    calls: list[str] = []
    gw = SignedGateway(hmac_params_check(lambda store: store.secret), envelope)

    @gw.method("shop.order.get")
    def get_order(store: Any, call: GatewayCall) -> Any:
        calls.append(call.method)
        order = store.orders.get(call.params.get("order_id"))
        if order is None:
            raise ApiError(404, "order_not_found", "no such order")
        return {"order": order}

    def ping(store: Any, call: GatewayCall) -> Reply:
        calls.append(call.method)
        return Reply(202, {"pong": call.params.get("n")})

    gw.register("shop.ping", ping)
    return gw, calls


def make_call(params: dict[str, str], body: bytes = b"", form: bool = False,
              method: str = "GET") -> Call:
    headers = [(b"content-type", b"application/x-www-form-urlencoded")] if form else []
    request = Request({"type": "http", "method": method, "path": "/router/rest",
                       "query_string": urlencode(params).encode(), "headers": headers})
    return Call(request, body)


def signed(params: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    return {**params, "sign": sign_params(secret, params)}


def test_dispatches_each_method_to_its_handler() -> None:
    gw, calls = gateway()
    got = gw.handle(STORE, make_call(signed({"method": "shop.order.get", "order_id": "o1",
                                             "timestamp": "1700000000"})))
    assert (got.status, got.body) == (200, {"order": {"id": "o1", "total": "9.90"}})
    pong = gw.handle(STORE, make_call(signed({"method": "shop.ping", "n": "7"})))
    assert (pong.status, pong.body) == (202, {"pong": "7"})   # a Reply is sent as is
    assert calls == ["shop.order.get", "shop.ping"]
    assert gw.methods == ["shop.order.get", "shop.ping"]


def test_an_unknown_method_is_an_error_envelope() -> None:
    gw, calls = gateway()
    got = gw.handle(STORE, make_call(signed({"method": "shop.order.delete"})))
    assert got.body == {"error_response": {"code": 400, "sub_code": "unknown_method",
                                           "msg": "unknown method 'shop.order.delete'"}}
    missing = gw.handle(STORE, make_call(signed({"order_id": "o1"})))
    assert missing.body["error_response"]["sub_code"] == "missing_method"
    assert calls == []


@pytest.mark.parametrize("params", [
    signed({"method": "shop.order.get", "order_id": "o1"}, secret="wrong"),
    {"method": "shop.order.get", "order_id": "o1"},                       # not signed
    {**signed({"method": "shop.order.get", "order_id": "o1"}), "order_id": "o2"},  # tampered
])
def test_a_bad_signature_is_an_error_envelope_and_runs_nothing(params: dict[str, str]) -> None:
    gw, calls = gateway()
    got = gw.handle(STORE, make_call(params))
    assert got.status == 200 and got.body["error_response"]["code"] == 401
    assert got.body["error_response"]["sub_code"] == "bad_signature"
    assert calls == []
    # the signature is checked before the method is looked up
    unknown = gw.handle(STORE, make_call({"method": "nope", "sign": "00"}))
    assert unknown.body["error_response"]["sub_code"] == "bad_signature"


def test_form_body_parameters_are_signed_and_read_too() -> None:
    gw, _calls = gateway()
    params = signed({"method": "shop.order.get", "order_id": "o1"})
    got = gw.handle(STORE, make_call({"method": "shop.order.get"},
                                     urlencode(params).encode(), form=True, method="POST"))
    assert got.body == {"order": {"id": "o1", "total": "9.90"}}


def test_a_handler_refusal_goes_through_the_envelope() -> None:
    gw, _calls = gateway()
    got = gw.handle(STORE, make_call(signed({"method": "shop.order.get", "order_id": "o9"})))
    assert got.body == {"error_response": {"code": 404, "sub_code": "order_not_found",
                                           "msg": "no such order"}}


def test_a_method_registers_once() -> None:
    gw, _calls = gateway()
    with pytest.raises(ValueError, match="registered already"):
        gw.register("shop.ping", lambda store, call: None)


def test_sign_params_leaves_the_signature_out_and_sorts_names() -> None:
    assert sign_params(SECRET, {"b": "2", "a": "1"}) == sign_params(SECRET, {"a": "1", "b": "2",
                                                                             "sign": "x"})
    assert sign_params(SECRET, {"a": "1"}) != sign_params(SECRET, {"a": "2"})
