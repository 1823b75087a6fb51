"""The committed JSON Schemas are exactly what the models export; feed output validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from synchub.canonical import ENTITIES
from synchub.schemas import all_schemas, render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("rel", sorted(all_schemas()))
def test_committed_schema_matches_models(rel: str) -> None:
    path = ROOT / "schemas" / rel
    assert path.is_file(), f"{path} missing: run `make schemas`"
    assert path.read_text("utf-8") == render(all_schemas()[rel]), (
        f"{path} is out of date with the models: run `make schemas` and commit")


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_schemas_are_valid_draft_2020_12(entity: str) -> None:
    schema = json.loads((ROOT / "schemas" / "canonical" / f"{entity}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_order_schema_names_the_feed_contract_fields() -> None:
    schema = json.loads((ROOT / "schemas" / "canonical" / "order.schema.json").read_text())
    required_names = {"external_id", "number", "connection", "channel", "status", "currency",
                      "placed_at", "updated_at", "subtotal", "discount_total", "shipping_total",
                      "tax_total", "total", "taxes_included", "lines", "shipping_lines",
                      "refunds"}
    assert required_names <= set(schema["properties"])
    line = schema["$defs"]["OrderLine"]["properties"]
    assert {"sku", "quantity", "unit_price", "total"} <= set(line)
    money = schema["$defs"]["Money"]["properties"]["amount"]
    assert money["type"] == "string"
