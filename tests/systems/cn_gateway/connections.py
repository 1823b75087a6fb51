"""The Airflow Connection of a simulated Taobao, JD or Pinduoduo shop, for tests."""

from __future__ import annotations

from typing import Any

from synchub.runtime import ConnectionInfo

# the shop's credentials() keys: app key, secret, session
KEYS = {"taobao": ("app_key", "app_secret", "session"),
        "jd": ("app_key", "app_secret", "access_token"),
        "pinduoduo": ("client_id", "client_secret", "access_token")}


def shop_connection(conn_id: str, shop: Any, url: str) -> ConnectionInfo:
    """login: the app key, password: the secret, extra.session: the seller's token."""
    key, secret, session = (shop.credentials()[k] for k in KEYS[shop.system])
    return ConnectionInfo(conn_id=conn_id, conn_type="http", host=url, login=key,
                          password=secret, extra={"session": session})
