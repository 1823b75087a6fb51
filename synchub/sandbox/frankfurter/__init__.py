"""The Frankfurter exchange-rates simulator (ECB reference rates, API v1).

:mod:`.system` registers it (``SYSTEM``); :mod:`.rates` generates the rates.
"""
