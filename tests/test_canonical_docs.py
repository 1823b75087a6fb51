"""docs/mappings.md lists the canonical fields exactly as the models define them."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import pytest
from pydantic import Field

from synchub.canonical import ENTITIES, CanonicalRecord, Money
from synchub.cli import main
from synchub.schemas import DOCS_END, DOCS_START, canonical_fields_markdown, update_docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "mappings.md"


def test_docs_list_the_canonical_fields_of_the_models() -> None:
    assert not update_docs(DOCS, check=True), (
        f"{DOCS} is out of step with synchub/canonical: run `make schemas` and commit")


def test_every_entity_and_field_is_listed() -> None:
    text = DOCS.read_text("utf-8")
    generated = text[text.index(DOCS_START):text.index(DOCS_END)]
    for entity, model in ENTITIES.items():
        assert f"### `{entity}`" in generated
        for name in model.model_fields:
            if name not in CanonicalRecord.model_fields:
                assert f"| `{name}` |" in generated, (entity, name)
    entities = generated.split("### Value objects")[0]
    assert "| `source` |" not in entities and "| `content_hash` |" not in entities


class _Gadget(CanonicalRecord):
    """A test entity: every kind of constraint a model may declare."""

    entity: ClassVar[str] = "gadget"

    external_id: str
    name: str = Field(max_length=64, description="Shown | as text.")
    rank: Annotated[int, Field(ge=0, le=10)] = 3
    weight: Decimal | None = Field(default=None, gt=0)
    kind: Literal["a", "b"]
    price: Money | None = None


def test_rows_show_type_required_default_and_every_constraint() -> None:
    text = canonical_fields_markdown({"gadget": _Gadget})
    rows = {line.split(" | ")[0].strip("| `"): line for line in text.splitlines()
            if line.startswith("| `")}
    assert rows["name"] == "| `name` | text, max length 64 | yes | Shown \\| as text. |"
    assert rows["rank"] == "| `rank` | integer, minimum 0, maximum 10 | no, default `3` |  |"
    assert rows["weight"] == "| `weight` | number, more than 0.0 or text | no |  |"
    assert rows["kind"] == "| `kind` | one of `a`, `b` | yes |  |"
    assert rows["price"] == "| `price` | [Money](#money) | no |  |"
    assert "#### Money" in text and "| `currency` | text, pattern `^[A-Z]{3}$` | yes |" in text
    assert "| `id` |" not in text.split("#### Money")[0]


def test_cli_regenerates_and_checks_the_docs(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "mappings.md"
    shutil.copy(DOCS, docs)
    text = docs.read_text("utf-8")
    start = text.index(DOCS_START) + len(DOCS_START)
    docs.write_text(text[:start] + "\n\nstale\n\n" + text[text.index(DOCS_END):], "utf-8")
    schemas = tmp_path / "schemas"
    assert main(["schemas", "--out", str(schemas)]) == 0
    assert main(["schemas", "--out", str(schemas), "--docs", str(docs), "--check"]) == 1
    assert f"out of date: {docs}" in capsys.readouterr().err
    assert main(["schemas", "--out", str(schemas), "--docs", str(docs)]) == 0
    assert docs.read_text("utf-8") == DOCS.read_text("utf-8")
    assert main(["schemas", "--out", str(schemas), "--docs", str(docs), "--check"]) == 0


def test_docs_without_markers_are_an_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "other.md"
    docs.write_text("# nothing generated here\n", "utf-8")
    assert main(["schemas", "--out", str(tmp_path / "s"), "--docs", str(docs)]) == 2
    assert "no '<!-- canonical-fields:start" in capsys.readouterr().err
