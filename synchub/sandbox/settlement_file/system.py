"""Settlement files as the sandbox offers them: ``synchub sandbox settlements ...`` and
``POST /_sandbox/woocommerce/<store>/settlements``. The files: :mod:`.files`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from synchub.sandbox.kit.registry import StoreRegistry, System, parse_store
from synchub.sandbox.settlement_file.files import write_settlements
from synchub.sandbox.woocommerce.store import WooStore


def build_parser() -> argparse.ArgumentParser:
    """``synchub sandbox settlements``."""
    parser = argparse.ArgumentParser(
        prog="synchub sandbox settlements",
        description="Write settlement files (generic CSV layout) for a sandbox WooCommerce "
                    "shop's Stripe and PayPal payments.")
    parser.add_argument("--out", required=True, help="folder or fsspec URL to write into")
    parser.add_argument("--store", default="woocommerce:demo",
                        help="woocommerce:NAME[:orders=N,...] as the sandbox serves it")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--through", type=date.fromisoformat, default=None,
                        help="last settlement day (YYYY-MM-DD); default: every day")
    parser.add_argument("--bad-row", action="store_true",
                        help="garble one amount in the first file")
    parser.add_argument("--extra-order", action="store_true",
                        help="settle an order the shop does not have")
    return parser


def main(argv: list[str] | None = None, simulated: Sequence[System] = ()) -> int:
    """Write the files and print a JSON summary; 0 on success, 2 on bad arguments.

    ``simulated`` are the sandbox's systems (the command line passes them); alone, the
    command knows WooCommerce only.
    """
    systems = tuple(simulated) or (System("woocommerce", WooStore),)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        system, name, volume = parse_store(args.store, (s.name for s in systems if s.store))
        if system != "woocommerce":
            parser.error(f"--store {args.store!r}: settlements are written for woocommerce "
                         "stores")
    except (SystemExit, argparse.ArgumentTypeError) as exc:
        if isinstance(exc, argparse.ArgumentTypeError):
            sys.stderr.write(f"{exc}\n")
            return 2
        return int(exc.code or 0)
    shop = StoreRegistry(systems, seed=args.seed).store("woocommerce", name, **volume)
    summary = write_settlements(shop, args.out, through=args.through, bad_row=args.bad_row,
                                extra_order=args.extra_order)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


def settlements_router(get_store: Callable[[str], Any]) -> APIRouter:
    """``POST /_sandbox/woocommerce/<store>/settlements {"out": DIR, "through": DAY}``:
    write the live shop's settlement files (orders placed through the sandbox included)."""
    router = APIRouter(prefix="/_sandbox/woocommerce")

    @router.post("/{store}/settlements")
    async def write(store: str, request: Request) -> JSONResponse:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("out"), str):
            return JSONResponse({"error": "give out: a folder or fsspec URL"}, status_code=400)
        through = date.fromisoformat(body["through"]) if body.get("through") else None
        shop = get_store(store)
        with shop.lock:
            summary = write_settlements(shop, body["out"], through=through,
                                        bad_row=bool(body.get("bad_row")),
                                        extra_order=bool(body.get("extra_order")))
        return JSONResponse(summary)

    return router


SYSTEM = System("settlement_file", serves="woocommerce", controls=settlements_router,
                commands={"settlements": main})
