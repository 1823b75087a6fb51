"""The local environment `make demo` and `make airflow` run in: paths, sandbox, Airflow env.

Everything lives under ``var/`` beside the hub file: the embedded store, Airflow's home
and metadata database, the sandbox's ready file and logs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from synchub.errors import SynchubError

SANDBOX_PORT = int(os.environ.get("SYNCHUB_SANDBOX_PORT", "8765"))
# volume of the demo stores; small enough for a quick first run, big enough to page
DEMO_STORES = [
    "shopify:demo:orders=600,customers=150,products=40",
    "woocommerce:demo:orders=400,customers=120,products=30",
    "odoo:demo:products=40",
    "hubspot:demo:customers=0",   # an empty CRM: the shops' customers are pushed to it
    "dhl:demo",
    "aftership:demo",
    "frankfurter:demo",           # ECB reference rates for the ledger
    "ebay:demo:orders=300,customers=100,products=40",
    # searchOrders allows a burst of 20 calls, then one every 179 s: 300 orders are three
    # pages, so the demo's first sync stays inside the burst the sandbox enforces
    "amazon:demo:orders=300,customers=120",
    "taobao:demo:orders=200",     # the day before the sandbox started, read in 30 min windows
    "jd:demo:orders=150",
    "pinduoduo:demo:orders=150",
]
# the marketplace a demo Amazon listing is written to (Amazon.de in the sandbox)
AMAZON_MARKETPLACE = "A1PA6795UKMFR9"
# the signing secrets of the demo shops' webhooks (Shopify signs with the app's secret; a
# WooCommerce webhook with the secret given when it is created)
SHOPIFY_WEBHOOK_SECRET = "shpss_sandbox_{name}"  # noqa: S105 - the sandbox's test secret
WOO_WEBHOOK_SECRET = "wc_webhook_sandbox_{name}"  # noqa: S105 - the sandbox's test secret


@dataclass
class LocalEnv:
    """Paths of one local deployment rooted at the hub file's folder."""

    root: Path

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def airflow_home(self) -> Path:
        return self.var / "airflow"

    @property
    def sandbox_ready(self) -> Path:
        return self.var / "sandbox.json"

    @property
    def bin_dir(self) -> Path:
        return Path(sys.executable).parent

    def airflow_env(self, sandbox: dict[str, Any] | None) -> dict[str, str]:
        """Environment for Airflow commands: home, DAG folder, hub, store, Connections."""
        env = dict(os.environ)
        env.update({
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.root / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.root / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "SYNCHUB_HUB": str(self.root / "hub.yaml"),
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
        })
        env.setdefault("SYNCHUB_STORE_URL", f"sqlite:///{self.var / 'hub.db'}")
        if sandbox:
            env.update(sandbox_connections(sandbox))
            # the payment provider drops its settlement files for the Woo shop here
            env["AIRFLOW_CONN_WOO_SETTLEMENTS"] = json.dumps(
                {"conn_type": "fs", "host": str(self.settlements)})
        return env

    @property
    def settlements(self) -> Path:
        """Where the demo's settlement files arrive (written by the sandbox)."""
        return self.var / "settlements" / "woo_demo"


