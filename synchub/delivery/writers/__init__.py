"""Sink writers, chosen by the ``type`` of a connector's ``writers:`` entry.

Writers are registered strategies (kind ``writer``), imported only when a push run builds
them, so a connector file can be validated without importing every writer. The generic
ones live here (``signed_webhook``); each system's own under ``synchub/systems/<system>/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synchub.registry import REGISTRY

if TYPE_CHECKING:
    from synchub.delivery.base import SinkWriter


def writer_class(type_name: str) -> type[SinkWriter]:
    """The writer class registered under ``type_name``."""
    cls: type[SinkWriter] = REGISTRY.get("writer", type_name, key="writers.type")
    return cls
