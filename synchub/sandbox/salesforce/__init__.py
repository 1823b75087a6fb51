"""The Salesforce REST API simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds one org: its connected app,
sessions, records by SObject and the query locators of open queries.
"""
