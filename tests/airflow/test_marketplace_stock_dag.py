"""Marketplaces in stock_sync through Airflow: an order on one marketplace lowers what
Shopify and the other marketplaces show, and orders on Shopify and the others lower what
Amazon and Taobao show.

Every system is a loopback simulator; each step is an ``airflow dags test`` of the hub's
own DAGs. A marketplace is one :class:`Marketplace` entry in :data:`MARKETPLACES` (how its
Connection, listing, figure and orders look in the sandbox): another one is one more entry.
The marketplaces' listings are written to the store as the channel's InventoryLevels, one
per marketplace, rather than read by each connector's ``listings`` stream (which reads the
whole catalogue; tests/systems/*/test_listings.py read, publish and read again): the
figures this test follows are then one listing each, and its DAG runs stay few.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from synchub.canonical import InventoryLevel, SourceRef
from synchub.runtime import ConnectionInfo
from synchub.sandbox.jd.store import sku_id
from synchub.sandbox.pinduoduo.store import goods_sku
from synchub.store import Store
from tests.airflow.test_dags import _migrate, airflow_env
from tests.airflow.test_stock_dag import dags_test
from tests.stock.test_stock_e2e import LOCATION, infos

pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group("airflow")]

ROOT = Path(__file__).resolve().parents[2]
AMAZON_MARKET = "A1PA6795UKMFR9"
TAOBAO_ITEM = 600_000_000_000  # LJ-250, a Taobao item with SKUs
EBAY_SKU = "SKU-00001-1"       # an inventory item with an offer
JD_SKU = sku_id(3)             # outerSkuId JLY-5L
PDD_GOODS, PDD_SKU = goods_sku(1)   # outer_id PUER-357


@dataclass(frozen=True)
class Marketplace:
    """How one marketplace takes part: its connector, the code it lists the master SKU
    under, its Connection, its listing as the store knows it, what it shows, an order."""

    name: str
    connector: str
    code: str
    connection: Callable[[Any, Any], ConnectionInfo]
    listing: Callable[[Any], InventoryLevel]
    shows: Callable[[Any], int | None]
    order: Callable[[Any, int], object]
    prepare: Callable[[Any], None] = lambda store: None


def _amazon_conn(store: Any, srv: Any) -> ConnectionInfo:
    base = srv.url("amazon", "demo")
    return ConnectionInfo(conn_id="amz", conn_type="http", host=base, login=store.client_id,
                          password=store.client_secret,
                          extra={"refresh_token": store.refresh_token,
                                 "token_url": f"{base}/auth/o2/token",
                                 "seller_id": store.seller_id, "marketplace_id": AMAZON_MARKET})


def _amazon_prepare(store: Any) -> None:
    # the window's end may be "now" (no safety lag here): the simulator's clock runs three
    # minutes ahead, so Amazon's two-minute rule still holds
    store.clock = lambda: time.time() + 180


def _taobao_conn(store: Any, srv: Any) -> ConnectionInfo:
    cred = store.credentials()
    return ConnectionInfo(conn_id="tb", conn_type="http", host=srv.url("taobao", "demo"),
                          login=cred["app_key"], password=cred["app_secret"],
                          extra={"session": cred["session"]})


def _ebay_conn(store: Any, srv: Any) -> ConnectionInfo:
    base = srv.url("ebay", "demo")
    cred = store.credentials()
    return ConnectionInfo(conn_id="ebay", conn_type="http", host=base,
                          login=cred["client_id"], password=cred["client_secret"],
                          extra={"refresh_token": cred["refresh_token"],
                                 "token_url": f"{base}/identity/v1/oauth2/token",
                                 "finances_host": base})


def _gateway_conn(name: str, keys: tuple[str, str, str]) -> Callable[[Any, Any], ConnectionInfo]:
    """A signed gateway's Connection: the app's key and secret, the seller's token."""
    def conn(store: Any, srv: Any) -> ConnectionInfo:
        key, secret, session = (store.credentials()[k] for k in keys)
        return ConnectionInfo(conn_id=name, conn_type="http", host=srv.url(store.system, "demo"),
                              login=key, password=secret, extra={"session": session})
    return conn


def _taobao_sku(store: Any) -> str:
    return next(sid for sid, sku in store.items[TAOBAO_ITEM]["skus"].items()
                if sku["outer_id"] == "LJ-250")


