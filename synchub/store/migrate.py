"""Bring a database to the newest schema with the migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from synchub.store.engine import SQLITE_IMMEDIATE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# any constant: serialises concurrent migrate() calls on one PostgreSQL database
_PG_LOCK_KEY = 0x5F3A_11B0


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    # configparser interpolates '%': escape it in case the install path has one
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return cfg


def upgrade_head(engine: sa.Engine) -> None:
    """Run ``alembic upgrade head`` on the engine's database; a no-op when already there."""
    cfg = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
            # the connection (and so a search_path given in the URL) is used as it is
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
