"""The shipped connector files load and declare what the sync engine and mappings expect."""

from __future__ import annotations

import pytest

from .conftest import connector

EXPECTED = {
    "shopify": {"orders": ["orders", "refunds"], "customers": ["customers"],
                "products": ["products"], "inventory_levels": ["inventory_levels"],
                "order_totals": [], "payouts": ["payouts"],
                "balance_transactions": ["balance_transactions"]},
    "woocommerce": {"orders": ["orders"], "order_refunds": ["refunds"],
                    "products": ["products", "product_inventory"],
                    "product_variations": ["variations", "variation_inventory"],
                    "customers": ["customers"], "order_totals": []},
}


@pytest.mark.parametrize("system", sorted(EXPECTED))
def test_connector_file_loads(system: str) -> None:
    spec = connector(system)
    assert spec.system == system
    assert {name: s.mappings for name, s in spec.streams.items()} == EXPECTED[system]


def test_context_names() -> None:
    assert list(connector("shopify").context) == ["shop_currency"]
    assert list(connector("woocommerce").context) == ["store_currency"]


def test_woocommerce_customers_is_full_refresh_and_variations_a_substream() -> None:
    spec = connector("woocommerce")
    assert spec.streams["customers"].incremental is None
    parent = spec.streams["product_variations"].parent
    assert parent is not None and parent.stream == "products"


@pytest.mark.parametrize("system", sorted(EXPECTED))
def test_connector_file_passes_the_editor_schema(system: str) -> None:
    import jsonschema
    import yaml

    from synchub.config.connector import connector_model

    from .conftest import ROOT

    schema = connector_model().model_json_schema(mode="validation")
    data = yaml.safe_load((ROOT / "connectors" / system / "connector.yaml").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []
    data["streams"]["orders"]["paginater"] = {"type": "single"}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data))
