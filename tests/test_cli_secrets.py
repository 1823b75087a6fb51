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
