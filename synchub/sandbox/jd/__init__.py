"""The JD open platform (JOS) simulator: the signed gateway and the POP order search.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's app credentials,
access_token and orders.
"""
