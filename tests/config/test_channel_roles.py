"""A channel that no stock, sink or ledger section names is a warning of `synchub validate`.

Its records would be stored and go nowhere: most often a section was forgotten. The warning
names file, line and key, and the exit code stays 0.
"""

from __future__ import annotations

import shutil
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
  woo:
    connector: woocommerce
    conn_id: woo_conn
    roles: [channel]
  erp:
    connector: odoo
    conn_id: erp_conn
    roles: [erp]
"""
STOCK_SHOP = """\
stock:
  masters:
    erp: {}
  channels:
    shop: {publish_location: "1"}
"""
LEDGER_WOO = "ledger:\n  functional_currency: EUR\n  channels:\n    woo: {}\n"


def validate(tmp_path: Path, hub_text: str, capsys: pytest.CaptureFixture[str]
             ) -> tuple[int, list[str], str]:
    if not (tmp_path / "connectors").exists():
        shutil.copytree(ROOT / "connectors", tmp_path / "connectors")
        shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    hub = tmp_path / "hub.yaml"
    hub.write_text(hub_text)
    code = main(["validate", "--config", str(hub)])
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    return code, warnings, captured.out


def warned(warnings: list[str]) -> set[str]:
    return {w.split("connection '")[1].split("'")[0] for w in warnings}


def test_a_channel_in_no_section_is_warned_with_file_line_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, warnings, out = validate(tmp_path, HUB, capsys)

    assert code == 0
    assert "valid (3 connections, 2 warnings)" in out
    assert warnings == [
        f"warning: {tmp_path / 'hub.yaml'}:3: connections.shop: connection 'shop' has the "
        "channel role but is in none of stock:, sinks: or ledger:; its records are stored, "
        "but neither stock-synced, delivered nor booked",
        f"warning: {tmp_path / 'hub.yaml'}:6: connections.woo: connection 'woo' has the "
        "channel role but is in none of stock:, sinks: or ledger:; its records are stored, "
        "but neither stock-synced, delivered nor booked",
    ]


@pytest.mark.parametrize(("sections", "expected"), [
    (STOCK_SHOP, {"woo"}),
    (LEDGER_WOO, {"shop"}),
    (STOCK_SHOP + LEDGER_WOO, set()),
    # a sink, and a route's source, are both "in sinks:"
    ("sinks:\n  woo:\n    tracking: {from: [erp]}\n", {"shop"}),
    ("sinks:\n  erp:\n    orders: {from: [shop]}\n", {"woo"}),
    # a route without `from` reads every channel
    ("sinks:\n  erp:\n    orders: {}\n", set()),
])
def test_a_channel_named_by_stock_sinks_or_ledger_is_not_warned(
        sections: str, expected: set[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, warnings, _ = validate(tmp_path, HUB + sections, capsys)

    assert code == 0
    assert warned(warnings) == expected


def test_other_roles_are_never_warned(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    hub = HUB.replace("    conn_id: shop_conn\n", "    conn_id: shop_conn\n    roles: [crm]\n")
    _, warnings, _ = validate(tmp_path, hub.replace("roles: [channel]", "roles: [carrier]"),
                              capsys)

    assert warnings == []


def test_a_warning_does_not_hide_errors_nor_change_their_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = validate(tmp_path, HUB.replace("connector: odoo", "connector: odooo"), capsys)

    assert code == 2


def test_the_project_hub_has_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(ROOT / "hub.yaml")]) == 0
    captured = capsys.readouterr()
    assert "warning:" not in captured.err
    assert "valid (18 connections)" in captured.out
