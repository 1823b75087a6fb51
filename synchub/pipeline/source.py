"""Source: the pages of a stream, fetched ahead of the consumer.

A stream is read by its connector client (whatever its transport: requests or files), or,
when it declares ``inputs:``, once per input a registered ``source`` finds in the store
(e.g. a courier asked about each open parcel). Fetching runs in a thread one or two pages
ahead of mapping and loading.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from synchub.errors import ConfigError, FatalAPIError
from synchub.registry import REGISTRY
from synchub.runtime import Page

if TYPE_CHECKING:
    from synchub.config.connector_inputs import StoreInputsSpec
    from synchub.runtime import ConnectorClient
    from synchub.store import Store

T = TypeVar("T")


def read_stream(client: ConnectorClient, stream: str, *, store: Store, connection: str,
                state: dict[str, Any] | None, window_end: datetime | None,
                full_refresh: bool, spec: Any = None,
                only: set[str] | None = None) -> Iterator[Page]:
    """The pages of ``stream``: fed from the store when it declares ``inputs``, else read.

    ``spec`` is the connection's stream spec (default: the client's). ``only`` keeps the
    inputs whose key is in it (a push named them); a stream without inputs refuses it.
    """
    if spec is None:
        spec = client.spec.streams.get(stream)
    inputs = getattr(spec, "inputs", None)
    if inputs is None:
        if only is not None:
            raise ConfigError(f"stream {stream!r} has no inputs: records named by a push "
                              "cannot be re-read through it", key=f"streams.{stream}.inputs")
        return client.read(stream, state=state, window_end=window_end,
                           full_refresh=full_refresh)
    find = REGISTRY.get("source", inputs.from_store, key=f"streams.{stream}.inputs.from_store")
    found = find(store, connection=connection, spec=inputs)
    if only is not None:
        found = [item for item in found if item.key in only]
    return _read_inputs(client, stream, inputs, found)


def _read_inputs(client: ConnectorClient, stream: str, spec: StoreInputsSpec,
                 found: list[Any]) -> Iterator[Page]:
    """One request series per input (or per batch of ``batch_size`` inputs); each record
    tagged with the ``_input`` it answers.

    An input the API does not know (``not_found`` statuses, or in a batch no record for
    it) gives one record ``{"_input": ..., "_not_found": true}``: one unknown input does
    not stop the others.
    """
    if spec.batch_size > 1:
        yield from _read_batches(client, stream, spec, found)
        return
    number = 0
    for item in found:
        tag = item.as_dict()
        try:
            for page in client.read_with(stream, _values(tag)):
                number += 1
                records = _pick(page.records, spec.match_field, item.key)
                for rec in records:
                    rec["_input"] = tag
                yield Page(records, None, number, page.rejected)
        except FatalAPIError as exc:
            if exc.status not in spec.not_found:
                raise
            number += 1
            yield Page([{"_input": tag, "_not_found": True}], None, number)


def _values(tag: dict[str, Any]) -> dict[str, Any]:
    """The ``{input.<name>}`` placeholder values of one input."""
    return {f"input.{k}": v for k, v in tag.items() if v is not None}


def _batch_values(tags: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch's placeholder values: each name's values joined with commas (an API that
    takes a list in one parameter), and every input's own values under ``inputs``."""
    each = [_values(tag) for tag in tags]
    names = dict.fromkeys(k for one in each for k in one)
    joined = {k: ",".join(str(one[k]) for one in each if k in one) for k in names}
    return {**joined, "inputs": each}


def _read_batches(client: ConnectorClient, stream: str, spec: StoreInputsSpec,
                  found: list[Any]) -> Iterator[Page]:
    """Batches of inputs, one request series each; records matched to inputs by
    ``match_field``, one page per batch (committed on its own)."""
    for number, start in enumerate(range(0, len(found), spec.batch_size), 1):
        batch = found[start:start + spec.batch_size]
        tags = [item.as_dict() for item in batch]
        records: list[dict[str, Any]] = []
        rejected: list[Any] = []
        try:
            for page in client.read_with(stream, _batch_values(tags)):
                records += page.records
                rejected += page.rejected
        except FatalAPIError as exc:
            if exc.status not in spec.not_found:
                raise
            records = []
        yield Page(_match_batch(records, spec.match_field or "", batch, tags), None, number,
                   rejected)


def _match_batch(records: list[dict[str, Any]], field: str, batch: list[Any],
                 tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per input of the batch: the first whose ``field`` is the input's key,
    tagged with it; ``{_input, _not_found: true}`` for an input no record answers. Records
    answering no input of the batch are left out (the API said more than it was asked)."""
    by_key: dict[str, dict[str, Any]] = {}
    for rec in records:
        by_key.setdefault(str(rec.get(field, "")).strip(), rec)
    out: list[dict[str, Any]] = []
    for item, tag in zip(batch, tags, strict=True):
        found = by_key.pop(item.key, {})
        out.append({**found, "_input": tag} if found else {"_input": tag, "_not_found": True})
    return out


def _pick(records: list[dict[str, Any]], field: str | None, wanted: str
          ) -> list[dict[str, Any]]:
    """All records, or (with ``field``) the one whose field is the key, else the first."""
    if field is None or len(records) <= 1:
        return records
    for rec in records:
        if str(rec.get(field, "")).strip() == wanted:
            return [rec]
    return records[:1]


def prefetch(source: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Iterate ``source`` in a background thread, ``depth`` items ahead.

    Fetching the next page overlaps with mapping and storing the current one. Errors in the
    source are re-raised in the consumer; closing the consumer stops the producer.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(("error", exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None and stop.is_set():
                close()

    thread = threading.Thread(target=produce, name="synchub-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        # drain so a producer blocked on put() sees the stop flag
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        thread.join(timeout=1)
