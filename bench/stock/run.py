"""Stock sync benchmark: 100,000 SKUs x 3 locations x 5 channels, then 1 % of the SKUs change.

``python bench/stock/run.py [--skus 100000] [--db sqlite|postgresql|both]
[--client-limits on|off] [--out bench/results/stock.json]``. Per database: the sandbox (three
Shopify and two WooCommerce stores sharing the master's SKU scheme) runs in a process of its
own; a fresh store (SQLite file or PostgreSQL schema, removed afterwards) is filled with the
master's levels and the channels' listings; then ``prepare`` + ``run_shard`` runs three
times, each in a fresh process with its resident memory sampled: the initial publish, a
rerun with nothing changed, and a run after 1 % of the SKUs moved at one master location.
API calls are counted by the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    PYTHON,
    ROOT,
    SandboxDesc,
    SandboxProcess,
    StockJob,
    drop_pg_schemas,
    new_pg_schema,
    new_workdir,
    pg_reachable,
)
from procs import versions as procs_versions  # harness put bench/ingest on the path
from scenario import CHANNELS, write_hub

WORKER = Path(__file__).with_name("worker.py")
WORKER_TIMEOUT = 4 * 3600
RUNS = ("initial", "rerun", "changed")


def step(name: str, job: StockJob) -> dict[str, Any]:
    """One worker step in a fresh process; its JSON result (raises with stderr on failure)."""
    proc = subprocess.run([PYTHON, str(WORKER), name, job.to_json()], cwd=ROOT,
                          capture_output=True, text=True, timeout=WORKER_TIMEOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"worker step {name} failed (exit {proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measured_run(job: StockJob, desc: SandboxDesc) -> dict[str, Any]:
    """``prepare`` + ``run_shard`` in a fresh process, with the calls each store answered."""
    before = desc.requests_by_channel()
    load_before = os.getloadavg()[0]
    result = step("run", job)
    after = desc.requests_by_channel()
    # the machine is shared: the load average says whether other work competed for the CPUs
    result["load_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    for channel in CHANNELS:
        paths = {path: n - before[channel]["by_path"].get(path, 0)
                 for path, n in after[channel]["by_path"].items()}
        row = result["channels"].setdefault(channel, {})
        row["api_calls"] = after[channel]["requests"] - before[channel]["requests"]
        row["variation_endpoints"] = sum(1 for p, n in paths.items()
                                         if n and "/variations/batch" in p)
    return result


def run_database(db: str, skus: int, client_limits: bool, workdir: Path) -> dict[str, Any]:
    """The whole scenario on one database."""
    own = workdir / db
    own.mkdir()
    schemas: list[str] = []
    if db == "postgresql":
        schemas.append(new_pg_schema("stock"))
        target = schemas[0]
    else:
        target = str(own / "store.db")
    hub = write_hub(own, client_limits)
    out: dict[str, Any] = {"db": db, "skus": skus}
    try:
        started = time.monotonic()
        with SandboxProcess(skus, own) as ready:
            out["sandbox_start_s"] = round(time.monotonic() - started, 1)
            desc = SandboxDesc.from_ready(ready)
            base = StockJob(db=db, target=target, hub=str(hub), workdir=str(own),
                            sandbox=ready, skus=skus)
            print(f"[{db}] sandbox ready in {out['sandbox_start_s']} s at {desc.base_url}",
                  flush=True)
            out["setup"] = step("setup", base)
            print(f"[{db}] setup: {json.dumps(out['setup'])}", flush=True)
            for name in RUNS:
                if name == "changed":
                    out["change"] = step("change", base)
                    print(f"[{db}] change: {json.dumps(out['change'])}", flush=True)
                job = StockJob(**{**base.__dict__, "run_id": f"bench-{db}-{name}",
                                  "changed_only": name == "changed"})
                out[name] = measured_run(job, desc)
                print(f"[{db}] {name}: {json.dumps(out[name])}", flush=True)
                if name != "rerun":
                    out[name]["verify"] = step("verify", job)
                    print(f"[{db}] {name} verify: {json.dumps(out[name]['verify'])}",
                          flush=True)
    finally:
        drop_pg_schemas(schemas)
        shutil.rmtree(own, ignore_errors=True)
    return out


def engine_commit() -> str:
    """The commit the checkout is on, read from ``.git`` (the engine may change between runs)."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return "unknown"


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    return procs_versions("sqlalchemy", "psycopg", "requests", "pydantic", "uvicorn",
                          "graphql-core")


def print_table(rows: list[dict[str, Any]]) -> None:
    """Per database and run: time split, memory, and calls against the minimum per channel."""
    for row in rows:
        print(f"\n{row['db']}: {row['skus']:,} SKUs; setup "
              f"{row['setup']['step_s']} s ({row['setup']['inventory_levels_rows']:,} levels)")
        for name in RUNS:
            r = row[name]
            print(f"  {name:<8} prepare {r['prepare_s']:>6} s  run_shard {r['run_shard_s']:>7} s "
                  f"(master {r['load_master_s']}, read {r['read_listings_s']}, compute "
                  f"{r['compute_s']}, push {r['push_s']}, write {r['write_publications_s']})  "
                  f"RSS {r['rss_start_mb']:.0f} -> {r['rss_peak_mb']:.0f} MB")
            checked = r.get("verify", {})
            if checked:
                sampled = [v for k, v in checked.items() if k in CHANNELS]
                print(f"    read back from the sandbox: {sum(v['matching'] for v in sampled)} of "
                      f"{sum(v['checked'] for v in sampled)} sampled pushed listings match; "
                      f"sent outside the changed SKUs: "
                      f"{sum(checked.get('sent_outside_change', {}).values())}")
            for channel, c in r["channels"].items():
                minimum = str(c.get("min_calls", 0))
                if "min_calls_per_parent" in c:
                    minimum += f", per parent {c['min_calls_per_parent']}"
                print(f"    {channel:<7} listings {c.get('listings', 0):>6,} changed "
                      f"{c.get('changed', 0):>6,} calls {c['api_calls']:>5} (min {minimum}) "
                      f"push {c.get('push_s', 0)} s, throttled {c.get('client_throttled_s', 0)} s")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=100_000,
                        help="master SKUs (a multiple of 4; the stores get skus/4 products)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--client-limits", choices=["on", "off"], default="on",
                        help="off: the channels' connectors without their own rate limiters "
                             "(the sandbox does not throttle)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "stock.json")
    parser.add_argument("--table", type=Path, help="only print the tables of this JSON report")
    args = parser.parse_args(argv)
    if args.table:
        print_table(json.loads(args.table.read_text())["results"])
        return 0
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in dbs and (reason := pg_reachable()):
        print(f"PostgreSQL not reachable ({reason}); measuring SQLite only")
        dbs = [d for d in dbs if d != "postgresql"]
    started = time.monotonic()
    commit = engine_commit()
    workdir = new_workdir()
    rows = []
    try:
        for db in dbs:
            rows.append(run_database(db, args.skus, args.client_limits == "on", workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)
    report = {"command": " ".join(["python bench/stock/run.py", *sys.argv[1:]]),
              "seconds": round(time.monotonic() - started, 1), "versions": versions(),
              "client_limits": args.client_limits,
              # a checkout that moved during the run measured more than one engine
              "engine_commit": {"start": commit, "end": engine_commit()}, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
