"""Shared helpers of the mapping tests: where mappings, fixtures and goldens live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synchub.mapping import MappingContext

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"

CONTEXTS = {
    "shopify": MappingContext(connection="shop_eu", system="shopify",
                              values={"shop_currency": "EUR"}),
    "woocommerce": MappingContext(connection="woo_main", system="woocommerce",
                                  values={"store_currency": "EUR"}),
    "odoo": MappingContext(connection="odoo_main", system="odoo",
                           values={"company_currency": "EUR"}),
    "hubspot": MappingContext(connection="hubspot_crm", system="hubspot"),
    "salesforce": MappingContext(connection="salesforce_crm", system="salesforce"),
    "magento": MappingContext(connection="magento_store", system="magento"),
    "dhl": MappingContext(connection="dhl_track", system="dhl"),
    "sf_express": MappingContext(connection="sf_track", system="sf_express"),
    "ups": MappingContext(connection="ups_track", system="ups"),
    "fedex": MappingContext(connection="fedex_track", system="fedex"),
    "udesk": MappingContext(connection="udesk_desk", system="udesk"),
    "aftership": MappingContext(connection="aftership_main", system="aftership"),
    "settlement_file": MappingContext(connection="psp_settlements", system="settlement_file"),
    "frankfurter": MappingContext(connection="ecb_rates", system="frankfurter"),
    "squarespace": MappingContext(connection="squarespace_main", system="squarespace"),
    "amazon": MappingContext(connection="amazon_eu", system="amazon"),
    "ebay": MappingContext(connection="ebay_us", system="ebay"),
    "taobao": MappingContext(connection="taobao_shop", system="taobao"),
    "pinduoduo": MappingContext(connection="pdd_shop", system="pinduoduo"),
    "jd": MappingContext(connection="jd_shop", system="jd"),
    "youzan": MappingContext(connection="youzan_shop", system="youzan"),
    "weimob": MappingContext(connection="weimob_shop", system="weimob"),
    "weidian": MappingContext(connection="weidian_shop", system="weidian"),
    "erpnext": MappingContext(connection="erpnext_erp", system="erpnext",
                              values={"site_timezone": "Asia/Kolkata"}),
    "ecshop": MappingContext(connection="ecshop", system="ecshop"),
}


def load_fixture(system: str, name: str) -> Any:
    """A named payload as the vendor's API returns it."""
    return json.loads((FIXTURES / system / f"{name}.json").read_text(encoding="utf-8"))
