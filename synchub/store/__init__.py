"""The hub store: SQLAlchemy Core tables, change-detected upserts, change feed, dead letters.

SQLite is the embedded default and PostgreSQL the production database; the schema comes only
from the Alembic migrations shipped in ``synchub/store/migrations``, run once per deploy
(``Store.upgrade()``); ``Store.check_current()`` says whether a database is there.
"""

from __future__ import annotations

from synchub.store import (  # noqa: F401 - registers tables
    delivery_tables,
    ledger_tables,
    stock_tables,
    token_tables,
)
from synchub.store.migrate import StoreNotCurrentError
from synchub.store.rows import to_stored
from synchub.store.store import Store
from synchub.store.tables import ENTITY_TABLE_NAMES, entity_table
from synchub.store.types import DeadLetterIn, FeedPage, PageResult, StoredRecord

__all__ = ["ENTITY_TABLE_NAMES", "DeadLetterIn", "FeedPage", "PageResult", "Store",
           "StoreNotCurrentError", "StoredRecord", "entity_table", "to_stored"]
