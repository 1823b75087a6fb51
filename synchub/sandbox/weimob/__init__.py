"""The Weimob (微盟) WOS simulator: the OAuth2 token endpoint and the apigw APIs.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's app credentials,
tokens, orders, after-sales (rights), goods and stock.
"""
