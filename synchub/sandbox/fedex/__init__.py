"""The FedEx Track API simulator (with its OAuth client-credentials token endpoint).

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a project's parcels and
tokens.
"""
