"""``synchub db upgrade``: the one command that migrates; every other one checks and says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synchub.cli import main
from synchub.store.migrate import head_revision
from tests.e2e.conftest import write_hub


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_db_upgrade_migrates_a_fresh_store_once_and_commands_check_it(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    monkeypatch.setenv("SYNCHUB_STORE_URL", db_url)
    config = ("--config", str(hub))

    code, out, err = run(capsys, "runs", *config)
    assert code == 2 and out == ""
    assert "has not been migrated" in err and "run `synchub db upgrade`" in err
    code, _, err = run(capsys, "feed", "orders", *config)
    assert code == 2 and "run `synchub db upgrade`" in err

    code, out, _ = run(capsys, "db", "upgrade", *config)
    assert code == 0
    assert out.strip().endswith(f": upgraded from revision none (empty) to {head_revision()}")
    assert "hub store " in out and "password" not in out
    code, out, _ = run(capsys, "db", "upgrade", *config)
    assert code == 0 and out.strip().endswith(f": at revision {head_revision()} already")

    assert run(capsys, "runs", *config)[0] == 0
    code, _, err = run(capsys, "feed", "orders", *config)
    assert code == 0 and '"next_cursor": null' in err


def test_db_upgrade_takes_a_store_url(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    hub = write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop_conn"}})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "db", "upgrade", "--config", str(hub), "--store",
                       "sqlite:///other.db")
    assert code == 0 and f"sqlite:///{tmp_path / 'other.db'}" in out
    assert (tmp_path / "other.db").exists() and not (tmp_path / "unused.db").exists()


def test_python_dash_m_runs_the_same_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "synchub.cli", "db", "--help"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and "upgrade" in proc.stdout
