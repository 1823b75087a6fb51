"""The command line: ready file with URLs and credentials, clean exit on SIGTERM and SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from synchub.sandbox.cli import main, parse_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_file_then_clean_exit(tmp_path: Path, sig: signal.Signals) -> None:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "synchub.sandbox", "--port", "0", "--seed", "5",
         "--store", "shopify:demo:orders=30,customers=5,products=3",
         "--store", "woocommerce:shop2:orders=10", "--ready-file", str(ready)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60   # a loaded machine imports slowly
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["pid"] == proc.pid
        stores = {(s["system"], s["name"]): s for s in info["stores"]}
        shop = stores[("shopify", "demo")]
        assert shop["counts"]["orders"] == 30
        resp = requests.get(shop["url"] + "/admin/api/2025-07/orders/count.json",
                            params={"status": "any"}, timeout=5,
                            headers={"X-Shopify-Access-Token": shop["credentials"]["access_token"]})
        assert resp.json() == {"count": 30}
        assert stores[("woocommerce", "shop2")]["credentials"]["consumer_key"].startswith("ck_")
        assert requests.get(info["base_url"] + "/_sandbox/health", timeout=5).ok
    finally:
        proc.send_signal(sig)
        code = proc.wait(timeout=15)
    assert code == 0
    assert not ready.exists()


@pytest.mark.parametrize("spec", ["shopify", "nosuchshop:x", "shopify:demo:orders=ten",
                                  "shopify:demo:colour=1"])
def test_bad_store_spec_is_rejected(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", spec]) == 2
    assert "--store" in capsys.readouterr().err


def test_parse_store() -> None:
    assert parse_store("woocommerce:demo:orders=5,poisoned=1") == (
        "woocommerce", "demo", {"orders": 5, "poisoned": 1})
