"""Ingest benchmark: synchub vs dlt's rest_api source vs a hand-written floor.

``python bench/ingest/run.py [--orders 10000 100000] [--db sqlite postgresql]
[--out bench/results/ingest.json]``. For each volume the Shopify sandbox runs in a process of
its own and is warmed once; each contender then runs in a fresh process against a fresh
database (SQLite file or PostgreSQL schema), which is removed afterwards.
``--profile PATH`` instead profiles one synchub run (first volume, first database) with cProfile
and prints the top costs.
"""

from __future__ import annotations

import argparse
import json
import math
import pstats
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from contenders import CONTENDERS, Job
from procs import (
    PYTHON,
    ROOT,
    PageServerProcess,
    SandboxInfo,
    SandboxProcess,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_reachable,
    warm,
)
from procs import versions as procs_versions

WORKER = Path(__file__).with_name("worker.py")
ORDER = ("synchub", "dlt", "floor")
WORKER_TIMEOUT = 1800


def run_contender(name: str, info: SandboxInfo, db: str, workdir: Path,
                  profile: str | None = None, client_rate_limit: bool = True
                  ) -> dict[str, Any]:
    """One contender in a fresh process on a fresh database; its result or its error."""
    own = workdir / f"{name}-{db}"
    own.mkdir()
    schemas: list[str] = []
    if db == "postgresql":
        schemas.append(new_pg_schema(name))
        target = schemas[0]
    else:
        target = str(own / "store.db")
    job = Job(shop_url=info.shop_url, token=info.token, db=db, target=target,
              workdir=str(own), client_rate_limit=client_rate_limit)
    cmd = [PYTHON, str(WORKER), name, json.dumps(asdict(job))]
    if profile:
        cmd += ["--profile", profile]
    before = info.requests_served()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              timeout=WORKER_TIMEOUT, check=False)
    finally:
        drop_pg_schemas(schemas)
        shutil.rmtree(own, ignore_errors=True)
    calls = info.requests_served() - before
    if proc.returncode != 0:
        return {"error": _failure(proc.stderr) or f"exit {proc.returncode}", "api_calls": calls}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["api_calls"] = calls
    result["records_per_s"] = round(result["rows"] / result["seconds"], 1)
    return result


def _failure(stderr: str) -> str:
    # the exception line of the traceback, and the line after it (dlt wraps the cause there)
    lines = [line for line in stderr.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].startswith(" ") and ("Error" in lines[i] or "Exception" in lines[i]):
            return " ".join(lines[i:i + 4])[:500]
    return " | ".join(lines[-3:])[:500]


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    return procs_versions("dlt", "sqlalchemy", "psycopg", "requests", "pydantic", "uvicorn")


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """a's records/s over b's, when both were measured."""
    if "records_per_s" in a and "records_per_s" in b and b["records_per_s"]:
        return round(a["records_per_s"] / b["records_per_s"], 2)
    return None


