"""The Shopify Admin API simulator (REST, GraphQL, webhooks, Shopify Payments).

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a shop's data.
"""
