"""The sf_service stream checks: the digest auth, {input.x} only in a store-fed stream,
omit_empty naming keys of msg_data; each problem reported with its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synchub.config.connector_checks import load_connector
from synchub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def variant(tmp_path: Path, change: dict[str, object], auth: dict[str, object] | None = None
            ) -> Path:
    doc = yaml.safe_load((ROOT / "connectors" / "sf_express" / "connector.yaml").read_text())
    doc["streams"]["tracking"].update(change)
    if auth is not None:
        doc["auth"] = auth
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


def test_the_shipped_connector_passes() -> None:
    assert load_connector(ROOT / "connectors" / "sf_express" / "connector.yaml").streams


@pytest.mark.parametrize(("change", "auth", "message"), [
    ({}, {"type": "bearer"}, "transport sf_service needs auth type sf_digest"),
    ({"inputs": None}, None, "{input.x} placeholders need inputs"),
    ({"omit_empty": ["nope"]}, None, "'nope' is not a key of msg_data"),
])
def test_refusals_name_the_key(tmp_path: Path, change: dict[str, object],
                               auth: dict[str, object] | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_connector(variant(tmp_path, change, auth))
