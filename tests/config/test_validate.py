"""`synchub validate`: every config mistake is one clear line naming file, line and key."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from synchub.cli import main

ROOT = Path(__file__).resolve().parents[2]

HUB = """\
version: 1
connections:
  shop:
    connector: shopify
    conn_id: shop_conn
    streams: [orders, products]
  woo:
    connector: woocommerce
    conn_id: woo_conn
"""


def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "connectors", tmp_path / "connectors")
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def run_validate(hub_text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                 ) -> tuple[int, list[str]]:
    hub = tmp_path / "hub.yaml"
    hub.write_text(hub_text)
    code = main(["validate", "--config", str(hub)])
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.startswith("error:")]


def test_the_project_hub_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(ROOT / "hub.yaml")]) == 0
    out = capsys.readouterr().out
    assert "shopify_demo" in out and "woo_demo" in out


def test_the_self_hosted_demo_hub_is_valid_without_warnings(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(ROOT / "hub.selfhosted.yaml")]) == 0
    captured = capsys.readouterr()
    assert "warning:" not in captured.err
    assert "valid (6 connections)" in captured.out
    for line in ("stock: masters erpnext_demo; channels magento_demo, ecshop_demo",
                 "sink erpnext_demo: orders <- magento_demo, ecshop_demo",
                 "sink salesforce_demo: customers <- magento_demo, ecshop_demo",
                 "sink magento_demo: tracking <- erpnext_demo, ups_demo, fedex_demo"):
        assert line in captured.out


def _no_change(_: Path) -> None:
    pass


CASES: list[tuple[str, str, Callable[[Path], None], str]] = [
    ("unknown connector", HUB.replace("connector: shopify", "connector: shopiffy"), _no_change,
     r"hub\.yaml:4: connections\.shop\.connector: unknown connector 'shopiffy'; "
     r"available: aftership, amazon, dhl, ebay, ecshop, erpnext, fedex, frankfurter, hubspot, "
     r"jd, magento, odoo, pinduoduo, salesforce, settlement_file, sf_express, shopify, "
     r"squarespace, taobao, udesk, ups, weidian, weimob, woocommerce, youzan"),
    ("unknown stream", HUB.replace("[orders, products]", "[orders, prodcuts]"), _no_change,
     r"hub\.yaml:6: connections\.shop\.streams\.prodcuts: unknown stream 'prodcuts'"),
    ("missing required key", HUB.replace("    conn_id: shop_conn\n", ""), _no_change,
     r"hub\.yaml:3: connections\.shop\.conn_id: required key is missing"),
    ("wrong type", HUB.replace("    conn_id: woo_conn\n", "    conn_id: woo_conn\n"
                                "    retries: three\n"), _no_change,
     r"hub\.yaml:10: connections\.woo\.retries: Input should be a valid integer"),
    ("duplicate connection", HUB + "  shop:\n    connector: shopify\n    conn_id: x\n",
     _no_change, r"hub\.yaml:10: invalid YAML: duplicate key 'shop' \(first at line 3\)"),
    ("unknown hub key", HUB.replace("version: 1", "version: 1\nconection: {}"), _no_change,
     r"hub\.yaml:2: conection: unknown key"),
    ("same conn_id twice", HUB.replace("conn_id: woo_conn", "conn_id: shop_conn"), _no_change,
     r"hub\.yaml:9: connections\.woo\.conn_id: conn_id 'shop_conn' is already used"),
    ("unknown paginator type", HUB,
     lambda root: edit(root / "connectors/shopify/connector.yaml",
                       "paginator: {type: header_link}", "paginator: {type: next_page_link}"),
     r"connector\.yaml:\d+: stream_defaults\.paginator(\.type)?: unknown type 'next_page_link'"),
    ("unknown auth type", HUB,
     lambda root: edit(root / "connectors/woocommerce/connector.yaml", "type: basic",
                       "type: kerberos"),
     r"connector\.yaml:\d+: auth(\.type)?: unknown type 'kerberos'"),
    ("negative duration", HUB,
     lambda root: edit(root / "connectors/shopify/connector.yaml", "lookback: 10m",
                       "lookback: -60"),
     r"connector\.yaml:\d+: streams\.orders\.incremental\.lookback: .*cannot be negative"),
    ("system differs from folder", HUB,
     lambda root: edit(root / "connectors/woocommerce/connector.yaml", "system: woocommerce",
                       "system: woo"),
     r"connector\.yaml: system: system 'woo' differs from its folder name 'woocommerce'"),
    ("unknown transform", HUB,
     lambda root: edit(root / "mappings/shopify/orders.yaml", "transform: parse_datetime",
                       "transform: parse_datetim"),
     r"orders\.yaml:\d+: fields\.\S+: unknown transform 'parse_datetim'"),
    ("sink route the connector cannot write", HUB + "sinks:\n  woo:\n    orders: {}\n",
     _no_change, r"hub\.yaml:\d+: sinks\.woo\.orders: connector 'woocommerce' has no writer "
                 r"'orders' \(its writers: tracking\)"),
    ("sink reading an unknown connection",
     HUB + "sinks:\n  woo:\n    tracking: {from: [shop, odo]}\n", _no_change,
     r"hub\.yaml:\d+: sinks\.woo\.tracking\.from\[1\]: unknown connection 'odo'"),
    ("unknown sink", HUB + "sinks:\n  erp:\n    orders: {}\n", _no_change,
     r"hub\.yaml:\d+: sinks\.erp: unknown connection 'erp'"),
    ("feed consumer scoped to an unknown connection",
     HUB + "feeds:\n  consumers:\n    bi: {entities: [order], connections: [shopp]}\n",
     _no_change, r"hub\.yaml:\d+: feeds\.consumers\.bi\.connections\[0\]: unknown connection "
                 r"'shopp'"),
    ("webhooks on a connector without them",
     HUB + "  erp:\n    connector: odoo\n    conn_id: erp\n    webhooks: {}\n", _no_change,
     r"hub\.yaml:\d+: connections\.erp\.webhooks: connector 'odoo' declares no webhooks"),
    ("webhook topic naming an unknown stream", HUB,
     lambda root: edit(root / "connectors/shopify/connector.yaml", "stream: orders",
                       "stream: order"),
     r"connector\.yaml:\d+: webhooks\.topics\.\S+\.stream: unknown stream 'order'"),
    ("unknown writer type", HUB,
     lambda root: edit(root / "connectors/woocommerce/connector.yaml",
                       "type: woocommerce_order_tracking", "type: woocommerce_tracking"),
     r"connector\.yaml:\d+: writers\.tracking\.type: unknown writer "
     r"'woocommerce_tracking'"),
    ("write mapping with a broken path", HUB + "sinks:\n  woo:\n    tracking: {}\n",
     lambda root: edit(root / "mappings/woocommerce/tracking.export.yaml",
                       "number: tracking_number", "number: tracking_number[["),
     r"tracking\.export\.yaml:\d+: fields\.number(\.path)?: invalid path"),
    ("unknown canonical field", HUB,
     lambda root: edit(root / "mappings/shopify/orders.yaml", "  number: name",
                       "  numbr: name"),
     r"orders\.yaml:\d+: fields\.numbr: .*numbr"),
]


@pytest.mark.parametrize(("case", "hub", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_config_errors_name_file_line_and_key(
    case: str, hub: str, change: Callable[[Path], None], expected: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = project_copy(tmp_path)
    change(root)
    code, errors = run_validate(hub, root, capsys)
    assert code == 2
    assert errors, "no error line printed"
    assert any(re.search(expected, e) for e in errors), errors
    assert all("\n" not in e for e in errors)


def test_secrets_in_config_are_never_echoed(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = project_copy(tmp_path)
    hub = HUB.replace("    conn_id: shop_conn\n",
                      "    conn_id: shop_conn\n    password: shpat_0123456789abcdef\n")
    code, errors = run_validate(hub, root, capsys)
    assert code == 2
    assert any("connections.shop.password: unknown key" in e for e in errors)
    assert not any("shpat_0123456789abcdef" in e for e in errors)
