"""The HubSpot CRM v3 contacts simulator (the CRM sink).

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's contacts.
"""