def _level(connection: str, ext: str, sku: str, location: str, *, item: str | None = None,
           product: str | None = None) -> InventoryLevel:
    return InventoryLevel(
        source=SourceRef(connection=connection, system=connection, external_id=ext),
        external_id=ext, sku=sku, inventory_item_external_id=item,
        product_external_id=product, location_external_id=location, available=0)


AMAZON = Marketplace(
    name="amz", connector="amazon", code="SKU-001",
    connection=_amazon_conn,
    listing=lambda store: _level("amz", "SKU-001", "SKU-001", AMAZON_MARKET),
    shows=lambda store: store.quantity("SKU-001"),
    order=lambda store, n: store.place_order("SKU-001", n),
    prepare=_amazon_prepare)
TAOBAO = Marketplace(
    name="tb", connector="taobao", code="LJ-250",
    connection=_taobao_conn,
    listing=lambda store: _level("tb", f"{TAOBAO_ITEM}:{_taobao_sku(store)}", "LJ-250",
                                 "taobao", item=_taobao_sku(store), product=str(TAOBAO_ITEM)),
    shows=lambda store: store.quantity(TAOBAO_ITEM, _taobao_sku(store)),
    order=lambda store, n: store.place_order("LJ-250", n))
EBAY = Marketplace(
    name="ebay", connector="ebay", code=EBAY_SKU,
    connection=_ebay_conn,
    listing=lambda store: _level("ebay", EBAY_SKU, EBAY_SKU, store.home,
                                 item=store.items[EBAY_SKU]["offerId"]),
    shows=lambda store: store.quantity(EBAY_SKU),
    order=lambda store, n: store.place_order(EBAY_SKU, n))
JD = Marketplace(
    name="jd", connector="jd", code="JLY-5L",
    connection=_gateway_conn("jd", ("app_key", "app_secret", "access_token")),
    listing=lambda store: _level("jd", JD_SKU, "JLY-5L", "jd"),
    shows=lambda store: store.stock[JD_SKU],
    order=lambda store, n: store.place_order("JLY-5L", n))
PINDUODUO = Marketplace(
    name="pdd", connector="pinduoduo", code="PUER-357",
    connection=_gateway_conn("pdd", ("client_id", "client_secret", "access_token")),
    listing=lambda store: _level("pdd", f"{PDD_GOODS}:{PDD_SKU}", "PUER-357", "pinduoduo"),
    shows=lambda store: store.stock[(PDD_GOODS, PDD_SKU)],
    order=lambda store, n: store.place_order("PUER-357", n))
MARKETPLACES = (AMAZON, TAOBAO, EBAY, JD, PINDUODUO)
# what each phase sells: one marketplace's order (Amazon, then Taobao), then orders on the
# others and Shopify at once
FIRST, SECOND = {"amz": 1}, {"tb": 2}
THIRD = {"ebay": 1, "jd": 2, "pdd": 1, "shop": 1}
SOLD = sum((FIRST | SECOND | THIRD).values())


def conn_json(info: ConnectionInfo) -> str:
    return json.dumps({"conn_type": info.conn_type, "host": info.host, "login": info.login,
                       "password": info.password, "schema": info.schema,
                       "extra": info.extra or {}})


def shop_level(shop: Any, sku: str) -> int | None:
    """What the shop shows for ``sku`` at its first location (None: not stocked there)."""
    for p in shop.products:
        for v in p["_variants"]:
            if v["sku"] == sku:
                for lv in v["inventoryItem"]["_levels"]:
                    if str(lv["_id"]) == LOCATION:
                        return int(lv["_q"]["available"])
    return None


def master_free(odoo: Any, sku: str) -> int:
    total = 0
    for loc in ("WH/Stock", "WH2/Stock"):
        q = odoo.quant(sku, loc)
        if q is not None:
            total += max(int(q["quantity"]), 0) - int(q["reserved_quantity"])
    return total


def common_sku(odoo: Any, shop: Any) -> str:
    """A SKU the master holds (more free than the test sells) and the shop stocks at its
    location."""
    return next(v["sku"] for p in shop.products for v in p["_variants"]
                if v["sku"] and shop_level(shop, v["sku"]) is not None
                and odoo.quant(v["sku"], "WH/Stock") is not None
                and master_free(odoo, v["sku"]) > SOLD)


