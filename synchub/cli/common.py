"""What every command shares: exit codes, output, the hub file, the checked store.

Imports none of the command modules (they import this one). Engine modules are imported
inside the helpers that need them, so that ``synchub --help`` and light commands start
fast.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from synchub.errors import ConfigError, redact, safe_url

if TYPE_CHECKING:
    from synchub.plan import Hub
    from synchub.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_QUARANTINED = 0, 1, 2, 3
SubParsers = Any  # argparse's _SubParsersAction, private in typeshed
STORE_HELP = "store URL (default: from the hub file)"


def out(text: str, stream: TextIO | None = None) -> None:
    """Write a line to stdout (or ``stream``)."""
    (stream or sys.stdout).write(text + "\n")


def err(text: str) -> None:
    """Write a line to stderr."""
    sys.stderr.write(text + "\n")


class RedactFilter(logging.Filter):
    """Masks secrets in every record a handler writes: the CLI's own log masker.

    Inside Airflow, Airflow's secrets masker does this (the DAGs register every secret of a
    Connection with it); outside, this filter passes each message and traceback through
    :func:`~synchub.errors.redact`, which knows the secrets every Connection registered.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own report
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(verbose: int) -> None:
    """Log to stderr (``-v`` INFO, ``-vv`` DEBUG) through :class:`RedactFilter`."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())


URL_HINT = "check the store URL (--store, SYNCHUB_STORE_URL or the hub file's store:)"
# (what the driver says, a pattern over its lower-cased message; classification; what it
# means and what to do). The first match wins; psycopg and sqlite3 word errors differently.
DATABASE_ERRORS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), kind, hint) for pattern, kind, hint in (
        (r"connection refused|no such file or directory", "database unreachable",
         "connection refused — is {server} running? " + URL_HINT),
        (r"failed to resolve host|name or service not known|could not translate host name",
         "database unreachable", "unknown host — " + URL_HINT),
        (r"timeout expired|timed out", "database unreachable",
         "no answer in time — is {server} running and reachable? " + URL_HINT),
        (r"unable to open database file", "database unreachable",
         "cannot open the file — does its folder exist, and may this user write there?"),
        (r"password authentication failed|no password supplied|authentication failed",
         "database login refused", "wrong user or password — " + URL_HINT),
        (r'role ".*" does not exist', "database login refused", "no such user — " + URL_HINT),
        (r'database ".*" does not exist', "database not found", "create it, or " + URL_HINT),
        (r"no such table|undefinedtable|relation .* does not exist", "store not upgraded",
         "run `synchub db upgrade`"),
        (r"permission denied|must be owner", "database permission denied",
         "the store's user lacks a privilege it needs (see docs/store.md)"),
        (r"server closed the connection|terminating connection|connection is closed|"
         r"consuming input failed", "database connection lost",
         "{server} closed the connection; run the command again when it is back"),
        (r"database is locked", "database busy",
         "another process holds the SQLite file's write lock; try again"),
    ))


def describe_database_error(exc: BaseException, url: str | None) -> tuple[str, int] | None:
    """One line for a database error (classification, the store without credentials, a
    hint) and the exit status; None when ``exc`` is not a database error (SQLAlchemy's,
    with its driver's inside)."""
    import sqlalchemy as sa

    if not isinstance(exc, sa.exc.DBAPIError | sa.exc.ArgumentError):
        return None
    where = f" ({safe_url(url)})" if url else ""
    if isinstance(exc, sa.exc.ArgumentError):
        return f"error: invalid store URL{where}: {redact(exc)}", EXIT_USAGE
    driver = str(exc.orig if exc.orig is not None else exc)
    text = f"{type(exc.orig).__name__} {driver}".lower()
    server = "PostgreSQL" if url and url.startswith("postgres") else "the database server"
    for pattern, kind, hint in DATABASE_ERRORS:
        if pattern.search(text):
            return f"error: {kind}{where}: {hint.format(server=server)}", EXIT_FAILED
    first = driver.strip().splitlines()[0] if driver.strip() else type(exc).__name__
    return f"error: database error{where}: {redact(first)}", EXIT_FAILED


def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--config/-c`` (the hub file) to a command's parser."""
    sp.add_argument("--config", "-c", help="hub file (default $SYNCHUB_HUB or ./hub.yaml)")
    return sp


def with_store(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--config`` and ``--store`` (a store URL overriding the hub file's)."""
    with_config(sp)
    sp.add_argument("--store", help=STORE_HELP)
    return sp


def day_arg(text: str) -> date:
    """An argparse type: a day as ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def hub_path(args: argparse.Namespace) -> Path:
    """``--config``, else ``$SYNCHUB_HUB``, else ``./hub.yaml``."""
    from synchub.config.hub import default_hub_path

    return Path(args.config) if args.config else default_hub_path()


def load_hub(args: argparse.Namespace, *, mappings: bool = True) -> Hub:
    """The hub file the command names (mappings compiled unless ``mappings=False``)."""
    from synchub.jobs.common import load

    return load(hub_path(args), mappings=mappings)


def store_url_of(args: argparse.Namespace) -> str | None:
    """The store URL a command uses, for messages; None when it cannot be told."""
    try:
        return store_override(args) or load_hub(args, mappings=False).store_url()
    except Exception:  # a message helper: the hub file's own error was or will be reported
        return None


def store_override(args: argparse.Namespace) -> str | None:
    """``--store`` as an absolute URL (a relative SQLite path is taken from the cwd)."""
    from synchub.config.hub import absolutize_sqlite

    url = getattr(args, "store", None)
    return absolutize_sqlite(url, Path.cwd()) if url else None


@contextmanager
def opened_store(args: argparse.Namespace) -> Iterator[Store]:
    """The store of ``--store`` or the hub file, checked to be at the migrations' head."""
    from synchub.jobs.common import checked_store

    url = store_override(args) or load_hub(args, mappings=False).store_url()
    with checked_store(url) as store:
        yield store


@contextmanager
def hub_and_store(args: argparse.Namespace, *, mappings: bool = True, stock: bool = False,
                  ledger: bool = False) -> Iterator[tuple[Hub, Store]]:
    """The hub (which must have a stock or ledger section when asked) and its checked store."""
    from synchub.jobs.common import checked_store, need_ledger, need_stock

    hub = load_hub(args, mappings=mappings)
    if stock:
        need_stock(hub)
    if ledger:
        need_ledger(hub)
    with checked_store(store_override(args) or hub.store_url()) as store:
        yield hub, store


def entity_name(name: str) -> str:
    """The entity, stock feed or row feed a user means (``orders``, ``Stock-Alerts``)."""
    from synchub.canonical import ENTITIES
    from synchub.feeds.ledger_views import ROW_FEEDS
    from synchub.store.stock_tables import STOCK_FEEDS

    n = name.strip().lower().replace("-", "_")
    for cand in (n, n[:-1] if n.endswith("s") else n, n[:-2] if n.endswith("es") else n):
        if cand in ENTITIES or cand in STOCK_FEEDS or cand in ROW_FEEDS:
            return cand
    known = sorted(ENTITIES) + sorted(STOCK_FEEDS) + sorted(ROW_FEEDS)
    raise ConfigError(f"unknown entity {name!r}; known: {', '.join(known)}")
