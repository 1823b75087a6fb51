"""``synchub demo | sandbox``: the local sandbox and a demo run through Airflow."""

from __future__ import annotations

import argparse

from synchub.cli.common import SubParsers, hub_path, with_config


def cmd_demo(args: argparse.Namespace) -> int:
    """Sandbox, store upgrade, then every DAG through ``airflow dags test``."""
    from synchub.demo import run_demo

    return run_demo(hub_path=hub_path(args), changes=args.changes)


def run_sandbox(rest: list[str]) -> int:
    """``synchub sandbox ...``: the sandbox's own command line, arguments passed through."""
    from synchub.sandbox.cli import main as sandbox_main

    return sandbox_main(rest)


def register_sandbox(sub: SubParsers) -> None:
    """Register ``synchub sandbox`` (listed in the help; its arguments bypass the parser)."""
    sub.add_parser("sandbox", help="run the loopback vendor API simulators", add_help=False)


def register_demo(sub: SubParsers) -> None:
    """Register ``synchub demo``."""
    sp = with_config(sub.add_parser("demo", help="sandbox + Airflow sync of every connection"))
    sp.add_argument("--changes", type=int, default=5,
                    help="records the sandbox creates and updates before a repeat run")
    sp.set_defaults(handler=cmd_demo)
