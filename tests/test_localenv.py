"""The local deployment's environment: the demo's token key and its Connections."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from synchub.localenv import (
    DEMO_STORES,
    LocalEnv,
    hub_connections,
    missing_stores,
    sandbox_connections,
)


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


def test_hub_yaml_keeps_var_and_another_hub_file_its_own_folder(tmp_path: Path) -> None:
    first = LocalEnv(tmp_path)
    second = LocalEnv(tmp_path, hub_file=tmp_path / "hub.selfhosted.yaml")
    assert first.var == tmp_path / "var"
    assert second.var == tmp_path / "var" / "hub.selfhosted"
    assert first.airflow_home != second.airflow_home
    assert second.airflow_home == tmp_path / "var" / "hub.selfhosted" / "airflow"
    # one sandbox serves both hubs
    assert first.sandbox_ready == second.sandbox_ready == tmp_path / "var" / "sandbox.json"


def test_the_airflow_env_names_the_hub_file_its_store_and_its_connections(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNCHUB_STORE_URL", raising=False)
    hub = tmp_path / "hub.selfhosted.yaml"
    hub.write_text("version: 1\nconnections:\n"
                   "  shop: {connector: magento, conn_id: shop}\n"
                   "  db_shop: {connector: ecshop, conn_id: db_shop}\n")
    db = {"conn_type": "mysql", "host": "127.0.0.1", "schema": "shop"}
    env = LocalEnv(tmp_path, hub_file=hub, connections={"db_shop": db})
    shop = {"conn_type": "http", "host": "http://sb/magento/demo", "password": "t"}
    out = env.airflow_env({"stores": [{"system": "magento", "name": "demo",
                                       "connection": shop}]})
    assert out["SYNCHUB_HUB"] == str(hub)
    assert out["AIRFLOW_HOME"] == str(tmp_path / "var" / "hub.selfhosted" / "airflow")
    assert out["SYNCHUB_STORE_URL"] == f"sqlite:///{tmp_path}/var/hub.selfhosted/hub.db"
    assert json.loads(out["AIRFLOW_CONN_SHOP"]) == shop
    assert json.loads(out["AIRFLOW_CONN_DB_SHOP"]) == db
    assert (tmp_path / "var" / "hub.selfhosted" / "token.key").exists()


def test_a_running_sandbox_without_a_demo_store_is_named() -> None:
    served = [{"system": s.split(":")[0], "name": s.split(":")[1]} for s in DEMO_STORES]
    assert missing_stores({"stores": served}) == []
    without = [s for s in served if s["system"] != "erpnext"]
    assert missing_stores({"stores": without}) == ["erpnext:demo"]
