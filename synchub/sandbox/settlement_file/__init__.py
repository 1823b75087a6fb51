"""Settlement files (generic CSV layout) of a sandbox WooCommerce shop's payment providers.

:mod:`.system` registers the command and control route (``SYSTEM``); :mod:`.files` writes.
"""
