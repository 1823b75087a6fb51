"""Export the JSON Schemas (draft 2020-12) of the canonical entities and the config files.

The pydantic models are the single source of truth; ``schemas/`` holds their committed
export: ``canonical/<entity>.schema.json`` is the feed contract, ``config/*.schema.json``
lets editors (yaml-language-server) check hub, connector and mapping files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://synchub.dev/schemas"


def _config_models() -> dict[str, type[BaseModel]]:
    from synchub.config.connector import connector_model
    from synchub.config.hub import HubFile
    from synchub.config.ledger import LedgerPart
    from synchub.config.mapping import ExportMappingSpec, MappingSpec

    # the connector schema includes the models of every registered system's strategies
    return {"hub": HubFile, "connector": connector_model(), "mapping": MappingSpec,
            "export_mapping": ExportMappingSpec, "ledger": LedgerPart}


def entity_schema(entity: str) -> dict[str, Any]:
    """The feed contract of one canonical entity, as serialized to JSON."""
    from synchub.canonical import ENTITIES

    model = ENTITIES[entity]
    schema = model.model_json_schema(mode="serialization")
    return {"$schema": DIALECT, "$id": f"{BASE_ID}/canonical/{entity}.schema.json",
            "x-schema-version": model.schema_version, **schema}


def config_schema(kind: str) -> dict[str, Any]:
    """The schema of a hub, connector or mapping file, for editors."""
    schema = _config_models()[kind].model_json_schema(mode="validation")
    return {"$schema": DIALECT, "$id": f"{BASE_ID}/config/{kind}.schema.json", **schema}


def all_schemas() -> dict[str, dict[str, Any]]:
    """Relative path -> schema document for every exported schema."""
    from synchub.canonical import ENTITIES

    out = {f"canonical/{e}.schema.json": entity_schema(e) for e in ENTITIES}
    out.update({f"config/{k}.schema.json": config_schema(k) for k in _config_models()})
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def export_schemas(out_dir: Path, *, check: bool = False) -> list[Path]:
    """Write every schema under ``out_dir``; return the files that changed (or would)."""
    changed = []
    for rel, schema in all_schemas().items():
        path = out_dir / rel
        text = render(schema)
        if path.is_file() and path.read_text("utf-8") == text:
            continue
        changed.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    return changed


# ---- canonical fields as documentation (docs/mappings.md) ------------------------------

DOCS_START = ("<!-- canonical-fields:start: generated from synchub/canonical by "
              "`synchub schemas --docs docs/mappings.md`; do not edit by hand -->")
DOCS_END = "<!-- canonical-fields:end -->"
# constraint keywords of JSON Schema -> how the docs say them
_CONSTRAINTS = (
    ("minLength", "min length {}"), ("maxLength", "max length {}"),
    ("minimum", "minimum {}"), ("exclusiveMinimum", "more than {}"), ("maximum", "maximum {}"),
    ("exclusiveMaximum", "less than {}"), ("multipleOf", "multiple of {}"),
    ("minItems", "at least {} item(s)"), ("maxItems", "at most {} item(s)"),
    ("pattern", "pattern `{}`"),
)
_SCALARS = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean",
            "object": "object"}


def _cell(text: str) -> str:
    """One line of Markdown: rst literals as code, pipes escaped, ``<x>`` shown as text."""
    parts = " ".join(text.replace("``", "`").split()).split("`")
    for i in range(0, len(parts), 2):  # outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a property (``X | None`` is X; null is "optional")."""
    options = schema.get("anyOf") or schema.get("oneOf")
    if options is None:
        return [schema]
    return [s for s in options if s.get("type") != "null"]


def _constraints(schema: dict[str, Any]) -> list[str]:
    return [text.format(schema[key]) for key, text in _CONSTRAINTS if key in schema]


