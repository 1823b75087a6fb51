"""Ledger benchmark: a month of orders, refunds, balance movements and payouts into journals.

``python bench/ledger/run.py [--orders 10000 40000] [--days 30] [--db sqlite|postgresql|both]
[--profile PATH] [--out PATH]``. Per database and volume N: a fresh store (SQLite file or
PostgreSQL schema, removed afterwards) gets N orders over D days with their refunds, balance
movements, daily payouts and daily USD->EUR rates (``scenario.py``); then, each in a fresh
process with its resident memory sampled: ``build_ledger`` over the whole range, the same
again (nothing changed), ``match_settlements``, and ``build_report`` for every day without
reading the channels. The journals built and the settlement items found are checked against
what the scenario expects. ``--profile PATH`` profiles every measured step of the first
volume with cProfile (``PATH.<step>``) and prints the top costs.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    PYTHON,
    ROOT,
    LedgerJob,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_reachable,
)
from harness import versions as procs_versions
from scenario import write_hub

WORKER = Path(__file__).with_name("worker.py")
WORKER_TIMEOUT = 3600
MEASURED = ("build", "rebuild", "settle", "report")


def step(name: str, job: LedgerJob, profile: str | None = None) -> dict[str, Any]:
    """One worker step in a fresh process; its JSON result (raises with stderr on failure)."""
    extra = ["--profile", profile] if profile and name != "setup" else []
    load_before = os.getloadavg()[0]
    proc = subprocess.run([PYTHON, str(WORKER), name, job.to_json(), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=WORKER_TIMEOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"worker step {name} failed (exit {proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    # the machine is shared: the load average says whether other work competed for the CPUs
    result["load_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def checks(row: dict[str, Any]) -> dict[str, bool]:
    """What the scenario expects of the figures of the steps that ran."""
    want = row["setup"]["expected"]
    out: dict[str, bool] = {}
    if "build" in row:
        built = row["build"]["summary"]
        out["journals_by_kind"] = built["per_kind"] == want["journals"]
        out["all_stored_once"] = built["stored"] == built["entries_built"] == \
            row["build"]["entries_rows"]
        out["nothing_dead_or_suspense"] = built["dead"] == 0 and \
            built["suspense"]["lines"] == 0
        if "rebuild" in row:
            again = row["rebuild"]["summary"]
            out["rebuild_unchanged"] = again["stored"] == 0 and again["corrections"] == 0 \
                and again["unchanged"] == built["entries_built"]
    if "settle" in row:
        out["settlement_by_status"] = row["settle"]["statuses"] == want["settlement"]
    return out


def run_volume(db: str, orders: int, args: argparse.Namespace, workdir: Path,
               profile: str | None) -> dict[str, Any]:
    """The whole scenario for one database and volume."""
    own = workdir / f"{db}-{orders}"
    own.mkdir()
    schemas: list[str] = []
    if db == "postgresql":
        schemas.append(new_pg_schema("ledger"))
        target = schemas[0]
    else:
        target = str(own / "store.db")
    job = LedgerJob(db=db, target=target, hub=str(write_hub(own)), orders=orders,
                    days=args.days)
    out: dict[str, Any] = {"db": db, "orders": orders, "days": args.days}
    tag = f"[{db} {orders:,}]"
    try:
        for name in ("setup", *[m for m in MEASURED if m in args.steps]):
            out[name] = step(name, job, profile)
            print(f"{tag} {name}: {json.dumps(out[name])}", flush=True)
    finally:
        drop_pg_schemas(schemas)
        shutil.rmtree(own, ignore_errors=True)
    out["checks"] = checks(out)
    return out


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    return procs_versions("sqlalchemy", "psycopg", "pydantic", "psutil")


def _line(name: str, r: dict[str, Any]) -> str:
    """One step's figures on one line."""
    memory = f"RSS {r['rss_start_mb']:.0f} -> {r['rss_peak_mb']:.0f} MB"
    if name == "build":
        return (f"{r['summary']['entries_built']:>7,} journals, {r['lines_rows']:>8,} lines in "
                f"{r['seconds']:>7} s = {r['journals_per_s']:>6,} journals/s; {memory}")
    if name == "rebuild":
        return (f"{r['summary']['entries_built']:>7,} journals checked ({r['summary']['stored']}"
                f" stored) in {r['seconds']:>7} s = {r['journals_per_s']:>6,} journals/s; "
                f"{memory}")
    if name == "settle":
        return (f"{r['items']:>7,} items in {r['seconds']:>7} s = {r['items_per_s']:>6,} "
                f"items/s {r['statuses']}; {memory}")
    return (f"{r['days']} days, {r['rows']:,} rows in {r['seconds']} s ({r['ms_per_day']} "
            f"ms/day, slowest {r['ms_max_day']} ms); {memory}")


def print_table(rows: list[dict[str, Any]]) -> None:
    """Per database and volume: speed, work done and peak memory of each step."""
    for row in rows:
        print(f"\n{row['db']}: {row['orders']:,} orders over {row['days']} days "
              f"(records stored {sum(row['setup']['stored'].values()):,} in "
              f"{row['setup']['write_s']} s)")
        for name in MEASURED:
            if name in row:
                print(f"  {name:<8} {_line(name, row[name])}")
        print(f"  checks   {row['checks']}")


def print_profile(path: str, limit: int = 25) -> None:
    """The top costs of each profiled step, by own and by cumulative time."""
    for name in MEASURED:
        if not Path(f"{path}.{name}").exists():
            continue
        stats = pstats.Stats(f"{path}.{name}")
        stats.strip_dirs()
        print(f"\n=== profile of {name}, by own time ===")
        stats.sort_stats("tottime").print_stats(limit)
        print(f"=== profile of {name}, by cumulative time ===")
        stats.sort_stats("cumulative").print_stats(limit)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 40_000],
                        help="volumes N (orders over the range)")
    parser.add_argument("--days", type=int, default=30, help="days D the orders spread over")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--steps", nargs="+", choices=MEASURED, default=list(MEASURED),
                        help="the measured steps to run (default: all; rebuild needs build)")
    parser.add_argument("--profile", help="profile the first volume's steps into PATH.<step>")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ledger.json")
    args = parser.parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in dbs and (reason := pg_reachable()):
        print(f"PostgreSQL not reachable ({reason}); measuring SQLite only")
        dbs = [d for d in dbs if d != "postgresql"] or ["sqlite"]
    started = time.monotonic()
    workdir = new_workdir()
    rows = []
    profile = args.profile
    try:
        for db in dbs:
            for orders in args.orders:
                rows.append(run_volume(db, orders, args, workdir, profile))
                profile = None  # only the first volume is profiled
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)
    if args.profile:
        print_profile(args.profile)
    report = {"command": " ".join(["python bench/ledger/run.py", *sys.argv[1:]]),
              "seconds": round(time.monotonic() - started, 1), "versions": versions(),
              "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 1 if any(not all(r["checks"].values()) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
