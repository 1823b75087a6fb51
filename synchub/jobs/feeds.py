"""Feed jobs: the export task of ``feed__<consumer>``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synchub.feeds.export import export_consumer
from synchub.jobs.common import checked_store, load, store_url


def feed_export(hub_path: str | Path, consumer: str, *, run_id: str,
                store: str | None = None) -> dict[str, Any]:
    """Write the consumer's export files for what changed; counts and file names per entity."""
    hub = load(hub_path, mappings=False)
    with checked_store(store_url(hub, store)) as st:
        return export_consumer(st, hub, consumer, run_id=run_id)
