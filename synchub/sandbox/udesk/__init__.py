"""The Udesk Open API v2 simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a Udesk tenant's customers and
tickets.
"""
