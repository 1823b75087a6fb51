"""Export the JSON Schemas (draft 2020-12) of the canonical entities and the config files.

The pydantic models are the single source of truth; ``schemas/`` holds their committed
export: ``canonical/<entity>.schema.json`` is the feed contract, ``config/*.schema.json``
lets editors (yaml-language-server) check hub, connector and mapping files.
"""

from __future__ import annotations

import json
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
