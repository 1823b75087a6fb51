"""Couriers: tracking statuses normalized from DHL and AfterShip, and store-fed streams.

A courier connection does not list parcels by itself: the hub knows which tracking numbers
are open (from the ERP's parcels) and asks the courier about each one
(:mod:`synchub.couriers.inputs`). :mod:`synchub.couriers.status` turns the vendors' status
vocabularies into the canonical closed set of ``TrackingStatus``.
"""

from __future__ import annotations
