"""``synchub``: validate config, normalize payloads, run syncs, read feeds, run the sandbox.

Exit status: 0 success; 1 a sync or API failure; 2 usage or configuration error;
3 some records were quarantined (``normalize``).

The argparse tree is built here from one module per command group; they share only
:mod:`synchub.cli.common` (which imports none of them) and call the jobs in
:mod:`synchub.jobs` for what the DAG tasks do too.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from synchub.cli import (
    config,
    db,
    demo,
    feed,
    feeds,
    ledger,
    new_system,
    normalize,
    push,
    run,
    stock,
    systems,
)
from synchub.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    describe_database_error,
    err,
    setup_logging,
    store_url_of,
)
from synchub.errors import ConfigError, SynchubError, redact

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``synchub`` parser; each leaf command sets ``handler`` (args -> exit status)."""
    p = argparse.ArgumentParser(prog="synchub", description=(__doc__ or "").split("\n")[0])
    p.add_argument("-v", "--verbose", action="count", default=0)
    sub = p.add_subparsers(dest="command", required=True)
    config.register_validate(sub)
    normalize.register(sub)
    run.register_run(sub)
    feed.register(sub)
    config.register_schemas(sub)
    demo.register_sandbox(sub)
    config.register_pools(sub)
    run.register_runs(sub)
    demo.register_demo(sub)
    stock.register(sub)
    push.register(sub)
    feeds.register(sub)
    ledger.register(sub)
    db.register(sub)
    systems.register(sub)
    new_system.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``synchub`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "sandbox":
        return demo.run_sandbox(argv[1:])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    setup_logging(args.verbose)
    try:
        status: int = args.handler(args)
        return status
    except ConfigError as exc:
        errors = getattr(exc, "errors", [exc])
        for e in errors:
            err(f"error: {e.message}")
        return EXIT_USAGE
    except SynchubError as exc:
        err(f"error: {exc.message}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # a database error is one line with a hint; its traceback only with -v
        described = describe_database_error(exc, store_url_of(args))
        if described is None:
            raise
        line, status = described
        if args.verbose:
            err(redact(traceback.format_exc()).rstrip())
        err(line if args.verbose else f"{line}; -v shows the traceback")
        return status
    except BrokenPipeError:
        # the reader went away (`synchub feed ... | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