def _type(schema: dict[str, Any]) -> str:
    """A property's type in words, its constraints included (``text, max length 64``)."""
    parts = []
    for branch in _branches(schema):
        if "$ref" in branch:
            name = _ref_name(branch["$ref"])
            text = f"[{name}](#{name.lower()})"
        elif "enum" in branch:
            text = "one of " + ", ".join(f"`{v}`" for v in branch["enum"])
        elif "const" in branch:
            text = f"`{branch['const']}`"
        elif branch.get("type") == "array":
            text = f"list of {_type(branch.get('items', {}))}"
        elif branch.get("type") == "object" and isinstance(
                branch.get("additionalProperties"), dict):
            text = f"map of text to {_type(branch['additionalProperties'])}"
        elif branch.get("format") == "date-time":
            text = "date-time"
        else:
            text = _SCALARS.get(str(branch.get("type")), str(branch.get("type", "any")))
        parts.append(", ".join([text, *_constraints(branch)]))
    return " or ".join(parts)


def _description(schema: dict[str, Any]) -> str:
    if "description" in schema:
        return str(schema["description"])
    texts = [b["description"] for b in _branches(schema) if "description" in b and
             "$ref" not in b]
    return texts[0] if texts else ""


def _required(name: str, schema: dict[str, Any], required: set[str]) -> str:
    if name in required:
        return "yes"
    default = schema.get("default")
    if default is None:
        return "no"
    return f"no, default `{json.dumps(default)}`"


def _table(model: dict[str, Any], skip: frozenset[str] = frozenset()) -> list[str]:
    required = set(model.get("required", []))
    rows = ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for name, prop in model.get("properties", {}).items():
        if name in skip:
            continue
        rows.append(f"| `{name}` | {_cell(_type(prop))} | {_required(name, prop, required)} "
                    f"| {_cell(_description(prop))} |")
    return rows


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {_ref_name(schema["$ref"])} if isinstance(schema.get("$ref"), str) else set()
        for value in schema.values():
            found |= _refs(value)
        return found
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema)) if schema else set()
    return set()


def canonical_fields_markdown(entities: Mapping[str, type[BaseModel]] | None = None) -> str:
    """The canonical fields a mapping fills, per entity and per value object (Markdown).

    Generated from the models' JSON Schemas, so every constraint a model declares (max
    length, bounds, patterns) shows without this code knowing it. The fields the engine
    sets (those of the common base) are left out. ``entities`` defaults to every
    canonical entity.
    """
    from synchub.canonical import ENTITIES, CanonicalRecord

    engine = frozenset(CanonicalRecord.model_fields)
    lines: list[str] = []
    defs: dict[str, dict[str, Any]] = {}
    shown: set[str] = set()
    for entity, model in (ENTITIES if entities is None else entities).items():
        schema = model.model_json_schema(mode="validation")
        defs.update(schema.get("$defs", {}))
        props = {k: v for k, v in schema["properties"].items() if k not in engine}
        shown |= _refs(props)
        lines += [f"### `{entity}`", "", _cell(schema.get("description", "")), "",
                  *_table(schema, engine), ""]
    # value objects reached from the fields shown, and from each other
    todo = sorted(shown)
    while todo:
        name = todo.pop()
        for ref in _refs(defs[name]) - shown:
            shown.add(ref)
            todo.append(ref)
    lines += ["### Value objects", ""]
    for name in sorted(shown):
        lines += [f"#### {name}", "", _cell(defs[name].get("description", "")), "",
                  *_table(defs[name]), ""]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def update_docs(path: Path, *, check: bool = False) -> bool:
    """Rewrite the generated part of ``path`` (between the markers); True if it changed.

    Raises ``ValueError`` when the file lacks the markers.
    """
    text = path.read_text("utf-8")
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: no {DOCS_START!r} ... {DOCS_END!r} markers")
    new = (text[:start + len(DOCS_START)] + "\n\n" + canonical_fields_markdown().strip()
           + "\n\n" + text[end:])
    if new == text:
        return False
    if not check:
        path.write_text(new, "utf-8")
    return True
