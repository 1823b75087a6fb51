"""The store's schema: upgrade a database with the shipped migrations, check it is current.

Migrations run once per deploy (:func:`upgrade_to`, ``Store.upgrade()``); everything else
only checks, cheaply, that the database is at the revision this code was written for
(:func:`check_current`, ``Store.check_current()``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from synchub.errors import ConfigError
from synchub.store.engine import SQLITE_IMMEDIATE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# any constant: serialises concurrent upgrades of one PostgreSQL database
_PG_LOCK_KEY = 0x5F3A_11B0
# the table Alembic records a database's revision in
_VERSION = sa.table("alembic_version", sa.column("version_num", sa.String))
UPGRADE_FIX = "run `synchub db upgrade`"


class StoreNotCurrentError(ConfigError):
    """The store database is not at the revision of this code's migrations."""

    def __init__(self, message: str, *, database: str, current: tuple[str, ...],
                 head: str) -> None:
        self.database, self.current, self.head = database, current, head
        super().__init__(message)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    # configparser interpolates '%': escape it in case the install path has one
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return cfg


@functools.cache
def _scripts() -> tuple[str, frozenset[str]]:
    """(head revision, every revision) of the shipped migrations, read once per process."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    if len(heads) != 1:
        raise ConfigError(f"the store's migrations have {len(heads)} heads ({', '.join(heads)}); "
                          "they must form one line")
    return heads[0], frozenset(r.revision for r in script.walk_revisions())


def head_revision() -> str:
    """The newest revision of the migrations shipped with this code."""
    return _scripts()[0]


def upgrade_to(engine: sa.Engine, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on the engine's database; a no-op when already there."""
    cfg = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
            # the connection (and so a search_path given in the URL) is used as it is
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)


def current_revisions(conn: sa.Connection) -> tuple[str, ...]:
    """The revisions the database records (one query); empty when it was never migrated."""
    try:
        return tuple(sorted(conn.execute(sa.select(_VERSION.c.version_num)).scalars()))
    except sa.exc.DBAPIError:
        # only a missing table means "never migrated"; anything else is the caller's problem
        conn.rollback()
        if sa.inspect(conn).has_table("alembic_version"):
            raise
        return ()


def check_current(engine: sa.Engine) -> None:
    """Raise :class:`StoreNotCurrentError` unless the database is at this code's head revision.

    One query of ``alembic_version``; the head is read from the migration scripts once per
    process.
    """
    head, known = _scripts()
    with engine.connect() as conn:
        current = current_revisions(conn)
    if current == (head,):
        return
    database = engine.url.render_as_string(hide_password=True)
    if not current:
        message = (f"the store database {database} has not been migrated (no revision "
                   f"recorded); this code needs revision {head}: {UPGRADE_FIX}")
    elif set(current) <= known:
        message = (f"the store database {database} is at revision {', '.join(current)}, "
                   f"behind this code's revision {head}: {UPGRADE_FIX}")
    else:
        message = (f"the store database {database} is at revision {', '.join(current)}, "
                   f"which this code does not know (its newest is {head}): a newer synchub "
                   "migrated it; run that version, or downgrade the database with it")
    raise StoreNotCurrentError(message, database=database, current=current, head=head)
