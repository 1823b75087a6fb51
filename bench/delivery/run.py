"""Delivery benchmark: stored orders to Odoo and customers to HubSpot, then the orders feed.

``python bench/delivery/run.py [--orders 10000 40000] [--db sqlite|postgresql|both]
[--client-limits off|on] [--sandbox indexed|as-shipped] [--feed-client testclient uvicorn]
[--profile PATH] [--out PATH]``. Per database and volume N: the sandbox (one Odoo database,
one HubSpot account, rate limits off) runs in a process of its own; a fresh store (SQLite
file or PostgreSQL schema, removed afterwards) gets N customers and N orders of a Shopify
connection; then, each in a fresh process with its resident memory sampled: ``run_push`` of
the Odoo sink (orders -> sale.order, batch 50) and of the HubSpot sink (customers ->
contacts, batch 100), the same again after the source wrote the same records once more
(nothing changed), and the whole orders feed read through the FastAPI app with a real API
key. API calls are counted by the sandbox. ``--profile PATH`` profiles the first push with
cProfile (``PATH.erp``, ``PATH.crm``) and prints the top costs.
"""

from __future__ import annotations

import argparse
import json
import math
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
    DeliveryJob,
    SandboxDesc,
    SandboxProcess,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_reachable,
)
from procs import versions as procs_versions  # harness put bench/ingest on the path
from scenario import CRM, ERP, write_hub

WORKER = Path(__file__).with_name("worker.py")
WORKER_TIMEOUT = 1800
ODOO_BATCH, HUBSPOT_BATCH = 50, 100
UPSERT = "/crm/v3/objects/contacts/batch/upsert"


