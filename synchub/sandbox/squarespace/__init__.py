"""The Squarespace Commerce simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's orders.
"""
