"""``python -m synchub.sandbox`` / ``synchub sandbox``: serve the sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from synchub.sandbox.kit.registry import parse_store as parse_store_in
from synchub.sandbox.sandbox import SIMULATED, SYSTEMS, Sandbox, SandboxServer

log = logging.getLogger("synchub.sandbox")


def parse_store(spec: str) -> tuple[str, str, dict[str, int]]:
    """``shopify:demo:orders=1000,customers=200`` -> (system, name, volume)."""
    return parse_store_in(spec, SYSTEMS)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="synchub sandbox",
        description="Serve simulated Shopify and WooCommerce stores and Odoo databases.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store", action="append", type=parse_store, default=[],
                        help="SYSTEM:NAME[:orders=N,customers=N,products=N,poisoned=N]")
    parser.add_argument("--no-rate-limits", action="store_true",
                        help="disable throttling (benchmarks)")
    parser.add_argument("--ready-file", type=Path,
                        help="write JSON (base_url, pid, stores) here once listening")
    return parser


def _describe(server: SandboxServer, sandbox: Sandbox) -> dict[str, Any]:
    stores = []
    for store in sandbox.stores():
        url = server.url(store.system, store.name)
        stores.append({"system": store.system, "name": store.name, "url": url,
                       "credentials": store.credentials(), "connection": store.connection(url),
                       "counts": store.counts()})
    return {"base_url": server.base_url, "pid": os.getpid(), "stores": stores}


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM; 0 on a clean stop, 2 on bad arguments.

    A system's command (``settlements ...`` writes a shop's settlement files, see
    :mod:`synchub.sandbox.settlement_file`) runs that command instead.
    """
    args_in = sys.argv[1:] if argv is None else argv
    for system in SIMULATED:
        command = system.commands.get(args_in[0]) if args_in else None
        if command is not None:
            return command(args_in[1:], SIMULATED)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sandbox = Sandbox(seed=args.seed, rate_limits=not args.no_rate_limits)
    for system, name, volume in args.store:
        sandbox.store(system, name, **volume)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = SandboxServer(sandbox, host=args.host, port=args.port)
    try:
        server.start()
        log.info("sandbox listening on %s", server.base_url)
        if args.ready_file:
            tmp = args.ready_file.with_suffix(args.ready_file.suffix + ".tmp")
            tmp.write_text(json.dumps(_describe(server, sandbox), indent=2))
            tmp.replace(args.ready_file)  # atomic: readers never see half a file
        while not stop.wait(0.5):
            pass
        log.info("sandbox stopping")
    finally:
        server.stop()
        if args.ready_file:
            args.ready_file.unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
