"""The change-feed API: scoped keys, exact cursors under concurrent writes, the access log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.feeds.api import consumers_of
from synchub.feeds.keys import issue_key, revoke_key
from synchub.plan import Hub
from synchub.store import Store
from synchub.store.delivery_tables import api_access_log

from .conftest import (
    ROOT,
    line,
    make_customer,
    make_level,
    make_order,
    make_product,
    make_refund,
    make_shipment,
)


@pytest.fixture
def client(store: Store, hub: Hub) -> Iterator[TestClient]:
    yield TestClient(create_app(lambda: store, lambda: hub))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def log_rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(api_access_log).order_by(api_access_log.c.id))]


def read_all(client: TestClient, key: str, entity: str, limit: int,
             between: Any = None, **params: str) -> list[dict[str, Any]]:
    """Every record of a feed, page by page, calling ``between(n)`` after page n."""
    out: list[dict[str, Any]] = []
    cursor = ""
    for n in range(1000):
        resp = client.get(f"/api/v1/feeds/{entity}", headers=bearer(key),
                          params={"since": cursor, "limit": limit, **params})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out += body["records"]
        cursor = body["next_cursor"]
        if between is not None:
            between(n)
        if not body["has_more"] and (between is None or n > 6):
            return out
    raise AssertionError("the feed never ended")


def test_cursor_resumes_without_gap_or_repeat_while_writes_continue(
        client: TestClient, store: Store, hub: Hub) -> None:
    key = issue_key(store, "erp", consumers_of(hub)).key
    # shop (in scope) and woo (out of scope) interleave in change order
    for i in range(5):
        store.write_page(connection="shop", stream="orders",
                         records=[make_order(f"s{i}a"), make_order(f"s{i}b")])
        store.write_page(connection="woo", stream="orders", records=[make_order(f"w{i}", "woo")])
    written = [f"s{i}{x}" for i in range(5) for x in "ab"]

    def more(n: int) -> None:
        # new orders land between the reader's pages, on both connections
        if n < 6:
            store.write_page(connection="woo", stream="orders",
                             records=[make_order(f"w-late{n}", "woo")])
            store.write_page(connection="shop", stream="orders",
                             records=[make_order(f"s-late{n}")])
            written.append(f"s-late{n}")

    got = read_all(client, key, "order", limit=3, between=more)
    ids = [r["external_id"] for r in got]
    assert len(ids) == len(set(ids)), "a record came twice"
    assert sorted(ids) == sorted(written), "a record was skipped or leaked"

    # a changed record comes again, once, with its new version
    store.write_page(connection="shop", stream="orders", records=[make_order("s0a", total="99")])
    cursor = "0"  # from the start: every record once, s0a now last
    resp = client.get("/api/v1/feeds/order", headers=bearer(key),
                      params={"since": cursor, "limit": 1000})
    body = resp.json()
    assert [r["external_id"] for r in body["records"]][-1] == "s0a"
    assert body["records"][-1]["total"]["amount"] == "103.90"
    assert len(body["records"]) == len(written) and body["has_more"] is False
    again = client.get("/api/v1/feeds/order", headers=bearer(key),
                       params={"since": body["next_cursor"]}).json()
    assert again == {"entity": "order", "records": [], "next_cursor": body["next_cursor"],
                     "has_more": False}


def test_records_validate_against_the_canonical_schemas(
        client: TestClient, store: Store, hub: Hub) -> None:
    key = issue_key(store, "bi", consumers_of(hub)).key
    store.write_page(connection="shop", stream="orders", records=[
        make_order("1", lines=[line("L1", "SKU-1", 2, "3.33")], email="x@example.com")])
    store.write_page(connection="woo", stream="products", records=[make_product("p", "SKU-1",
                                                                                "woo")])
    store.write_page(connection="shop", stream="levels", records=[make_level("i", "l", 4)])
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c", "c@example.com")])
    store.write_page(connection="shop", stream="shipments", records=[make_shipment("s", "1")])
    store.write_page(connection="shop", stream="refunds", records=[make_refund("r", "1", "1")])
    for entity in ("order", "product", "inventory_level", "customer", "shipment", "refund"):
        schema = json.loads((ROOT / "schemas" / "canonical" / f"{entity}.schema.json")
                            .read_text())
        records = client.get(f"/api/v1/feeds/{entity}", headers={"X-API-Key": key}
                             ).json()["records"]
        assert len(records) == 1, entity
        jsonschema.Draft202012Validator(schema).validate(records[0])


def test_listing_shows_what_the_key_may_read(client: TestClient, store: Store, hub: Hub
                                             ) -> None:
    key = issue_key(store, "erp", consumers_of(hub)).key
    body = client.get("/api/v1/feeds", headers=bearer(key)).json()
    assert body == {"consumer": "erp", "connections": ["shop"], "feeds": [
        {"entity": "order", "path": "api/v1/feeds/order"},
        {"entity": "customer", "path": "api/v1/feeds/customer"}]}


@pytest.mark.parametrize("case, path, params, status, detail", [
    ("no key", "/api/v1/feeds/order", {}, 401, "API key required"),
    ("bad key", "/api/v1/feeds/order", {}, 401, "unknown API key"),
    ("revoked", "/api/v1/feeds/order", {}, 401, "API key revoked"),
    ("wrong entity", "/api/v1/feeds/product", {}, 403, "may not read 'product'"),
    ("wrong connection", "/api/v1/feeds/order", {"connection": "woo"}, 403,
     "may not read connection 'woo'"),
    ("unknown entity", "/api/v1/feeds/widget", {}, 404, "unknown feed 'widget'"),
    ("bad limit", "/api/v1/feeds/order", {"limit": "1001"}, 400, "limit must be"),
    ("bad cursor", "/api/v1/feeds/order", {"since": "-1"}, 400, "since must be"),
    ("listing without key", "/api/v1/feeds", {}, 401, "API key required"),
])
def test_scope_enforcement(client: TestClient, store: Store, hub: Hub, case: str, path: str,
                           params: dict[str, str], status: int, detail: str) -> None:
    issued = issue_key(store, "erp", consumers_of(hub))
    headers: dict[str, str] = {}
    if case == "bad key":
        headers = bearer(f"shk_{issued.prefix}_" + "x" * 32)
    elif case == "revoked":
        revoke_key(store, issued.prefix)
        headers = bearer(issued.key)
    elif "without" not in case and case != "no key":
        headers = bearer(issued.key)
    resp = client.get(path, headers=headers, params=params)
    assert resp.status_code == status, resp.text
    assert detail in resp.json()["detail"]
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    (row,) = log_rows(store)
    assert row["status"] == status and row["path"] == path and row["method"] == "GET"
    assert row["consumer"] == ("erp" if status in (400, 403, 404) else None)
    assert issued.key not in json.dumps(row, default=str)


def test_every_call_is_logged_without_key_or_records(client: TestClient, store: Store,
                                                     hub: Hub) -> None:
    issued = issue_key(store, "erp", consumers_of(hub))
    store.write_page(connection="shop", stream="orders",
                     records=[make_order("1", email="pii@example.com"), make_order("2")])
    resp = client.get("/api/v1/feeds/order", headers=bearer(issued.key),
                      params={"limit": 1, "connection": "shop"})
    assert resp.status_code == 200 and resp.json()["has_more"] is True
    client.get("/api/v1/feeds/order", headers=bearer(issued.key),
               params={"since": resp.json()["next_cursor"]})
    first, second = log_rows(store)
    assert (first["consumer"], first["key_prefix"], first["entity"], first["records"],
            first["cursor"], first["status"], first["client"]) == (
        "erp", issued.prefix, "order", 1, "0", 200, "testclient")
    assert second["records"] == 1 and second["cursor"] == resp.json()["next_cursor"]
    assert first["duration_ms"] is not None and first["duration_ms"] >= 0
    text = json.dumps([first, second], default=str)
    assert issued.key not in text and "pii@example.com" not in text


def test_stock_alerts_are_not_per_connection(client: TestClient, store: Store, hub: Hub
                                             ) -> None:
    key = issue_key(store, "bi", consumers_of(hub)).key
    ok = client.get("/api/v1/feeds/stock_alert", headers=bearer(key))
    assert ok.status_code == 200 and ok.json()["records"] == []
    refused = client.get("/api/v1/feeds/stock_alert", headers=bearer(key),
                         params={"connection": "shop"})
    assert refused.status_code == 400


def test_a_broken_hub_file_refuses_every_key(store: Store, hub: Hub) -> None:
    from synchub.errors import ConfigError

    key = issue_key(store, "erp", consumers_of(hub)).key

    def broken() -> Hub:
        raise ConfigError("bad indentation", file="hub.yaml", line=3)

    client = TestClient(create_app(lambda: store, broken))
    resp = client.get("/api/v1/feeds/order", headers=bearer(key))
    assert resp.status_code == 503 and "hub configuration is invalid" in resp.json()["detail"]
    assert [r["status"] for r in log_rows(store)] == [503]


def test_the_default_hub_cache_reloads_when_the_file_changes(tmp_path: Any) -> None:
    import os

    from synchub.feeds.api import HubCache
    from synchub.plan import load_hub

    from .conftest import write_hub

    hub = write_hub(tmp_path)
    loads: list[int] = []

    def load() -> Hub:
        loads.append(1)
        return load_hub(hub.path, load_mappings=False)

    cache = HubCache(load, lambda: hub.path)
    assert sorted(consumers_of(cache())) == ["bi", "erp"]
    cache()
    assert len(loads) == 1
    write_hub(tmp_path, "    erp: {entities: [order]}\n")
    stat = hub.path.stat()
    os.utime(hub.path, (stat.st_atime, stat.st_mtime + 5))
    assert sorted(consumers_of(cache())) == ["erp"] and len(loads) == 2
