"""Which tracking numbers a courier connection asks about (SQLite and PostgreSQL), and how a
store-fed stream is declared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from synchub.canonical.base import SourceRef
from synchub.canonical.shipment import Shipment
from synchub.config.connector_checks import load_connector
from synchub.couriers.inputs import ParcelInput, carrier_matches, open_parcels
from synchub.errors import ConfigError
from synchub.store import Store

DAY = timedelta(days=1)


def parcel(conn: str, ext: str, number: str | None, carrier: str | None, *,
           status: str = "in_transit", order: tuple[str | None, str | None] = (None, None)
           ) -> Shipment:
    return Shipment(source=SourceRef(connection=conn, system="x", external_id=ext),
                    external_id=ext, tracking_number=number, carrier=carrier, status=status,
                    order_connection=order[0], order_external_id=order[1])


def put(store: Store, conn: str, *records: Shipment) -> None:
    store.write_page(connection=conn, stream="s", records=list(records))


def test_open_parcels(store: Store) -> None:
    put(store, "erp",
        parcel("erp", "picking:1", "1111111111", "DHL Express", order=("shop", "1001")),
        parcel("erp", "picking:2", "2222222222", "DHL Parcel", order=("shop", "1002")),
        parcel("erp", "picking:3", "3333333333", "UPS Standard"),
        parcel("erp", "picking:4", None, "DHL Express"),
        parcel("erp", "picking:5", "5555555555", "DHL Express"),
        parcel("erp", "picking:6", "6666666666", "Odhlo Freight"))    # not the word dhl
    # a channel's own fulfillment: its order is in the same connection
    put(store, "shop", parcel("shop", "f:9", "9999999999", "dhl", order=(None, "1009")))
    # the courier says 2222222222 is delivered: closed; another source agrees on 5555555555
    put(store, "dhl", parcel("dhl", "2222222222", "2222222222", "DHL Parcel",
                             status="delivered"))
    put(store, "tracker", parcel("tracker", "5555555555", "5555555555", "dhl",
                                 status="returned"))

    found = open_parcels(store, connection="dhl", carriers=["dhl"], max_age=30 * DAY)
    assert found == [
        ParcelInput("1111111111", "DHL Express", "shop", "1001", found[0].shipment_id),
        ParcelInput("9999999999", "dhl", "shop", "1009", found[1].shipment_id),
    ]
    assert open_parcels(store, connection="dhl", carriers=["ups"], max_age=30 * DAY)[0] \
        .tracking_number == "3333333333"
    later = datetime.now(UTC) + 31 * DAY
    assert open_parcels(store, connection="dhl", carriers=["dhl"], max_age=30 * DAY,
                        now=later) == []


@pytest.mark.parametrize(("carrier", "words", "expected"), [
    ("DHL Express", ["dhl"], True),
    ("dhl-parcel", ["dhl"], True),
    ("Deutsche Post DHL", ["DHL"], True),
    ("ODHL Cargo", ["dhl"], False),
    (None, ["dhl"], False),
    ("UPS Standard", ["dhl", "ups"], True),
])
def test_carrier_matches(carrier: str | None, words: list[str], expected: bool) -> None:
    assert carrier_matches(carrier, words) is expected


def test_inputs_are_declared_per_stream(tmp_path: Path) -> None:
    dhl = load_connector(Path(__file__).parents[2] / "connectors" / "dhl" / "connector.yaml")
    inputs = dhl.streams["tracking"].inputs
    assert inputs is not None and inputs.carriers == ["dhl"] and inputs.not_found == [404]
    bad = tmp_path / "connector.yaml"
    bad.write_text("system: x\ntitle: X\nauth: {type: bearer}\nstreams:\n  t:\n"
                   "    path: /t\n    record_selector: r\n"
                   "    inputs: {from_store: all_orders, carriers: [dhl]}\n")
    with pytest.raises(ConfigError, match="from_store"):
        load_connector(bad)
