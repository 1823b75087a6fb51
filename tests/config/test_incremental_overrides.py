"""hub.yaml can tune a connector's incremental window per connection and per stream."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from synchub.config.loader import ConfigErrors
from synchub.plan import load_hub

ROOT = Path(__file__).resolve().parents[2]


def hub(tmp_path: Path, connections: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(f"version: 1\nconnectors_dir: {ROOT / 'connectors'}\n"
                    f"mappings_dir: {ROOT / 'mappings'}\nconnections:\n{connections}")
    return path


def test_connection_and_stream_overrides(tmp_path: Path) -> None:
    loaded = load_hub(hub(tmp_path, """\
  eu:
    connector: shopify
    conn_id: eu
    incremental: {safety_lag: 5s}
    streams:
      orders: {incremental: {lookback: 30m}}
      customers: {}
  us:
    connector: shopify
    conn_id: us
    streams: [orders]
"""))
    eu = loaded.connection("eu").connector.streams
    us = loaded.connection("us").connector.streams
    assert eu["orders"].incremental.lookback == timedelta(minutes=30)
    assert eu["orders"].incremental.safety_lag == timedelta(seconds=5)
    assert eu["customers"].incremental.safety_lag == timedelta(seconds=5)
    assert eu["customers"].incremental.lookback == timedelta(minutes=10)   # the connector's
    # another connection of the same system keeps the connector's own window
    assert us["orders"].incremental.safety_lag == timedelta(minutes=1)
    assert us["orders"].incremental.lookback == timedelta(minutes=10)


def test_a_full_refresh_stream_cannot_be_tuned(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as info:
        load_hub(hub(tmp_path, """\
  woo:
    connector: woocommerce
    conn_id: woo
    streams:
      customers: {incremental: {lookback: 1h}}
"""))
    assert "stream 'customers' is not incremental" in info.value.errors[0].message
    assert "connections.woo.streams.customers" in info.value.errors[0].message


def test_a_first_run_reads_as_far_back_as_the_hub_says(tmp_path: Path) -> None:
    loaded = load_hub(hub(tmp_path, """\
  rates:
    connector: frankfurter
    conn_id: rates
    streams:
      rates: {incremental: {initial_lookback: 800d}}
  plain:
    connector: frankfurter
    conn_id: plain
"""))
    tuned = loaded.connection("rates").connector.streams["rates"].incremental
    shipped = loaded.connection("plain").connector.streams["rates"].incremental
    assert tuned.initial_lookback == timedelta(days=800)
    assert shipped.initial_lookback == timedelta(days=90)   # the connector's own
    # the demo's rates reach back to the oldest orders its books convert
    demo = load_hub(ROOT / "hub.yaml").connection("ecb_rates").connector.streams["rates"]
    assert demo.incremental.initial_lookback >= timedelta(days=700)
