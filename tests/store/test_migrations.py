"""The migration scripts themselves: what single revisions do, up and down."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from synchub.feeds import ledger_views, views
from synchub.store import Store
from synchub.store.migrate import alembic_config, upgrade_to
from tests.conftest import ROOT


def downgrade(store: Store, revision: str) -> None:
    """Run ``alembic downgrade <revision>`` on the store's database."""
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def table_ddl(conn: sa.Connection, table: str) -> list[Any]:
    """Everything the database says defines a table: columns, constraints, indexes."""
    if conn.dialect.name == "sqlite":
        # the CREATE statements exactly as SQLite keeps them
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t ORDER BY type, name"),
            {"t": table})]
    columns = conn.execute(sa.text(
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": table}).all()
    constraints = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) ORDER BY conname"), {"t": table}).all()
    indexes = conn.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = :t ORDER BY indexname"), {"t": table}).all()
    return [tuple(r) for r in (*columns, *constraints, *indexes)]


def test_0007_drops_the_outbox_and_its_downgrade_recreates_it_as_0001_made_it(
        db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, "0006_ledger_views")
        with store.engine.connect() as conn:
            made_by_0001 = table_ddl(conn, "outbox")
        assert "uq_outbox_idempotency_key" in str(made_by_0001)
        assert "ix_outbox_pending" in str(made_by_0001)

        upgrade_to(store.engine, "0007_drop_outbox")
        with store.engine.connect() as conn:
            assert "outbox" not in sa.inspect(conn).get_table_names()

        downgrade(store, "0006_ledger_views")
        with store.engine.connect() as conn:
            assert table_ddl(conn, "outbox") == made_by_0001
        store.upgrade()
    finally:
        store.dispose()


def test_0009_adds_the_run_owner_and_its_downgrade_removes_it(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        upgrade_to(store.engine, "0007_drop_outbox")
        with store.engine.connect() as conn:
            before = table_ddl(conn, "sync_runs")
        upgrade_to(store.engine, "0009_run_owner")
        with store.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sync_runs")}
        assert {"owner", "heartbeat_at"} <= columns
        run_id = store.start_run("shop", "orders")
        store.finish_run(run_id, "success")

        downgrade(store, "0007_drop_outbox")
        with store.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sync_runs")}
            assert conn.execute(sa.text("select status from sync_runs")).scalar() == "success"
        assert not {"owner", "heartbeat_at"} & columns
        if store.engine.dialect.name == "postgresql":   # SQLite rewrites the table's text
            with store.engine.connect() as conn:
                assert table_ddl(conn, "sync_runs") == before
        store.upgrade()
    finally:
        store.dispose()


# -- migrations hold their own SQL -----------------------------------------------------------

VERSIONS = ROOT / "synchub" / "store" / "migrations" / "versions"
STORE = ROOT / "synchub" / "store"
# what a migration may import: the migration tools and the standard library, never the hub
ALLOWED_ROOTS = {"alembic", "sqlalchemy", *sys.stdlib_module_names}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file of the repository."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return imports_in(path.read_text(), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, inside functions too.

    Relative imports are resolved against ``package``; ``importlib.import_module("x")`` and
    ``__import__("x")`` with a literal name count as imports.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            # ``from synchub import feeds`` imports the module synchub.feeds
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id == "__import__"))):
            found.append((node.lineno, node.args[0].value))
    return found


def test_migrations_import_only_alembic_sqlalchemy_and_the_standard_library() -> None:
    files = sorted(VERSIONS.glob("*.py"))
    assert len(files) >= 7
    wrong = [f"{path.name}:{line} imports {name}"
             for path in files for line, name in imported_modules(path)
             if name.split(".")[0] not in ALLOWED_ROOTS]
    assert not wrong, (
        "a migration must not import the hub's code (it would change whenever that code "
        "does); paste what it needs into the migration as literal SQL or frozen types: "
        + "; ".join(wrong))


def test_the_import_check_sees_imports_anywhere_in_a_file() -> None:
    source = ("import json\nfrom alembic import op\n\ndef upgrade():\n"
              "    from synchub.feeds.views import create_statements\n"
              "    from .... import feeds\n    importlib.import_module('synchub.x')\n")
    names = [n for _, n in imports_in(source, "synchub.store.migrations.versions")]
    assert names == ["json", "alembic", "alembic.op", "synchub.feeds.views",
                     "synchub.feeds.views.create_statements", "synchub", "synchub.feeds",
                     "synchub.x"]


def test_nothing_in_the_store_imports_the_feeds() -> None:
    files = sorted(STORE.rglob("*.py"))
    assert len(files) > 10
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in files for line, name in imported_modules(path)
             if name == "synchub.feeds" or name.startswith("synchub.feeds.")]
    assert not wrong, "the store must not depend on the feeds: " + "; ".join(wrong)


def view_definitions(conn: sa.Connection) -> dict[str, str]:
    """Every view of the database (of the current schema) and its definition."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
    else:
        # PostgreSQL keeps the parsed query: compare its own rendering of both sides
        rows = conn.execute(sa.text(
            "SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'v' AND n.nspname = current_schema()"))
    return {name: sql for name, sql in rows}


def test_migrated_views_are_the_live_view_definitions(db_url: str) -> None:
    """A fresh database migrated to head has exactly the views synchub.feeds defines today."""
    store = Store.from_url(db_url)
    try:
        store.upgrade()
        with store.engine.connect() as conn, conn.begin() as tx:
            migrated = view_definitions(conn)
            # the same views made from the live code, in this transaction, then rolled back
            for module in (ledger_views, views):
                for statement in module.drop_statements():
                    conn.execute(sa.text(statement))
            assert view_definitions(conn) == {}
            for module in (views, ledger_views):
                for statement in module.create_statements(conn.dialect.name):
                    conn.execute(sa.text(statement))
            live = view_definitions(conn)
            tx.rollback()
    finally:
        store.dispose()
    assert len(live) == len(views.VIEWS) + len(ledger_views.LEDGER_VIEWS)
    differ = sorted(n for n in migrated.keys() | live.keys() if migrated.get(n) != live.get(n))
    assert not differ, (
        f"views {differ} of a database migrated to head differ from synchub/feeds/views.py and "
        "ledger_views.py: a change to the live view code must come with a new migration that "
        "drops and recreates those views with the SQL create_statements() gives now, pasted "
        "into the migration as literal SQL for SQLite and PostgreSQL")
