"""The Odoo 17 external API simulator (JSON-RPC): stock master, sales, accounting.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a database.
"""
