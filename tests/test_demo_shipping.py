"""The demo's warehouse step: which courier a parcel leaves with and the number it gets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from synchub.demo import COURIERS, WAREHOUSES, _default_couriers, _parcel
from synchub.plan import load_hub
from synchub.sandbox.kit.parcels import normalize_number, well_formed

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("hub_file", "couriers"), [
    ("hub.yaml", ["dhl"]),                    # SF Express hands out waybills instead
    ("hub.selfhosted.yaml", ["fedex", "ups"]),
])
def test_orders_without_a_waybill_leave_with_the_hubs_tracking_couriers(
        hub_file: str, couriers: list[str]) -> None:
    hub = load_hub(ROOT / hub_file)
    waybills = {"sf_express_demo"} if hub_file == "hub.yaml" else set()
    assert _default_couriers(hub, waybills) == couriers
    erps = {p.system for p in hub.connections.values() if "erp" in p.config.roles}
    assert erps <= set(WAREHOUSES)


def test_a_parcel_keeps_its_waybill_or_gets_a_number_its_courier_knows() -> None:
    row = SimpleNamespace(connection="magento_demo", external_id="12")
    assert _parcel(row, ("sf_express", "SF1234567890123"), ["ups"]) == (
        "sf_express", "SF1234567890123")
    assert _parcel(row, None, []) is None
    seen = set()
    for n in range(20):
        track, number = _parcel(SimpleNamespace(connection="shop", external_id=str(n)),
                                None, ["fedex", "ups"]) or ("", "")
        seen.add(track)
        assert well_formed(normalize_number(number)), number
        assert number.startswith("1Z") if track == "ups" else len(number) == 12
    assert seen == {"fedex", "ups"}
    assert set(COURIERS) >= {"dhl", "sf_express", "ups", "fedex"}
