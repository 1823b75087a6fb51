"""The command line without Airflow: its log masks every secret of a Connection, and a
database error is one line with a hint (the traceback only with ``-v``)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from synchub.cli import main
from synchub.cli.common import setup_logging
from synchub.runtime import ConnectionInfo


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """What the root logger's handlers write, as the CLI's stderr would show it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_the_cli_log_masks_every_secret_of_an_env_connection(
        monkeypatch: pytest.MonkeyPatch, root_stream: io.StringIO) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_CLI", json.dumps({
        "conn_type": "http", "host": "https://cli-user:cli-host-pass@shop.example",
        "password": "cli-password-1",
        "extra": {"webhook": {"signing_key": "cli-whsec-2"}, "timeout": 30}}))
    info = ConnectionInfo.from_env("shop_cli")
    setup_logging(0)
    log = logging.getLogger("synchub.test")
    log.warning("sent %s, %s and %s to %s", "cli-password-1", "cli-host-pass", "cli-whsec-2",
                info.base_url)
    try:
        raise RuntimeError("failed with cli-whsec-2")
    except RuntimeError:
        log.exception("oops")
    text = root_stream.getvalue()
    assert "sent ***, *** and *** to https://***@shop.example" in text
    assert "RuntimeError: failed with ***" in text
    for secret in ("cli-password-1", "cli-host-pass", "cli-whsec-2", "cli-user"):
        assert secret not in text


UNREACHABLE = "postgresql+psycopg://hub_user:db-pass-777@127.0.0.1:5999/test"


@pytest.mark.parametrize("argv", [["runs", "--store", UNREACHABLE],
                                  ["db", "upgrade", "--store", UNREACHABLE],
                                  ["feed", "orders", "--store", UNREACHABLE]])
def test_a_database_error_is_one_line_with_a_hint(argv: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "error: database unreachable (postgresql+psycopg://***@127.0.0.1:5999/test): "
        "connection refused — is PostgreSQL running? check the store URL "
        "(--store, SYNCHUB_STORE_URL or the hub file's store:); -v shows the traceback"]
    assert "db-pass-777" not in err and "hub_user" not in err


def test_the_traceback_of_a_database_error_is_shown_with_v(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-v", "runs", "--store", UNREACHABLE])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback (most recent call last)" in err and "OperationalError" in err
    assert err.rstrip().splitlines()[-1].startswith("error: database unreachable (")
    assert "db-pass-777" not in err


@pytest.mark.postgres
def test_a_refused_login_and_a_missing_database_are_told_apart(
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import PG_URL, require_pg

    require_pg()
    host = PG_URL.split("@", 1)[1].rsplit("/", 1)[0]
    assert main(["runs", "--store", f"postgresql+psycopg://no_such_role:x-pass-1@{host}/test"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: database login refused (postgresql+psycopg://***@")
    assert "x-pass-1" not in err and len(err.splitlines()) == 1
    assert main(["runs", "--store", f"postgresql+psycopg://postgres@{host}/no_such_db"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: database not found (postgresql+psycopg://***@")


def test_an_invalid_store_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "--store", "nosuchdb://user:url-pass-5@host/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid store URL (nosuchdb://***@host/x): ")
    assert "url-pass-5" not in err and len(err.splitlines()) == 1
