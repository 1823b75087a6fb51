"""Store.upgrade() runs the migrations once per deploy; Store.check_current() only checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from synchub.errors import ConfigError
from synchub.store import Store, StoreNotCurrentError
from synchub.store import migrate as migrate_module
from synchub.store.migrate import head_revision, upgrade_to

PASSWORD = "s3cret-Pw"  # a test value; trust auth ignores it


@pytest.fixture
def url(db_url: str) -> str:
    """The test database's URL, with a password on PostgreSQL (trust auth ignores it)."""
    parsed = sa.make_url(db_url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(password=PASSWORD)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    st = Store.from_url(url)
    try:
        yield st
    finally:
        st.dispose()


def not_current(store: Store) -> StoreNotCurrentError:
    with pytest.raises(StoreNotCurrentError) as caught:
        store.check_current()
    return caught.value


def test_the_head_is_the_newest_migration() -> None:
    assert head_revision() == "0014_auth_tokens"


def test_an_empty_database_fails_the_check_until_it_is_upgraded(store: Store, url: str) -> None:
    error = not_current(store)
    assert isinstance(error, ConfigError)
    masked = sa.make_url(url).render_as_string(hide_password=True)
    assert str(error) == (
        f"the store database {masked} has not been migrated (no revision recorded); this code "
        f"needs revision {head_revision()}: run `synchub db upgrade`")
    assert PASSWORD not in str(error)
    if store.engine.dialect.name == "postgresql":
        assert ":***@" in str(error)
    assert (error.current, error.head) == ((), head_revision())

    store.upgrade()
    store.check_current()   # passes: no error
    store.upgrade()         # once more: nothing to do, still current
    store.check_current()


def test_a_database_at_an_older_revision_names_both_revisions(store: Store) -> None:
    upgrade_to(store.engine, "0005_ledger")
    error = not_current(store)
    assert ("is at revision 0005_ledger, behind this code's revision "
            "0014_auth_tokens") in str(error)
    assert str(error).endswith(": run `synchub db upgrade`")
    assert error.current == ("0005_ledger",)

    store.upgrade()
    store.check_current()


def test_a_database_newer_than_the_code_is_not_told_to_upgrade(store: Store) -> None:
    store.upgrade()
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"),
                     {"v": "0099_future"})
    error = not_current(store)
    assert "is at revision 0099_future, which this code does not know (its newest is " \
        "0014_auth_tokens)" in str(error)
    assert "synchub db upgrade" not in str(error)


def test_the_check_is_one_query_and_reads_the_scripts_once(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upgrade()
    reads: list[Any] = []
    real = migrate_module.ScriptDirectory.from_config

    def counted(cfg: Any) -> Any:
        reads.append(cfg)
        return real(cfg)

    monkeypatch.setattr(migrate_module.ScriptDirectory, "from_config", counted)
    migrate_module._scripts.cache_clear()
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement != "BEGIN":   # SQLite's BEGIN (see synchub.store.engine)
            statements.append(statement)

    for _ in range(3):
        store.check_current()
    assert len(reads) == 1
    assert len(statements) == 3
    assert all("FROM alembic_version" in s for s in statements)


def test_migrate_is_an_alias_of_upgrade(store: Store) -> None:
    store.migrate()
    store.check_current()
