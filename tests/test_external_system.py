"""A system shipped as its own package: installed beside the engine, found by its entry point.

The package (``synchub-acme``, written below into a folder of its own) brings a signing
auth scheme with its own connector keys and a transform. It is installed into a separate
site directory the way an installer does (the package files plus a ``.dist-info`` with its
``entry_points.txt``), then a fresh interpreter with that directory on its path validates
a hub that uses it and syncs orders from a stub HTTP server on loopback. The engine's files
are not touched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET = "acme-secret-0001"

PACKAGE = {
    "synchub_acme/__init__.py": '''
        """The ACME order API as a synchub system."""

        def register(registry):
            registry.add("auth", "acme_signature", "synchub_acme.auth:AcmeSignature.from_spec",
                         spec="synchub_acme.auth:AcmeSignatureSpec")
            registry.add("transform", "acme_points", "synchub_acme.auth:points")
        ''',
    "synchub_acme/auth.py": '''
        import hashlib
        import hmac
        from decimal import Decimal
        from typing import Literal
        from urllib.parse import urlsplit

        from pydantic import BaseModel, ConfigDict
        from requests.auth import AuthBase

        class AcmeSignatureSpec(BaseModel):
            model_config = ConfigDict(extra="forbid", frozen=True)
            type: Literal["acme_signature"]
            key_field: str = "password"
            header: str = "X-Acme-Signature"

        class AcmeSignature(AuthBase):
            def __init__(self, key, header):
                self.key, self.header = key, header

            def __call__(self, r):
                path = urlsplit(r.url).path
                r.headers[self.header] = hmac.new(self.key.encode(), path.encode(),
                                                  hashlib.sha256).hexdigest()
                return r

            @classmethod
            def from_spec(cls, spec, conn, session, timeout):
                return cls(str(conn.field(spec.key_field)), spec.header)

        def points(args):
            return lambda value: None if value is None else int(Decimal(value) // 100)
        ''',
}

CONNECTOR = """
system: acme
title: ACME orders
auth: {type: acme_signature, header: X-Acme-Signature}
streams:
  orders:
    path: /v1/orders
    record_selector: orders
    paginator: {type: page_number}
    page_size: 2
    page_size_param: size
    mappings: [customers]
"""

MAPPING = """
entity: customer
id: {path: id, transform: to_str}
fields:
  email: {path: mail}
  created_at: {path: created, transform: parse_datetime}
  orders_count: {path: spent_cents, transform: acme_points}
"""

ORDERS = [{"id": i, "mail": f"c{i}@example.com", "created": f"2026-11-0{i}T10:00:00Z",
           "spent_cents": 1000 * i + 99} for i in range(1, 6)]


def install_into(site: Path, source: Path, name: str, version: str) -> None:
    """Place a package's files and its metadata in ``site``, as an installer does."""
    for path in source.rglob("*.py"):
        target = site / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        (source / "entry_points.txt").read_text())
    (info / "RECORD").write_text("")


class _Orders(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        want = hmac.new(SECRET.encode(), path.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(self.headers.get("X-Acme-Signature", ""), want):
            self._answer(401, {"error": "bad signature"})
            return
        query = dict(p.split("=") for p in self.path.partition("?")[2].split("&") if p)
        page, size = int(query.get("page", 1)), int(query.get("size", 2))
        self._answer(200, {"orders": ORDERS[(page - 1) * size: page * size]})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Orders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_system_installed_as_its_own_package_validates_and_syncs(tmp_path: Path,
                                                                    stub: str) -> None:
    source = tmp_path / "synchub-acme"
    for rel, text in PACKAGE.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(textwrap.dedent(text))
    (source / "entry_points.txt").write_text("[synchub.systems]\nacme = synchub_acme:register\n")
    site = tmp_path / "site"
    install_into(site, source, "synchub-acme", "0.1.0")

    deploy = tmp_path / "deploy"
    (deploy / "connectors" / "acme").mkdir(parents=True)
    (deploy / "connectors" / "acme" / "connector.yaml").write_text(CONNECTOR)
    (deploy / "mappings" / "acme").mkdir(parents=True)
    (deploy / "mappings" / "acme" / "customers.yaml").write_text(MAPPING)
    (deploy / "hub.yaml").write_text(
        "version: 1\nstore: {default_url: 'sqlite:///hub.db'}\n"
        "connections:\n  acme_shop: {connector: acme, conn_id: acme_shop}\n")
    env = {**os.environ, "PYTHONPATH": str(site),
           "AIRFLOW_CONN_ACME_SHOP": json.dumps({"conn_type": "http", "host": stub,
                                                 "password": SECRET})}
    script = textwrap.dedent(f"""
        import json
        from synchub.plan import load_hub
        from synchub.pipeline import sync_stream
        from synchub.registry import REGISTRY
        from synchub.runtime import ConnectionInfo
        from synchub.store import Store

        hub = load_hub({str(deploy / "hub.yaml")!r})
        store = Store.from_url(hub.store_url())
        store.migrate()
        summary = sync_stream(hub, "acme_shop", "orders", store=store,
                              conn_info=ConnectionInfo.from_env("acme_shop"))
        entry = REGISTRY.entry("auth", "acme_signature")
        totals = sorted(r["orders_count"] for r in store.read_feed("customer").records)
        print(json.dumps({{"summary": summary.as_dict(), "package": entry.package,
                          "totals": totals}}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=deploy,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["package"] == "synchub-acme"
    assert (out["summary"]["fetched"], out["summary"]["stored"],
            out["summary"]["quarantined"]) == (5, 5, 0)
    assert out["totals"] == [10, 20, 30, 40, 50]

    # `synchub systems` lists the package's strategies under its name
    listed = subprocess.run([sys.executable, "-m", "synchub.cli", "systems", "--kind", "auth"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if "acme_signature" in ln)
    assert "synchub-acme" in line and "synchub_acme.auth:AcmeSignature.from_spec" in line

    # a key the system's own auth model does not know is a config error with file and line
    (deploy / "connectors" / "acme" / "connector.yaml").write_text(
        CONNECTOR.replace("header: X-Acme-Signature", "heder: X-Acme-Signature"))
    check = subprocess.run([sys.executable, "-m", "synchub.cli", "validate", "--config",
                            str(deploy / "hub.yaml")], env=env, capture_output=True,
                           text=True, timeout=120, check=False)
    assert check.returncode == 2, check.stdout + check.stderr
    assert "connector.yaml:4: auth.heder" in check.stdout + check.stderr

    # a second plugin that cannot be imported is reported; the others still load
    broken = tmp_path / "broken-plugin"
    (broken / "synchub_broken").mkdir(parents=True)
    (broken / "synchub_broken" / "__init__.py").write_text("import no_such_module\n")
    (broken / "entry_points.txt").write_text(
        "[synchub.systems]\nbroken = synchub_broken:register\n")
    install_into(site, broken, "synchub-broken", "0.0.1")
    listed = subprocess.run([sys.executable, "-m", "synchub.cli", "systems"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 1
    assert "synchub-broken failed to load: ModuleNotFoundError" in listed.stderr
    assert "acme_signature" in listed.stdout and "odoo_jsonrpc" in listed.stdout

    # without the package the same hub names the auth schemes that do exist
    bare = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    check = subprocess.run([sys.executable, "-m", "synchub.cli", "validate", "--config",
                            str(deploy / "hub.yaml")], env=bare, capture_output=True,
                           text=True, timeout=120, check=False)
    assert check.returncode == 2
    assert "acme_signature" in check.stdout + check.stderr
