"""The AfterShip Tracking API simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's trackings.
"""
