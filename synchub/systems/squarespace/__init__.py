"""Squarespace Commerce: what its connector and mapping files cannot say, registered by name.

Empty so far: a plain REST API needs no Python. What goes here is code the YAML selects by
name (docs/architecture.md): an auth or signing scheme (``registry.add("auth", ...)``), a
paginator, a transport, a mapping transform, a writer, a stock publisher, a courier's
status table. Once ``register`` adds something, add its entry point to pyproject.toml
under ``[project.entry-points."synchub.systems"]`` and reinstall (``make venv``)::

    squarespace = "synchub.systems.squarespace:register"

A system that never needs Python deletes this package instead: tests/test_architecture.py
fails on a systems package that registers nothing.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Squarespace Commerce's strategies (none yet)."""
