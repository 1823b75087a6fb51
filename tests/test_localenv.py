"""The local deployment's environment: the demo's token key and its Connections."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from synchub.localenv import LocalEnv, hub_connections, sandbox_connections


def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **outside: str) -> dict[str, str]:
    for name in ("SYNCHUB_TOKEN_KEY", "AIRFLOW__CORE__FERNET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in outside.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "hub.yaml").write_text("version: 1\nconnections: {}\n")
    return LocalEnv(tmp_path).airflow_env(None)


def test_the_token_key_is_made_once_and_kept_private(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = _env(tmp_path, monkeypatch)["SYNCHUB_TOKEN_KEY"]
    Fernet(first.encode())                       # a usable key
    key_file = tmp_path / "var" / "token.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _env(tmp_path, monkeypatch)["SYNCHUB_TOKEN_KEY"] == first


@pytest.mark.parametrize("name", ["SYNCHUB_TOKEN_KEY", "AIRFLOW__CORE__FERNET_KEY"])
def test_a_key_the_deployment_gives_is_used_as_it_is(tmp_path: Path, name: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    given = Fernet.generate_key().decode()
    env = _env(tmp_path, monkeypatch, **{name: given})
    assert env[name] == given
    assert not (tmp_path / "var" / "token.key").exists()
    if name != "SYNCHUB_TOKEN_KEY":
        assert "SYNCHUB_TOKEN_KEY" not in env


def test_each_connection_reaches_the_demo_store_of_its_system(tmp_path: Path) -> None:
    hub = tmp_path / "hub.yaml"
    hub.write_text("version: 1\nconnections:\n"
                   "  shop: {connector: shopify, conn_id: my_shop}\n"
                   "  erp: {connector: odoo, conn_id: erp}\n"
                   "  books: {connector: settlement_file, conn_id: files}\n")
    shop = {"conn_type": "http", "host": "http://sb/shopify/demo", "password": "t"}
    ready = {"stores": [
        {"system": "shopify", "name": "demo", "connection": shop},
        {"system": "shopify", "name": "other", "connection": {"host": "elsewhere"}},
        {"system": "odoo", "name": "other", "connection": {"host": "elsewhere"}}]}
    env = sandbox_connections(ready, hub_connections(hub))
    # the store named demo of the connector's system; a system without one is left alone
    assert env == {"AIRFLOW_CONN_MY_SHOP": json.dumps(shop)}