def write_hub(tmp_path: Path, master_sku: str) -> Path:
    now_lag = {"incremental": {"safety_lag": "0s"}}   # the simulators answer at once
    connections: dict[str, Any] = {
        "odoo": {"connector": "odoo", "conn_id": "odoo", "roles": ["erp"],
                 "streams": ["products", "stock_quants", "deliveries"]},
        "shop": {"connector": "shopify", "conn_id": "shop",
                 "streams": {"orders": now_lag, "products": {}, "inventory_levels": {}}}}
    channels: dict[str, Any] = {"shop": {"publish_location": LOCATION}}
    for m in MARKETPLACES:
        connections[m.name] = {"connector": m.connector, "conn_id": m.name,
                               "streams": {"orders": now_lag}}
        channels[m.name] = {"aliases": {m.code: master_sku}}
    doc = {"version": 1, "connectors_dir": str(ROOT / "connectors"),
           "mappings_dir": str(ROOT / "mappings"), "connections": connections,
           "stock": {"masters": {"odoo": {"locations": ["WH/Stock", "WH2/Stock"]}},
                     "channels": channels, "reservations": {"max_age": "2d"}}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_marketplace_order_lowers_every_other_channel_through_airflow(
        tmp_path: Path, sandbox: Any, pg_url: str) -> None:
    sb, srv = sandbox
    odoo = sb.odoo("demo", products=8)
    shop = sb.shopify("demo", orders=0, customers=1, products=8)
    stores = {m.name: sb.store(m.connector, "demo", orders=0) for m in MARKETPLACES}
    for m in MARKETPLACES:
        m.prepare(stores[m.name])
    conns = {k: v for k, v in infos(sb, srv).items() if k != "woo"}
    conns |= {m.name: m.connection(stores[m.name], srv) for m in MARKETPLACES}
    sku = common_sku(odoo, shop)
    hub = write_hub(tmp_path, sku)
    env = airflow_env(tmp_path, hub, pg_url, **{
        f"AIRFLOW_CONN_{name.upper()}": conn_json(info) for name, info in conns.items()})
    _migrate(env)
    store = Store.from_url(pg_url)
    try:
        for m in MARKETPLACES:
            store.write_page(connection=m.name, stream="listings",
                             records=[m.listing(stores[m.name])])
    finally:
        store.dispose()

    def shows() -> dict[str, int | None]:
        return {"shop": shop_level(shop, sku)} | {m.name: m.shows(stores[m.name])
                                                  for m in MARKETPLACES}

    # the marketplaces' first syncs come with their orders: each reads its order anyway
    dags_test(env, "sync__odoo")
    dags_test(env, "sync__shop")
    out = dags_test(env, "stock_sync")
    for info in conns.values():
        assert info.password not in out        # no secret reaches the task logs
    start = master_free(odoo, sku)
    assert start > SOLD
    assert shows() == dict.fromkeys(shows(), start)
    by_name = {m.name: m for m in MARKETPLACES}

    def sell(phase: dict[str, int]) -> str:
        """Orders on these channels now, their syncs, one stock_sync; its task logs."""
        for name, n in phase.items():
            if name == "shop":
                shop.place_order([{"sku": sku, "quantity": n}])
            else:
                by_name[name].order(stores[name], n)
        for name in phase:
            dags_test(env, f"sync__{name}")
        return dags_test(env, "stock_sync")

    # an Amazon order lowers what Shopify, Taobao, eBay, JD and Pinduoduo show; a Taobao
    # order lowers what Shopify, JD, Pinduoduo, eBay and Amazon show
    sold = 0
    for phase in (FIRST, SECOND):
        sell(phase)
        sold += sum(phase.values())
        assert shows() == dict.fromkeys(shows(), start - sold), phase

    # and the reverse: orders on eBay, JD, Pinduoduo and Shopify at once lower what Amazon,
    # Taobao and each of the others show by their total
    out = sell(THIRD)
    for info in conns.values():
        assert info.password not in out
    assert shows() == dict.fromkeys(shows(), start - SOLD)

    engine = sa.create_engine(pg_url)
    with engine.connect() as c:
        runs = c.execute(sa.text("select status, summary from stock_runs order by id")).all()
    engine.dispose()
    assert {r.status for r in runs} == {"success"}
    assert len(runs) == 4
    last = {ch["channel"]: ch for ch in runs[-1].summary["channels"]}
    for m in MARKETPLACES:     # one listing changed: the least a marketplace can be told
        assert (last[m.name]["pushed"], last[m.name]["write_calls"]) == (1, 1), m.name
