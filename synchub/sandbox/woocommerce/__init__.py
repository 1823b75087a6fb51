"""The WooCommerce REST API v3 simulator (orders, catalog, batch stock writes, webhooks).

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a site's data.
"""
