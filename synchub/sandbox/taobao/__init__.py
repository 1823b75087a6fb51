"""The Taobao / Tmall Open Platform (TOP) simulator: the signed gateway and trade lists.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's app credentials,
session and trades.
"""
