"""The Amazon Selling Partner API simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's orders.
"""
