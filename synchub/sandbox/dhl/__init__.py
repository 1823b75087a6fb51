"""The DHL Shipment Tracking - Unified API simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's parcels.
"""
