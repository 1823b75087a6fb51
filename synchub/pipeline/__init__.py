"""The ingest pipeline: source -> map -> load -> cursor, page by page in constant memory.

:mod:`.source` yields a stream's pages (from its transport, or one request series per
input a registered source finds in the store), fetched ahead in a thread; :mod:`.map`
turns a page into canonical records and dead letters (:mod:`.mapper` spreads large
streams over worker processes); :mod:`.load` commits a page, its dead letters and the new
cursor in one transaction; :mod:`.run` drives a stream. Polling, webhook inbox processing
and replay all map and load through this package.
"""

from __future__ import annotations

from synchub.pipeline.map import map_page
from synchub.pipeline.run import StreamSummary, stock_hooks, sync_connection, sync_stream
from synchub.pipeline.source import prefetch, read_stream

__all__ = ["StreamSummary", "map_page", "prefetch", "read_stream", "stock_hooks",
           "sync_connection", "sync_stream"]
