"""``synchub feeds keys ...`` and ``synchub feeds export``; the consumer config checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from synchub.api.app import create_app
from synchub.cli import main
from synchub.config.feeds import FEED_NAMES
from synchub.errors import ConfigError
from synchub.feeds.reader import FEEDS
from synchub.plan import Hub
from synchub.store import Store

from .conftest import make_order, write_hub


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_create_list_revoke(capsys: pytest.CaptureFixture[str], hub: Hub,
                                 sqlite_url: str) -> None:
    base = ("--config", str(hub.path), "--store", sqlite_url)
    assert run(capsys, "db", "upgrade", *base)[0] == 0
    code, out, err = run(capsys, "feeds", "keys", "create", "erp", "--label", "nightly",
                         *base)
    assert code == 0, err
    key = out.strip()
    assert key.startswith("shk_") and "cannot be shown again" in err
    prefix = key.split("_")[1]

    store = Store.from_url(sqlite_url)
    client = TestClient(create_app(lambda: store, lambda: hub))
    assert client.get("/api/v1/feeds/order", headers={"X-API-Key": key}).status_code == 200

    code, out, _ = run(capsys, "feeds", "keys", "list", *base)
    assert code == 0 and prefix in out and "erp" in out and "nightly" in out
    assert key not in out and key.split("_", 2)[2] not in out

    code, out, _ = run(capsys, "feeds", "keys", "revoke", prefix, *base)
    assert code == 0 and f"key {prefix} of consumer 'erp' revoked" in out
    assert client.get("/api/v1/feeds/order", headers={"X-API-Key": key}).status_code == 401

    code, _, err = run(capsys, "feeds", "keys", "revoke", "deadbeef", *base)
    assert code != 0 and "no API key with prefix 'deadbeef'" in err
    code, _, err = run(capsys, "feeds", "keys", "create", "crm", *base)
    assert code != 0 and "unknown feed consumer 'crm'" in err
    store.dispose()


def test_export_command(capsys: pytest.CaptureFixture[str], hub: Hub, sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    store.migrate()
    store.write_page(connection="shop", stream="orders", records=[make_order("1")])
    store.dispose()
    base = ("--config", str(hub.path), "--store", sqlite_url)
    code, out, err = run(capsys, "feeds", "export", "erp", "--run-id", "r1", *base)
    assert code == 0, err
    assert "order: 1 records ->" in out and "customer: 0 records -> no file" in out
    assert (hub.root / "exports" / "erp" / "order" / "r1.jsonl").is_file()


def test_consumer_entities_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown feed.*'orders'"):
        write_hub(tmp_path, "    erp: {entities: [orders]}\n")


def test_config_knows_every_feed() -> None:
    assert tuple(FEEDS) == FEED_NAMES