def summarize(orders: int, db: str, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One row of the report: rates, ratios, API calls and peak memory of each contender."""
    return {"orders": orders, "db": db, "min_api_calls": math.ceil(orders / 250),
            "synchub_per_dlt": ratio(results["synchub"], results.get("dlt", {})),
            "synchub_per_floor": ratio(results["synchub"], results.get("floor", {})),
            "contenders": results}


def fmt(value: Any, spec: str = ",.0f") -> str:
    """A number for the table, or a dash."""
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per volume and database; a second block with each contender's peak RSS."""
    head = (f"{'orders':>8} {'db':<10} {'synchub r/s':>11} {'dlt r/s':>8} {'floor r/s':>9} "
            f"{'sh/dlt':>6} {'sh/floor':>8} {'calls sh/dlt/floor (min)':>26} "
            f"{'RSS MB sh/dlt/floor':>20} {'CPU s/1k sh/dlt/floor':>22}")
    print(head)
    print("-" * len(head))
    for row in rows:
        c = row["contenders"]
        rates = [c[k].get("records_per_s") for k in ORDER]
        calls = "/".join(str(c[k].get("api_calls", "-")) for k in ORDER)
        rss = "/".join(fmt(c[k].get("rss_peak_mb")) for k in ORDER)
        cpu = "/".join(fmt(c[k].get("cpu_s_per_1000"), ".2f") for k in ORDER)
        print(f"{row['orders']:>8,} {row['db']:<10} {fmt(rates[0]):>11} {fmt(rates[1]):>8} "
              f"{fmt(rates[2]):>9} {fmt(row['synchub_per_dlt'], '.2f'):>6} "
              f"{fmt(row['synchub_per_floor'], '.2f'):>8} "
              f"{calls + ' (' + str(row['min_api_calls']) + ')':>26} {rss:>20} {cpu:>22}")
        for k in ORDER:
            if "error" in c[k]:
                print(f"{'':>8} {k} not measured: {c[k]['error']}")
    by_db: dict[str, list[str]] = {}
    for row in rows:
        rss = row["contenders"]["synchub"].get("rss_peak_mb")
        by_db.setdefault(row["db"], []).append(f"{row['orders']:,}: {fmt(rss)} MB")
    for db, values in by_db.items():
        print(f"synchub peak RSS on {db}: " + ", ".join(values))


def profile_once(orders: int, db: str, path: Path, client_rate_limit: bool) -> None:
    """Profile one synchub run and print the top costs by own time and by cumulative time."""
    workdir = new_workdir()
    try:
        with SandboxProcess(orders, workdir) as info:
            warm(info)
            result = run_contender("synchub", info, db, workdir, profile=str(path),
                                   client_rate_limit=client_rate_limit)
        print(json.dumps(result))
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"],
                        default=["sqlite", "postgresql"])
    parser.add_argument("--contenders", nargs="+", choices=list(ORDER), default=list(ORDER))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    parser.add_argument("--profile", type=Path, help="profile one synchub run into this file")
    parser.add_argument("--source", choices=["pages", "sandbox"], default="pages",
                        help="pages (default): the sandbox's pages captured once and served "
                             "pre-encoded by a minimal server; sandbox: served by the sandbox "
                             "itself (FastAPI), which bounds the read floor")
    parser.add_argument("--synchub-rate-limit", choices=["on", "off"], default="on",
                        help="off: run synchub without the connector's own 2 calls/s REST "
                             "limiter (the sandbox does not throttle)")
    args = parser.parse_args(argv)
    if "postgresql" in args.db and (reason := pg_reachable()):
        print(f"PostgreSQL not reachable ({reason}); measuring SQLite only")
        args.db = [d for d in args.db if d != "postgresql"]
    limiter = args.synchub_rate_limit == "on"
    if args.profile:
        profile_once(args.orders[0], args.db[0], args.profile, limiter)
        return 0
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    workdir = new_workdir()
    try:
        server = PageServerProcess if args.source == "pages" else SandboxProcess
        for orders in args.orders:
            with server(orders, workdir) as info:
                warmed = warm(info)
                print(f"{args.source} with {warmed:,} orders warm at {info.base_url}",
                      flush=True)
                for db in args.db:
                    results = {}
                    for name in ORDER:
                        if name not in args.contenders:
                            results[name] = {"error": "not selected"}
                            continue
                        results[name] = run_contender(name, info, db, workdir,
                                                      client_rate_limit=limiter)
                        print(f"  {orders:,} {db} {name}: {json.dumps(results[name])}",
                              flush=True)
                    rows.append(summarize(orders, db, results))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(rows)
    report = {"command": " ".join(["python bench/ingest/run.py", *sys.argv[1:]]),
              "seconds": round(time.monotonic() - started, 1), "versions": versions(),
              "synchub_rate_limit": args.synchub_rate_limit, "source": args.source,
              "contenders": sorted(CONTENDERS),
              "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
