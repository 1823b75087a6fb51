"""Export targets stay under the exports root: anything else fails ``validate`` with file:line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synchub.config.loader import ConfigErrors
from synchub.errors import ConfigError
from synchub.feeds.export import export_consumer
from synchub.plan import load_hub
from synchub.store import Store

from .conftest import make_customer, write_hub

TO_KEY = "feeds.consumers.erp.export.to"


def consumer(to: str, settings: str = "") -> str:
    return f"""\
    erp:
      entities: [customer]
      export: {{to: "{to}", formats: [jsonl]}}
{settings}"""


def refused(tmp_path: Path, to: str, settings: str = "") -> ConfigError:
    with pytest.raises(ConfigErrors) as caught:
        write_hub(tmp_path, consumer(to, settings))
    hub_file = tmp_path / "hub.yaml"
    (error,) = [e for e in caught.value.errors if e.key == TO_KEY]
    to_line = next(n for n, text in enumerate(hub_file.read_text().splitlines(), start=1)
                   if "export:" in text)
    assert (error.file, error.line) == (str(hub_file.resolve()), to_line)
    assert str(error).startswith(f"{hub_file.resolve()}:{to_line}: {TO_KEY}: ")
    return error


@pytest.mark.parametrize("to", ["../x", "../../etc/cron.d", "exports/../../x", "/tmp/x",
                                "file:///tmp/x", "simplecache::file:///tmp/x"])
def test_a_target_outside_the_hub_folder_is_refused(tmp_path: Path, to: str) -> None:
    error = refused(tmp_path, to)
    assert "outside the exports root" in error.message and str(tmp_path) in error.message


def test_a_symlink_leading_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    os.symlink(outside, hub_dir / "exports")
    error = refused(hub_dir, "exports/erp")
    assert str(outside) in error.message


def test_exports_root_narrows_where_exports_may_go(tmp_path: Path) -> None:
    settings = "  exports_root: out\n"
    refused(tmp_path, "exports/erp", settings)
    hub = write_hub(tmp_path, consumer("out/erp", settings))
    assert hub.file.feeds is not None and hub.file.feeds.exports_root == "out"


def test_an_absolute_root_admits_targets_under_it(tmp_path: Path) -> None:
    root = tmp_path.parent / f"{tmp_path.name}-srv"
    hub = write_hub(tmp_path, consumer(f"{root}/erp", f"  exports_root: {root}\n"))
    assert hub.file.feeds is not None


def test_remote_urls_are_not_confined(tmp_path: Path) -> None:
    write_hub(tmp_path, consumer("s3://bucket/exports"))
    write_hub(tmp_path, consumer("memory://exports"))


def test_a_symlink_made_after_validation_is_refused_at_export_time(
        store: Store, tmp_path: Path) -> None:
    hub = write_hub(tmp_path, consumer("exports/erp"))
    outside = tmp_path.parent / f"{tmp_path.name}-later"
    outside.mkdir()
    os.symlink(outside, tmp_path / "exports")
    store.write_page(connection="shop", stream="customers",
                     records=[make_customer("c1", "c@example.com")])
    with pytest.raises(ConfigError, match="outside the exports root"):
        export_consumer(store, hub, "erp", run_id="r1")
    assert list(outside.iterdir()) == []
    # the hub loads again once the link is gone, and the export then writes under the root
    os.unlink(tmp_path / "exports")
    hub = load_hub(tmp_path / "hub.yaml", load_mappings=False)
    export_consumer(store, hub, "erp", run_id="r1")
    assert (tmp_path / "exports" / "erp" / "customer" / "r1.jsonl").is_file()
