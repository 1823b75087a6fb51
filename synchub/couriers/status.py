"""The canonical tracking statuses: the closed set and the states a parcel never leaves.

Each courier's own vocabulary is turned into these by that system's status table (a
registered ``courier_status`` strategy, also a mapping transform), under
``synchub/systems/<courier>/status.py``.
"""

from __future__ import annotations

from typing import get_args

from synchub.canonical.shipment import TrackingStatus

STATUSES: frozenset[str] = frozenset(get_args(TrackingStatus))
# a parcel in one of these states will not change any more: the hub stops asking about it
FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "returned", "expired"})
