"""The Squarespace Commerce (Orders API 1.0) simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a site's catalog and orders.
"""
