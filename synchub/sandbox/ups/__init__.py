"""The UPS Tracking API simulator (with its OAuth client-credentials token endpoint).

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's parcels and
tokens.
"""