def sandbox_connections(ready: dict[str, Any]) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables pointing the demo connections at the sandbox."""
    out = {}
    for store in ready.get("stores", []):
        system, name, cred = store["system"], store["name"], store.get("credentials", {})
        if system == "shopify":
            conn = {"conn_type": "http", "host": store["url"], "password": cred["access_token"],
                    "extra": {"webhook_secret": SHOPIFY_WEBHOOK_SECRET.format(name=name)}}
            out[f"AIRFLOW_CONN_SHOPIFY_{name.upper()}"] = json.dumps(conn)
        elif system == "woocommerce":
            conn = {"conn_type": "http", "host": store["url"], "login": cred["consumer_key"],
                    "password": cred["consumer_secret"],
                    "extra": {"webhook_secret": WOO_WEBHOOK_SECRET.format(name=name)}}
            out[f"AIRFLOW_CONN_WOO_{name.upper()}"] = json.dumps(conn)
        elif system == "hubspot":
            conn = {"conn_type": "http", "host": store["url"], "password": cred["access_token"]}
            out[f"AIRFLOW_CONN_HUBSPOT_{name.upper()}"] = json.dumps(conn)
        elif system == "frankfurter" and name == "demo":
            out["AIRFLOW_CONN_ECB_RATES"] = json.dumps({"conn_type": "http",
                                                        "host": store["url"]})
        elif system in ("dhl", "aftership"):
            conn = {"conn_type": "http", "host": store["url"], "password": cred["api_key"]}
            out[f"AIRFLOW_CONN_{system.upper()}_{name.upper()}"] = json.dumps(conn)
        elif system == "ebay":
            # the Finances API's own host (apiz) is the same sandbox store
            conn = {"conn_type": "http", "host": store["url"], "login": cred["client_id"],
                    "password": cred["client_secret"],
                    "extra": {"refresh_token": cred["refresh_token"],
                              "token_url": f"{store['url']}/identity/v1/oauth2/token",
                              "finances_host": store["url"]}}
            out[f"AIRFLOW_CONN_EBAY_{name.upper()}"] = json.dumps(conn)
        elif system == "amazon":
            conn = {"conn_type": "http", "host": store["url"], "login": cred["client_id"],
                    "password": cred["client_secret"],
                    "extra": {"refresh_token": cred["refresh_token"],
                              "token_url": f"{store['url']}/auth/o2/token",
                              "seller_id": cred["seller_id"],
                              "marketplace_id": AMAZON_MARKETPLACE}}
            out[f"AIRFLOW_CONN_AMAZON_{name.upper()}"] = json.dumps(conn)
        elif system in ("taobao", "jd", "pinduoduo"):
            # signed gateways: the app's key and secret, the seller's session token
            key, secret, session = (cred.get("app_key") or cred["client_id"],
                                    cred.get("app_secret") or cred["client_secret"],
                                    cred.get("session") or cred["access_token"])
            conn = {"conn_type": "http", "host": store["url"], "login": key,
                    "password": secret, "extra": {"session": session}}
            out[f"AIRFLOW_CONN_{system.upper()}_{name.upper()}"] = json.dumps(conn)
        elif system == "odoo":
            conn = {"conn_type": "http", "host": store["url"], "schema": cred["db"],
                    "login": cred["login"], "password": cred["password"]}
            out[f"AIRFLOW_CONN_ODOO_{name.upper()}"] = json.dumps(conn)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def sandbox_status(env: LocalEnv) -> dict[str, Any] | None:
    """The running sandbox's ready document, or None when it is not up."""
    try:
        ready: dict[str, Any] = json.loads(env.sandbox_ready.read_text())
    except (OSError, ValueError):
        return None
    if not _alive(int(ready.get("pid", 0))):
        return None
    try:
        requests.get(f"{ready['base_url']}/_sandbox/health", timeout=2).raise_for_status()
    except requests.RequestException:
        return None
    return ready


def ensure_sandbox(env: LocalEnv, timeout: float = 30.0) -> tuple[dict[str, Any], bool]:
    """Start the sandbox in the background unless it runs; return (ready doc, started now)."""
    ready = sandbox_status(env)
    if ready:
        return ready, False
    env.var.mkdir(parents=True, exist_ok=True)
    env.sandbox_ready.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "synchub.sandbox", "--host", "127.0.0.1",
           "--port", str(SANDBOX_PORT), "--ready-file", str(env.sandbox_ready)]
    for s in DEMO_STORES:
        cmd += ["--store", s]
    with (env.var / "sandbox.log").open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SynchubError(f"the sandbox exited with status {proc.returncode}; "
                               f"see {env.var / 'sandbox.log'}")
        ready = sandbox_status(env)
        if ready:
            return ready, True
        time.sleep(0.2)
    proc.terminate()
    raise SynchubError(f"the sandbox did not come up within {timeout:.0f}s; "
                       f"see {env.var / 'sandbox.log'}")


def stop_sandbox(env: LocalEnv) -> bool:
    """Stop a sandbox started by ``ensure_sandbox``; True if one was running."""
    try:
        ready = json.loads(env.sandbox_ready.read_text())
    except (OSError, ValueError):
        return False
    pid = int(ready.get("pid", 0))
    if not pid or not _alive(pid):
        env.sandbox_ready.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    env.sandbox_ready.unlink(missing_ok=True)
    return True
