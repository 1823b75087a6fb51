"""Bad stock rules in hub.yaml are refused by `synchub validate`, naming file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.config.test_validate import project_copy, run_validate

HUB = """\
version: 1
connections:
  shop:
    connector: shopify
    conn_id: shop_conn
    roles: [channel]
  erp:
    connector: woocommerce
    conn_id: erp_conn
    roles: [erp]
stock:
  masters:
    erp:
      locations: [default, WH2]
  channels:
    shop:
      locations: [default]
      publish_location: "61000000000"
      buffer: 2
      percent: 80
      skus:
        SKU-1: {percent: 50}
  kits:
    BOX: {SKU-1: 2, SKU-2: 1}
"""

CASES = [
    ("percent over 100", HUB.replace("percent: 80", "percent: 120"),
     r"hub\.yaml:20: stock\.channels\.shop\.percent: Input should be less than or equal "
     r"to 100"),
    ("sku percent over 100", HUB.replace("{percent: 50}", "{percent: 100.5}"),
     r"hub\.yaml:\d+: stock\.channels\.shop\.skus\.SKU-1\.percent: .*less than or equal"),
    ("negative buffer", HUB.replace("buffer: 2", "buffer: -1"),
     r"hub\.yaml:19: stock\.channels\.shop\.buffer: Input should be greater than or equal "
     r"to 0"),
    ("unknown location", HUB.replace("locations: [default]", "locations: [WH9]"),
     r"hub\.yaml:17: stock\.channels\.shop\.locations\[0\]: unknown location 'WH9'; masters "
     r"declare: WH2, default"),
    ("kit cycle", HUB.replace("BOX: {SKU-1: 2, SKU-2: 1}",
                              "BOX: {SKU-1: 2, CRATE: 1}\n    CRATE: {BOX: 1}"),
     r"hub\.yaml:\d+: stock\.kits\.BOX: kit cycle: BOX -> CRATE -> BOX"),
    ("kit holding itself", HUB.replace("SKU-2: 1}", "BOX: 1}"),
     r"hub\.yaml:\d+: stock\.kits\.BOX: kit cycle: BOX -> BOX"),
    ("unknown master", HUB.replace("    erp:\n      locations", "    erp2:\n      locations"),
     r"hub\.yaml:13: stock\.masters\.erp2: unknown connection 'erp2'"),
    ("master without erp role", HUB.replace("roles: [erp]", "roles: [channel]"),
     r"stock\.masters\.erp: connection 'erp' is a stock master but its roles do not include "
     r"erp or wms"),
    ("unknown rule key", HUB.replace("buffer: 2", "bufer: 2"),
     r"hub\.yaml:19: stock\.channels\.shop\.bufer: unknown key"),
    ("shopify without publish_location", HUB.replace('      publish_location: "61000000000"\n', ""),
     r"hub\.yaml:16: stock\.channels\.shop: publish_location is required"),
    ("empty kit", HUB.replace("BOX: {SKU-1: 2, SKU-2: 1}", "BOX: {}"),
     r"stock: .*kit 'BOX' has no components"),
    ("naive since", HUB.replace("  kits:", "  reservations: {since: 2026-01-01 00:00:00}\n  kits:"),
     r"stock\.reservations\.since: .*with its offset"),
    ("zero units per kit", HUB.replace("SKU-2: 1}", "SKU-2: 0}"),
     r"stock\.kits\.BOX\.SKU-2: Input should be greater than 0"),
]


def test_a_good_stock_section_validates(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, errors = run_validate(HUB, project_copy(tmp_path), capsys)
    assert (code, errors) == (0, [])


@pytest.mark.parametrize(("case", "hub", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_stock_rules_are_refused(case: str, hub: str, expected: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, errors = run_validate(hub, project_copy(tmp_path), capsys)
    assert code == 2
    assert any(re.search(expected, e) for e in errors), errors
