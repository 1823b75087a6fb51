"""The Pinduoduo open platform simulator: the signed gateway and the order increment list.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's app credentials,
access token and orders.
"""
