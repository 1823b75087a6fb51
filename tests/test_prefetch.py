"""The page prefetcher: order kept, errors re-raised, the producer stopped on early exit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from synchub.pipeline import prefetch


def test_items_come_out_in_order() -> None:
    assert list(prefetch(iter(range(50)), depth=2)) == list(range(50))


def test_an_error_in_the_source_reaches_the_consumer_after_earlier_items() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("page 3 failed")

    got = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for item in prefetch(source()):
            got.append(item)
    assert got == [1, 2]


def test_closing_early_stops_the_producer() -> None:
    produced = []
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    gen = prefetch(source(), depth=2)
    assert next(gen) == 0
    gen.close()
    assert closed.wait(2)
    time.sleep(0.05)
    assert len(produced) < 10                     # it stayed at most a few pages ahead


def test_the_consumer_error_does_not_leave_the_thread_running() -> None:
    before = threading.active_count()
    with pytest.raises(ValueError):
        for _ in prefetch(iter(range(1000)), depth=1):
            raise ValueError("store failed")
    time.sleep(0.2)
    assert threading.active_count() <= before
