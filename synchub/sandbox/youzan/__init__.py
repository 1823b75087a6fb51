"""The Youzan Cloud (有赞云) simulator: the token endpoint, the per-API URLs, pushes.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's app credentials,
tokens, orders, refunds and catalog; :mod:`.pushes` signs and shapes its push messages.
"""