def step(name: str, job: DeliveryJob, extra: list[str] | None = None) -> dict[str, Any]:
    """One worker step in a fresh process; its JSON result (raises with stderr on failure)."""
    proc = subprocess.run([PYTHON, str(WORKER), name, job.to_json(), *(extra or [])],
                          cwd=ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"worker step {name} failed (exit {proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measured_push(job: DeliveryJob, desc: SandboxDesc, profile: str | None) -> dict[str, Any]:
    """Both pushes in a fresh process, with the calls each sandbox store answered."""
    before = {s: desc.stats(s)["requests_by_path"] for s in ("odoo", "hubspot")}
    load_before = os.getloadavg()[0]
    result = step("push", job, ["--profile", profile] if profile else None)
    after = {s: desc.stats(s)["requests_by_path"] for s in ("odoo", "hubspot")}
    # the machine is shared: the load average says whether other work competed for the CPUs
    result["load_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    for sink, system in ((ERP, "odoo"), (CRM, "hubspot")):
        row = result[sink]
        row["api_calls"] = sum(after[system].values()) - sum(before[system].values())
        if system == "hubspot":
            row["upsert_calls"] = after[system].get(UPSERT, 0) - before[system].get(UPSERT, 0)
        else:
            odoo = row["odoo_calls"]
            row["create_calls"] = odoo.get("sale.order.create", 0)
            row["write_calls"] = sum(n for k, n in odoo.items()
                                     if not k.endswith(".search_read"))
            row["lookup_calls"] = sum(n for k, n in odoo.items() if k.endswith(".search_read"))
        seconds = row["seconds"]
        row["routed_per_s"] = round(row["summary"]["routed"] / row["route_s"]) \
            if row["route_s"] else None
        row["delivered_per_s"] = round(row["summary"]["delivered"] / seconds) if seconds else None
        # the same without the time spent waiting for the sink's answers
        row["hub_own_per_s"] = round(row["summary"]["delivered"] / row["hub_own_s"]) \
            if row["hub_own_s"] else None
    return result


def run_volume(db: str, records: int, args: argparse.Namespace, workdir: Path,
               profile: str | None) -> dict[str, Any]:
    """The whole scenario for one database and volume."""
    own = workdir / f"{db}-{records}"
    own.mkdir()
    schemas: list[str] = []
    if db == "postgresql":
        schemas.append(new_pg_schema("delivery"))
        target = schemas[0]
    else:
        target = str(own / "store.db")
    hub = write_hub(own, args.client_limits == "on")
    out: dict[str, Any] = {"db": db, "records": records,
                           "min_calls": {ERP: math.ceil(records / ODOO_BATCH),
                                         CRM: math.ceil(records / HUBSPOT_BATCH)}}
    tag = f"[{db} {records:,}]"
    try:
        with SandboxProcess(own, as_shipped=args.sandbox == "as-shipped") as ready:
            desc = SandboxDesc.from_ready(ready)
            base = DeliveryJob(db=db, target=target, hub=str(hub), sandbox=ready,
                               records=records)
            out["setup"] = step("setup", base)
            print(f"{tag} setup: {json.dumps(out['setup'])}", flush=True)
            for name in ("push", "rerun"):
                if name == "rerun":
                    # the source synced again with nothing new: same records, same versions
                    out["resync"] = step("resync", base)
                    print(f"{tag} resync: {json.dumps(out['resync'])}", flush=True)
                job = DeliveryJob(**{**base.__dict__, "run_id": f"bench-{name}"})
                out[name] = measured_push(job, desc, profile if name == "push" else None)
                print(f"{tag} {name}: {json.dumps(out[name])}", flush=True)
            out["check"] = step("check", base)
            print(f"{tag} check: {json.dumps(out['check'])}", flush=True)
            out["feed"] = {}
            for client in args.feed_client:
                job = DeliveryJob(**{**base.__dict__, "feed_client": client})
                out["feed"][client] = step("feed", job)
                print(f"{tag} feed ({client}): {json.dumps(out['feed'][client])}",
                      flush=True)
    finally:
        drop_pg_schemas(schemas)
        shutil.rmtree(own, ignore_errors=True)
    return out


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    return procs_versions("sqlalchemy", "psycopg", "requests", "pydantic", "fastapi",
                          "uvicorn", "httpx")


def print_table(rows: list[dict[str, Any]]) -> None:
    """Per database and volume: push speed and split, calls against the minimum, memory."""
    for row in rows:
        n = row["records"]
        print(f"\n{row['db']}: {n:,} orders and customers")
        for name in ("push", "rerun"):
            for sink in (ERP, CRM):
                r = row[name][sink]
                s = r["summary"]
                calls = (f"creates {r['create_calls']} (min {row['min_calls'][ERP]}), "
                         f"writes {r['write_calls']}, lookups {r['lookup_calls']}"
                         if sink == ERP else
                         f"upserts {r['upsert_calls']} (min {row['min_calls'][CRM]})")
                print(f"  {name:<5} {sink:<3} routed {s['routed']:>6} delivered "
                      f"{s['delivered']:>6} dead {s['dead']} in {r['seconds']:>6} s "
                      f"(route {r['route_s']}, writer {r['writer_s']} of which http "
                      f"{r['http_s']}, engine drain {r['engine_drain_s']}) "
                      f"routed/s {r['routed_per_s']} delivered/s {r['delivered_per_s']} "
                      f"(hub's own time {r['hub_own_s']} s: {r['hub_own_per_s']}/s); "
                      f"calls {r['api_calls']}: {calls}; RSS {r['rss_start_mb']:.0f} -> "
                      f"{r['rss_peak_mb']:.0f} MB")
        for client, f in row["feed"].items():
            print(f"  feed ({client}, page {f['page']}): {f['records']:,} records in "
                  f"{f['calls']} calls, {f['seconds']} s = {f['records_per_s']:,} r/s, "
                  f"{f['mb']} MB of JSON; RSS {f['rss_start_mb']:.0f} -> "
                  f"{f['rss_peak_mb']:.0f} MB")


def print_profile(path: str, limit: int = 30) -> None:
    """The top costs of a profiled push, by own time and by cumulative time."""
    for sink in (ERP, CRM):
        stats = pstats.Stats(f"{path}.{sink}")
        stats.strip_dirs()
        print(f"\n=== profile of the {sink} push, by own time ===")
        stats.sort_stats("tottime").print_stats(limit)
        print(f"=== profile of the {sink} push, by cumulative time ===")
        stats.sort_stats("cumulative").print_stats(limit)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 40_000],
                        help="volumes N (orders, and as many customers)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--client-limits", choices=["on", "off"], default="off",
                        help="on: the Odoo and HubSpot connectors with their own rate "
                             "limiters (10 and 9 calls/s); the sandbox never throttles")
    parser.add_argument("--sandbox", choices=["indexed", "as-shipped"], default="indexed",
                        help="as-shipped: the sandbox without the benchmark's two patches "
                             "(its cost then grows with N^2; see sandbox_main.py)")
    parser.add_argument("--feed-client", nargs="+", choices=["testclient", "uvicorn"],
                        default=["testclient", "uvicorn"])
    parser.add_argument("--profile", help="profile the first push into PATH.<sink>")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "delivery.json")
    parser.add_argument("--table", type=Path, help="only print the tables of this JSON report")
    args = parser.parse_args(argv)
    if args.table:
        print_table(json.loads(args.table.read_text())["results"])
        return 0
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
            for records in args.orders:
                rows.append(run_volume(db, records, args, workdir, profile))
                profile = None  # only the first push is profiled
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)
    if args.profile:
        print_profile(args.profile)
    report = {"command": " ".join(["python bench/delivery/run.py", *sys.argv[1:]]),
              "seconds": round(time.monotonic() - started, 1), "versions": versions(),
              "client_limits": args.client_limits, "sandbox": args.sandbox, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
