"""A simulated Taobao, JD or Pinduoduo shop's Airflow Connection, and a hub with one
connection to it, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo

ROOT = Path(__file__).resolve().parents[3]

# the shop's credentials() keys: app key, secret, session
KEYS = {"taobao": ("app_key", "app_secret", "session"),
        "jd": ("app_key", "app_secret", "access_token"),
        "pinduoduo": ("client_id", "client_secret", "access_token")}


def shop_connection(conn_id: str, shop: Any, url: str) -> ConnectionInfo:
    """login: the app key, password: the secret, extra.session: the seller's token."""
    key, secret, session = (shop.credentials()[k] for k in KEYS[shop.system])
    return ConnectionInfo(conn_id=conn_id, conn_type="http", host=url, login=key,
                          password=secret, extra={"session": session})


def one_connection_hub(tmp_path: Path, name: str, system: str) -> Hub:
    """A hub with the project's connectors and mappings and one connection ``name``."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {name: {"connector": system, "conn_id": name}}}))
    return load_hub(path)
