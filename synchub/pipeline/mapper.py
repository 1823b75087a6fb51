"""Map pages of raw records in worker processes, in order, while the caller fetches and writes.

Mapping and validation are the largest cost of ingest and are pure CPU, so on a machine with
several cores they run in a pool of worker processes; the calling process keeps the network
and the database transaction. Pages come back in the order they were submitted, so the
stream's cursor still advances page by page after each commit. Workers return
:class:`~synchub.store.StoredRecord` rows (JSON serialized in the worker), which cost little
to send back.

Small syncs never pay for starting a pool: the first pages are mapped in-process and the
pool starts only when a stream turns out to be large.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synchub.errors import ConfigError
from synchub.mapping import load_mapping
from synchub.pipeline.map import map_page
from synchub.plan import StreamPlan
from synchub.store import to_stored

log = logging.getLogger("synchub.pipeline")
WORKERS_ENV = "SYNCHUB_MAP_WORKERS"
INLINE_PAGES = 8   # pages mapped in-process before a pool is worth its start-up (~1 s)


@dataclass
class MappedPage:
    """One page after mapping: rows to write, dead letters, raw index of each row."""

    records: list[Any]
    dead: list[Any]
    skipped: int
    origins: list[int]


def workers_wanted(setting: str | int | None = None) -> int:
    """Worker processes to use: ``SYNCHUB_MAP_WORKERS`` (a number, or ``auto``).

    ``auto`` uses one per core on a machine with more than one, none on a single core or
    inside a daemonic process (which may not start children).
    """
    value = setting if setting is not None else os.environ.get(WORKERS_ENV, "auto")
    if multiprocessing.current_process().daemon:
        return 0
    if isinstance(value, int):
        return max(0, value)
    if value.strip().lower() == "auto":
        cores = os.cpu_count() or 1
        return cores if cores > 1 else 0
    try:
        return max(0, int(value))
    except ValueError:
        raise ConfigError(f"{WORKERS_ENV} must be a number or 'auto', got {value!r}") from None


# --- the worker side ------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(mapping_files: list[str], connection: str, system: str,
                 context: dict[str, Any]) -> None:
    _worker["plan"] = StreamPlan("worker", False, [load_mapping(Path(f)) for f in mapping_files])
    _worker["args"] = (connection, system, context)


def _map_in_worker(raw_records: list[dict[str, Any]]) -> MappedPage:
    connection, system, context = _worker["args"]
    return map_to_rows(raw_records, _worker["plan"], connection, system, context)


def map_to_rows(raw_records: list[dict[str, Any]], plan: Any, connection: str, system: str,
                context: dict[str, Any]) -> MappedPage:
    """Map a page and serialize its records for the store (what a worker does)."""
    origins: list[int] = []
    records, dead, skipped = map_page(raw_records, plan, connection, system, context, origins)
    return MappedPage([to_stored(r) for r in records], dead, skipped, origins)


# --- the caller side ------------------------------------------------------------------------

class PageMapper:
    """Maps pages in order: in-process at first, then in a pool once a stream is large."""

    def __init__(self, plan: Any, connection: str, system: str, context: dict[str, Any],
                 workers: int) -> None:
        self.plan, self.connection, self.system, self.context = plan, connection, system, context
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._pages = 0

    def map_inline(self, raw: list[dict[str, Any]]) -> MappedPage:
        """Map a page in this process."""
        return map_to_rows(raw, self.plan, self.connection, self.system, self.context)

    def give_up_pool(self, why: BaseException) -> None:
        """Stop using workers (one died, or could not start); map in-process from now on."""
        log.warning("mapping workers stopped (%s: %s); mapping in-process from here on",
                    type(why).__name__, why)
        self.workers = 0
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _inline(self, raw: list[dict[str, Any]]) -> Future[MappedPage]:
        fut: Future[MappedPage] = Future()
        try:
            fut.set_result(map_to_rows(raw, self.plan, self.connection, self.system,
                                       self.context))
        except BaseException as exc:  # handed to whoever reads the result, like a pool would
            fut.set_exception(exc)
        return fut

    def submit(self, raw: list[dict[str, Any]]) -> Future[MappedPage]:
        """Start mapping one page; the future's result is its :class:`MappedPage`."""
        self._pages += 1
        if self.workers <= 0 or self._pages <= INLINE_PAGES:
            return self._inline(raw)
        if self._pool is None:
            files = [str(m.file) for m in self.plan.mappings]
            # spawn, not fork: the caller has threads (prefetch) and open connections
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(files, self.connection, self.system, self.context))
        return self._pool.submit(_map_in_worker, raw)

    @property
    def depth(self) -> int:
        """Pages to keep in flight: enough to keep every worker busy."""
        return self.workers + 1 if self._pool is not None else 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def mapped_in_order(pages: Iterator[Any], mapper: PageMapper
                    ) -> Iterator[tuple[Any, MappedPage]]:
    """Yield ``(page, mapped)`` in page order, mapping up to ``mapper.depth`` pages ahead."""
    pending: deque[tuple[Any, Future[MappedPage]]] = deque()

    def result(page: Any, fut: Future[MappedPage]) -> MappedPage:
        try:
            return fut.result()
        except BrokenProcessPool as exc:
            # a worker died (killed, out of memory): nothing was written for this page,
            # so it is mapped again here; correctness never depends on the pool
            mapper.give_up_pool(exc)
            return mapper.map_inline(page.records)

    for page in pages:
        try:
            fut = mapper.submit(page.records)
        except Exception as exc:  # the pool could not start or take work: map here instead
            if mapper.workers <= 0:
                raise
            mapper.give_up_pool(exc)
            fut = mapper.submit(page.records)
        pending.append((page, fut))
        while len(pending) > mapper.depth:
            done_page, done = pending.popleft()
            yield done_page, result(done_page, done)
    while pending:
        done_page, done = pending.popleft()
        yield done_page, result(done_page, done)
