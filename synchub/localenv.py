"""The local environment `make demo` and `make airflow` run in: paths, sandbox, Airflow env.

Everything lives under ``var/`` beside the hub file: the embedded store, Airflow's home
and metadata database, the sandbox's ready file and logs. ``hub.yaml`` keeps its state in
``var/`` itself; another hub file (``hub.selfhosted.yaml``) in ``var/<its stem>/``
(``var/hub.selfhosted/``), so two demo hubs never share a store or an Airflow home. The
sandbox is one process for every hub of the folder: its ready file and log stay in ``var/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

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
    "youzan:demo:orders=80",      # eight buyers, shipping from the China warehouse
    "weimob:demo:orders=60",
    "weidian:demo:orders=60",
    "udesk:demo:customers=0",     # an empty service desk: the Youzan buyers are pushed to it
    "sf_express:demo",
    # hub.selfhosted.yaml: the self-hosted shops, their ERP, CRM and US couriers
    "magento:demo:orders=200,customers=80,products=40",
    "erpnext:demo:products=40",
    "salesforce:demo:customers=0",   # an empty CRM: the shops' customers are pushed to it
    "ups:demo",
    "fedex:demo",
]
DEFAULT_HUB = "hub.yaml"


@dataclass
class LocalEnv:
    """Paths of one local deployment rooted at the hub file's folder.

    ``connections`` are Connections the deployment gives besides the sandbox's (conn_id ->
    Airflow Connection as a dict), such as a shop's database the demo created itself.
    """

    root: Path
    hub_file: Path | None = None
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def hub(self) -> Path:
        """The hub file (``<root>/hub.yaml`` unless given)."""
        return self.hub_file or self.root / DEFAULT_HUB

    @property
    def shared_var(self) -> Path:
        """``var/`` of the folder: what every hub of it shares (the sandbox)."""
        return self.root / "var"

    @property
    def var(self) -> Path:
        """This hub's state: ``var/`` for hub.yaml, ``var/<stem>/`` for another hub file."""
        if self.hub.name == DEFAULT_HUB:
            return self.shared_var
        return self.shared_var / self.hub.stem

    @property
    def airflow_home(self) -> Path:
        return self.var / "airflow"

    @property
    def sandbox_ready(self) -> Path:
        return self.shared_var / "sandbox.json"

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
            "SYNCHUB_HUB": str(self.hub),
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
        })
        env.setdefault("SYNCHUB_STORE_URL", f"sqlite:///{self.var / 'hub.db'}")
        if not env.get("SYNCHUB_TOKEN_KEY") and not env.get("AIRFLOW__CORE__FERNET_KEY"):
            env["SYNCHUB_TOKEN_KEY"] = self.token_key()
        if sandbox:
            env.update(sandbox_connections(sandbox, hub_connections(self.hub)))
            # the payment provider drops its settlement files for the Woo shop here
            env["AIRFLOW_CONN_WOO_SETTLEMENTS"] = json.dumps(
                {"conn_type": "fs", "host": str(self.settlements)})
        for conn_id, conn in self.connections.items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
        return env

    def token_key(self) -> str:
        """The key the store encrypts shared access tokens with (ADR 0020): made once for
        this local deployment, kept in ``var/token.key`` readable by its owner only."""
        path = self.var / "token.key"
        if not path.exists():
            from cryptography.fernet import Fernet

            self.var.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        return path.read_text().strip()

    @property
    def settlements(self) -> Path:
        """Where the demo's settlement files arrive (written by the sandbox)."""
        return self.var / "settlements" / "woo_demo"


def sandbox_connections(ready: dict[str, Any],
                        hub_connections: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables pointing the hub's connections at the sandbox.

    A connection reaches the sandbox store ``demo`` of its connector's system, through the
    Connection that store describes (``BaseStore.connection``); connections whose system the
    sandbox does not simulate are left to their own Connections.
    """
    stores = {(s["system"], s["name"]): s for s in ready.get("stores", [])}
    out = {}
    for spec in hub_connections.values():
        store = stores.get((spec.get("connector"), "demo"))
        if store is not None and store.get("connection"):
            out[f"AIRFLOW_CONN_{str(spec['conn_id']).upper()}"] = json.dumps(store["connection"])
    return out


def hub_connections(hub_file: Path) -> dict[str, dict[str, Any]]:
    """The ``connections`` of a hub file as written (validated by ``synchub validate``)."""
    try:
        doc = yaml.safe_load(hub_file.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SynchubError(f"{hub_file}: cannot read the hub file: {exc}") from exc
    conns = doc.get("connections") or {}
    return {name: spec for name, spec in conns.items() if isinstance(spec, dict)}


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


def missing_stores(ready: dict[str, Any]) -> list[str]:
    """The ``system:name`` of :data:`DEMO_STORES` a running sandbox does not serve."""
    served = {f"{s['system']}:{s['name']}" for s in ready.get("stores", [])}
    wanted = [":".join(spec.split(":", 2)[:2]) for spec in DEMO_STORES]
    return [w for w in wanted if w not in served]


def ensure_sandbox(env: LocalEnv, timeout: float = 30.0) -> tuple[dict[str, Any], bool]:
    """Start the sandbox in the background unless it runs; return (ready doc, started now)."""
    ready = sandbox_status(env)
    if ready:
        missing = missing_stores(ready)
        if missing:
            raise SynchubError(f"the running sandbox ({ready['base_url']}) serves no "
                               f"{', '.join(missing)} store: it was started before these "
                               "were added; `make stop` and run the demo again")
        return ready, False
    env.shared_var.mkdir(parents=True, exist_ok=True)
    env.sandbox_ready.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "synchub.sandbox", "--host", "127.0.0.1",
           "--port", str(SANDBOX_PORT), "--ready-file", str(env.sandbox_ready)]
    for s in DEMO_STORES:
        cmd += ["--store", s]
    with (env.shared_var / "sandbox.log").open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SynchubError(f"the sandbox exited with status {proc.returncode}; "
                               f"see {env.shared_var / 'sandbox.log'}")
        ready = sandbox_status(env)
        if ready:
            return ready, True
        time.sleep(0.2)
    proc.terminate()
    raise SynchubError(f"the sandbox did not come up within {timeout:.0f}s; "
                       f"see {env.shared_var / 'sandbox.log'}")


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
