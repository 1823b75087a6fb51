"""Vendor tracking statuses -> canonical TrackingStatus, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from synchub.couriers.status import STATUSES
from synchub.registry import REGISTRY
from synchub.systems.aftership.status import AFTERSHIP_TAGS, aftership_status
from synchub.systems.dhl.status import DHL_STATUS_CODES, dhl_status


@pytest.mark.parametrize(("value", "expected"), [
    ({"statusCode": "pre-transit", "status": "Shipment information received"}, "info_received"),
    ({"statusCode": "transit", "status": "Processed at parcel center"}, "in_transit"),
    ({"statusCode": "transit", "status": "With delivery courier"}, "out_for_delivery"),
    ({"statusCode": "transit", "description": "The shipment has been loaded onto the "
                                              "delivery vehicle"}, "out_for_delivery"),
    ({"statusCode": "transit", "status": "Delivery attempt",
      "description": "An attempted delivery was unsuccessful"}, "failed_attempt"),
    ({"statusCode": "failure", "description": "Recipient not at home"}, "failed_attempt"),
    ({"statusCode": "failure", "status": "Shipment on hold"}, "exception"),
    ({"statusCode": "delivered", "status": "DELIVERED"}, "delivered"),
    ({"statusCode": "delivered", "status": "Returned to sender"}, "returned"),
    ({"statusCode": "delivered", "description": "The shipment has been returned to the "
                                                "shipper"}, "returned"),
    # words refine only the codes they belong to: a delivered parcel is not "out for delivery"
    ({"statusCode": "delivered", "description": "was out for delivery this morning"},
     "delivered"),
    ({"statusCode": "pre-transit", "description": "out for delivery"}, "info_received"),
    ({"statusCode": "unknown"}, "unknown"),
    ({"statusCode": "TRANSIT"}, "in_transit"),
    ({"statusCode": "brand-new-code"}, "unknown"),
    ({}, "unknown"),
    ("transit", "unknown"),
    (None, None),
])
def test_dhl_status(value: Any, expected: str | None) -> None:
    assert dhl_status(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ({"tag": "Pending", "subtag": "Pending_001"}, "pending"),
    ({"tag": "InfoReceived", "subtag": "InfoReceived_001"}, "info_received"),
    ({"tag": "InTransit", "subtag": "InTransit_002"}, "in_transit"),
    ({"tag": "OutForDelivery", "subtag": "OutForDelivery_001"}, "out_for_delivery"),
    ({"tag": "AvailableForPickup", "subtag": "AvailableForPickup_001"}, "out_for_delivery"),
    ({"tag": "AttemptFail", "subtag": "AttemptFail_001"}, "failed_attempt"),
    ({"tag": "Delivered", "subtag": "Delivered_001"}, "delivered"),
    ({"tag": "Exception", "subtag": "Exception_001"}, "exception"),
    ({"tag": "Exception", "subtag": "Exception_011"}, "returned"),
    ({"tag": "Expired", "subtag": "Expired_001"}, "expired"),
    ({"tag": "SomethingNew"}, "unknown"),
    ({"subtag": None}, "unknown"),
    ([], "unknown"),
    (None, None),
])
def test_aftership_status(value: Any, expected: str | None) -> None:
    assert aftership_status(value) == expected


def test_tables_only_name_canonical_statuses() -> None:
    assert set(DHL_STATUS_CODES.values()) <= STATUSES
    assert set(AFTERSHIP_TAGS.values()) <= STATUSES


def test_the_tables_are_registered_and_reached_by_the_courier_status_transform() -> None:
    table = REGISTRY.get("transform", "courier_status")
    assert table("dhl")({"statusCode": "delivered"}) == "delivered"
    assert table("aftership")({"tag": "Expired"}) == "expired"
    with pytest.raises(ValueError, match="registered: aftership, dhl"):
        table("royal_mail")
