"""One step of the ledger benchmark in a process of its own: ``worker.py STEP JOB_JSON``.

Steps: ``setup`` (migrate a fresh store, write the month of records of
:class:`scenario.World` through ``Store.write_page``), ``build`` and ``rebuild``
(``build_ledger`` over the whole range), ``settle`` (``match_settlements``) and ``report``
(``build_report`` for every day, the channels not read). Each measured step runs after its
imports, the hub's loading and a first database round trip, under the resident-memory
sampler; it prints one JSON line. ``--profile PATH`` runs the measured call under cProfile
and writes its statistics to ``PATH.<step>``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

import sqlalchemy as sa
from harness import LedgerJob, RssSampler
from scenario import START, World

from synchub.ledger.build import build_ledger
from synchub.ledger.reconcile import build_report
from synchub.ledger.settlement import match_settlements
from synchub.plan import Hub, load_hub
from synchub.store import Store
from synchub.store.ledger_tables import ledger_lines, reconciliation_rows, settlement_items
from synchub.store.tables import entity_table


def _open(job: LedgerJob) -> tuple[Hub, Store]:
    # the ledger reads no mapping but its own chart (loaded either way)
    hub, store = load_hub(job.hub, load_mappings=False), Store.from_url(job.url)
    with store.engine.connect() as conn:  # the pool's first connection, outside the timing
        conn.execute(sa.select(1))
    return hub, store


def _mb(value: int) -> float:
    return round(value / 2**20, 1)


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _after_range(job: LedgerJob) -> datetime:
    """The clock of the matching and the report: the day after the last day, 06:00 UTC."""
    return datetime.combine(START + timedelta(days=job.days), dtime(6), UTC)


def _measured(call: Callable[[], Any], profile: str | None, step: str
              ) -> tuple[Any, float, RssSampler]:
    """``call()`` timed under the RSS sampler (and cProfile when asked)."""
    prof = cProfile.Profile() if profile else None
    with RssSampler() as rss:
        if prof is not None:
            prof.enable()
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
        if prof is not None:
            prof.disable()
    if prof is not None:
        prof.dump_stats(f"{profile}.{step}")
    return result, seconds, rss


def _memory(rss: RssSampler) -> dict[str, float]:
    return {"rss_start_mb": _mb(rss.start_bytes), "rss_peak_mb": _mb(rss.peak_bytes),
            "rss_growth_mb": _mb(rss.peak_bytes - rss.start_bytes)}


# -- setup ---------------------------------------------------------------------------------


def setup(job: LedgerJob, _profile: str | None) -> dict[str, Any]:
    """Migrate a fresh store and write the world's records, a page at a time."""
    store = Store.from_url(job.url)
    started = time.perf_counter()
    store.migrate()
    out: dict[str, Any] = {"migrate_s": round(time.perf_counter() - started, 2)}
    world = World(job.orders, job.days)
    started = time.perf_counter()
    stored: Counter[str] = Counter()
    for page in world.pages():
        result = store.write_page(connection="bench", stream="ledger_bench", records=page)
        for entity, ids in result.changed_ids.items():
            stored[entity] += len(ids)
    out["write_s"] = round(time.perf_counter() - started, 1)
    out["stored"] = dict(sorted(stored.items()))
    out["expected"] = {"journals": dict(sorted(world.expected.journals.items())),
                       "settlement": dict(sorted(world.expected.settlement.items()))}
    store.dispose()
    return out


# -- measured steps ------------------------------------------------------------------------


def build(job: LedgerJob, profile: str | None, step: str = "build") -> dict[str, Any]:
    """``build_ledger`` over every day of the world."""
    hub, store = _open(job)
    first, last = START, START + timedelta(days=job.days - 1)
    summary, seconds, rss = _measured(
        lambda: build_ledger(store, hub, first_day=first, last_day=last), profile, step)
    out = {"seconds": round(seconds, 2), "summary": summary.as_dict(),
           "journals_per_s": round(summary.entries_built / seconds),
           "entries_rows": _count(store, entity_table("ledger_entry")),
           "lines_rows": _count(store, ledger_lines), **_memory(rss)}
    store.dispose()
    return out


def rebuild(job: LedgerJob, profile: str | None) -> dict[str, Any]:
    """The same range again: every journal is built and found unchanged."""
    return build(job, profile, "rebuild")


def settle(job: LedgerJob, profile: str | None) -> dict[str, Any]:
    """``match_settlements`` of every channel."""
    hub, store = _open(job)
    summary, seconds, rss = _measured(
        lambda: match_settlements(store, hub, now=_after_range(job)), profile, "settle")
    statuses: Counter[str] = Counter()
    for per in summary.channels.values():
        for status, currencies in per.items():
            statuses[status] += sum(t.count for t in currencies.values())
    items = summary.count()
    out = {"seconds": round(seconds, 2), "items": items,
           "items_per_s": round(items / seconds), "statuses": dict(sorted(statuses.items())),
           "rows": _count(store, settlement_items), **_memory(rss)}
    store.dispose()
    return out


def report(job: LedgerJob, profile: str | None) -> dict[str, Any]:
    """``build_report`` of every day; the channels' own figures are not read."""
    hub, store = _open(job)
    now = _after_range(job)
    per_day: list[float] = []
    statuses: Counter[str] = Counter()

    def every_day() -> int:
        rows = 0
        for n in range(job.days):
            started = time.perf_counter()
            got = build_report(store, hub, START + timedelta(days=n),
                               client_for=lambda _channel: None, now=now)
            per_day.append(time.perf_counter() - started)
            rows += len(got.rows)
            statuses.update(r.status for r in got.rows)
        return rows

    rows, seconds, rss = _measured(every_day, profile, "report")
    out = {"seconds": round(seconds, 2), "days": job.days, "rows": rows,
           "ms_per_day": round(seconds / job.days * 1000, 1),
           "ms_max_day": round(max(per_day) * 1000, 1),
           "statuses": dict(sorted(statuses.items())),
           "stored_rows": _count(store, reconciliation_rows), **_memory(rss)}
    store.dispose()
    return out


STEPS: dict[str, Callable[[LedgerJob, str | None], dict[str, Any]]] = {
    "setup": setup, "build": build, "rebuild": rebuild, "settle": settle, "report": report}


def main(argv: list[str] | None = None) -> int:
    """Run one step and print its figures as JSON on the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("job", help="the LedgerJob as a JSON object")
    parser.add_argument("--profile", help="write cProfile statistics to PATH.<step>")
    args = parser.parse_args(argv)
    job = LedgerJob(**json.loads(args.job))
    started = time.perf_counter()
    result = STEPS[args.step](job, args.profile)
    result["step_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
