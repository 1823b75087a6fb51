"""The systems the hub speaks to, one package each, registered through entry points.

Each ``synchub/systems/<system>/`` holds all of one system's Python (auth or signing,
transport quirks, transforms, writers, stock publisher, status table) and a
``register(registry)`` function named by an entry point of the group ``synchub.systems``
in pyproject.toml. The engine never imports these packages by name: it finds their
strategies in :mod:`synchub.registry`. A system may equally ship as its own package.
"""
