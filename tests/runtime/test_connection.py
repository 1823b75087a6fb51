"""ConnectionInfo from AIRFLOW_CONN_* in JSON and URI form, and the base URL rules."""

from __future__ import annotations

import json

import pytest

from synchub.errors import ConfigError, redact
from synchub.runtime import ConnectionInfo

URI_CASES = [
    ("plain host", "shopify://:shpat_abc123@demo.myshopify.com",
     dict(conn_type="shopify", host="demo.myshopify.com", login=None, password="shpat_abc123"),
     "https://demo.myshopify.com"),
    ("protocol in host with port and path as schema",
     "http://user:p%40ss@127.0.0.1:8080/base?timeout=5",
     dict(conn_type="http", host="127.0.0.1", login="user", password="p@ss", port=8080,
          schema="base", extra={"timeout": 5}), "https://127.0.0.1:8080"),
    ("double scheme", "woocommerce://http://ck_1:cs_2@127.0.0.1:9000",
     dict(conn_type="woocommerce", host="http://127.0.0.1", login="ck_1", password="cs_2",
          port=9000), "http://127.0.0.1:9000"),
    ("url-encoded host with path",
     "shopify://:tok_12345@http%3A%2F%2F127.0.0.1%3A8765%2Fshopify%2Fdemo",
     dict(conn_type="shopify", host="http://127.0.0.1:8765/shopify/demo", password="tok_12345"),
     "http://127.0.0.1:8765/shopify/demo"),
    ("__extra__ json", "my-type://h.example.com?__extra__=%7B%22refresh_token%22%3A%22rt_9999%22%7D",
     dict(conn_type="my_type", host="h.example.com", extra={"refresh_token": "rt_9999"}),
     "https://h.example.com"),
]


@pytest.mark.parametrize(("uri", "fields", "base_url"), [c[1:] for c in URI_CASES],
                         ids=[c[0] for c in URI_CASES])
def test_from_env_uri(monkeypatch: pytest.MonkeyPatch, uri: str, fields: dict[str, object],
                      base_url: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_A", uri)
    conn = ConnectionInfo.from_env("shop_a")
    assert conn.conn_id == "shop_a"
    for key, value in fields.items():
        assert getattr(conn, key) == value, key
    assert conn.base_url == base_url


def test_from_env_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WOO_DEMO", json.dumps({
        "conn_type": "woocommerce", "host": "http://127.0.0.1:8765/woocommerce/demo",
        "login": "ck_demo", "password": "cs_secret_value", "port": "",
        "extra": json.dumps({"api_secret": "xyz12345", "region": "eu"})}))
    conn = ConnectionInfo.from_env("woo_demo")
    assert (conn.conn_type, conn.login, conn.password) == ("woocommerce", "ck_demo",
                                                          "cs_secret_value")
    assert conn.extra == {"api_secret": "xyz12345", "region": "eu"}
    assert conn.base_url == "http://127.0.0.1:8765/woocommerce/demo"
    # the password and secret-looking extras are masked from now on
    assert redact("pw cs_secret_value, key xyz12345") == "pw ***, key ***"
    assert "cs_secret_value" not in repr(conn)


@pytest.mark.parametrize(("value", "message"), [
    (None, "connection 'missing_conn' not found: set AIRFLOW_CONN_MISSING_CONN"),
    ("{not json", "malformed"),
    ('{"conn_type": "x", "hots": "typo"}', "unknown keys ['hots']"),
    ("no-scheme-here", "malformed: not a connection URI"),
])
def test_from_env_errors(monkeypatch: pytest.MonkeyPatch, value: str | None, message: str) -> None:
    if value is not None:
        monkeypatch.setenv("AIRFLOW_CONN_MISSING_CONN", value)
    else:
        monkeypatch.delenv("AIRFLOW_CONN_MISSING_CONN", raising=False)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ConnectionInfo.from_env("missing_conn")


def test_field_lookup() -> None:
    conn = ConnectionInfo(conn_id="c", login="me", password="pw_12345", extra={"shop": "demo"})
    assert conn.field("login") == "me"
    assert conn.field("extra.shop") == "demo"
    with pytest.raises(ConfigError, match=r"'c': extra\.token is empty"):
        conn.field("extra.token")
    with pytest.raises(ConfigError, match="unknown Connection field 'pasword'"):
        conn.field("pasword")
    with pytest.raises(ConfigError, match="has no host"):
        _ = conn.base_url


@pytest.mark.parametrize(("fields", "secrets", "not_secret"), [
    (dict(password="pw-12345"), ["pw-12345"], []),
    (dict(host="https://shop-user:p%40ss-word@shop.example"),
     ["shop-user:p%40ss-word", "shop-user:p@ss-word", "shop-user", "p%40ss-word", "p@ss-word"],
     ["shop.example"]),
    (dict(host="https://tok-in-user@git.example/x"), ["tok-in-user"], []),
    (dict(extra={"api_key": "k-1", "token_url": "https://auth.example/t", "timeout": 30,
                 "webhook": {"signingKey": "whsec-2", "events": ["orders"]},
                 "oauth": {"CLIENT-SECRET": "cs-3"},
                 "credentials": {"user": "u-4", "list": ["l-5"]}, "key_field": "id"}),
     ["k-1", "whsec-2", "cs-3", "u-4", "l-5"], ["https://auth.example/t", "orders", "id"]),
])
def test_secret_values_are_found_and_registered(fields: dict[str, object], secrets: list[str],
                                                not_secret: list[str]) -> None:
    info = ConnectionInfo(conn_id="c", **fields)  # type: ignore[arg-type]
    assert sorted(info.secret_values()) == sorted(secrets)
    for value in secrets:
        if len(value) >= 4:     # shorter ones are not registered (they would mask words)
            assert redact(f"<{value}>") == "<***>"
    for value in not_secret:
        assert value not in info.secret_values()
