"""Shared pieces of the connector contract tests: real connector files, named fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(system: str, name: str) -> Any:
    """A named payload from ``fixtures/<system>/<name>.json``."""
    return json.loads((FIXTURES / system / f"{name}.json").read_text(encoding="utf-8"))


def connector(system: str) -> ConnectorSpec:
    """The real connector file of a system."""
    return load_connector(ROOT / "connectors" / system / "connector.yaml")


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    """HTTP mock that fails the test when a registered request was never made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
