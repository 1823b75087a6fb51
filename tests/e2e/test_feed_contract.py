"""Everything the feed serves validates against the committed JSON Schemas (the contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from synchub.pipeline import sync_connection
from synchub.plan import Hub

from .conftest import shopify_conn, woo_conn

ROOT = Path(__file__).resolve().parents[2]


def validator(entity: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / "canonical" / f"{entity}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def test_feed_documents_of_both_channels_match_the_schemas(
        shop_hub: Hub, woo_hub: Hub, sandbox: Any, store: Any) -> None:
    sb, srv = sandbox
    sb.shopify("demo", orders=80, customers=20, products=10)
    sb.woocommerce("demo", orders=80, customers=20, products=10)
    sync_connection(shop_hub, "shop", store=store, conn_info=shopify_conn(srv, sb))
    sync_connection(woo_hub, "woo", store=store, conn_info=woo_conn(srv, sb))
    seen = {}
    for entity in ("order", "product", "inventory_level", "customer"):
        check = validator(entity)
        docs = store.read_feed(entity, limit=10_000).records
        seen[entity] = {d["source"]["system"] for d in docs}
        for doc in docs:
            errors = sorted(check.iter_errors(doc), key=lambda e: list(e.path))
            assert not errors, f"{entity} {doc['external_id']}: {errors[0].message}"
    assert seen == {e: {"shopify", "woocommerce"} for e in seen}


def test_the_schema_rejects_a_float_amount() -> None:
    """The contract is strict: money is a decimal string, not a JSON number."""
    check = validator("order")
    doc: dict[str, Any] = {"total": {"amount": 12.5, "currency": "EUR"}}
    errors = list(check.iter_errors(doc))
    assert any(list(e.path) == ["total", "amount"] for e in errors)
