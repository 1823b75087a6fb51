"""ECShop: stock figures written to ``ecs_goods.goods_number`` with a compare-and-set.

ECShop has no stock API, so the hub writes the column the shop itself decrements when it
sells. It does so only with the write user the Connection names (``extra.writer_login`` and
``extra.writer_password``: a database user granted ``UPDATE (goods_number)`` on the goods
table and nothing else, docs/systems/ecshop.md); the read user of the streams never writes.
Without one every change is ``failed`` with that reason and no statement is sent.

Each batch is one transaction. Each row is updated only where it still shows the figure
the hub last read (``expected``): a row the shop changed meanwhile (a sale, an edit in the
admin) is not overwritten but reported as a ``conflict`` with the figure it shows now, and
the next stock run computes again from that figure. On MyISAM tables (ECShop's default
engine) the batch is not atomic, but each row's compare-and-set still holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError, register_secret
from synchub.runtime.sql import engine_for
from synchub.stock.publish.base import ListingChange, PushOutcome, StockPublisher

DENIED = frozenset({1044, 1045, 1142, 1143})   # MySQL: access denied (login, table, column)
GOODS_NUMBER_MAX = 65_535   # goods_number is SMALLINT(5) UNSIGNED in ECShop's install SQL


class GoodsNumberOptions(BaseModel):
    """Where the write user's credentials are in the Connection's extra."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    login_key: str = Field(default="writer_login")
    password_key: str = Field(default="writer_password")


class GoodsNumberPublisher(StockPublisher):
    """Sets ``goods_number`` per goods, compare-and-set on the previous figure."""

    Options = GoodsNumberOptions

    def push(self, changes: Sequence[ListingChange]) -> list[PushOutcome]:
        """Push every change in batches of ``batch_size``; one outcome per change."""
        engine = self._write_engine()
        if isinstance(engine, str):
            return [PushOutcome(c.listing_id, "failed", error=engine) for c in changes]
        out: list[PushOutcome] = []
        for start in range(0, len(changes), self.max_batch):
            out += self._batch(engine, changes[start:start + self.max_batch])
        return out

    def _write_engine(self) -> sa.Engine | str:
        """The engine of the write user, or why there is none."""
        conn = self.client.conn
        login = conn.extra.get(self.options.login_key)
        password = conn.extra.get(self.options.password_key)
        if not login or not password:
            return (f"connection {conn.conn_id!r} is not granted write: set "
                    f"extra.{self.options.login_key} and extra.{self.options.password_key} "
                    "to the database user allowed to update goods_number")
        register_secret(str(password))
        writer = dataclasses.replace(conn, login=str(login), password=str(password))
        return engine_for(writer)

    def _batch(self, engine: sa.Engine, batch: Sequence[ListingChange]) -> list[PushOutcome]:
        table = self._table(engine)
        update = sa.text(f"UPDATE {table} SET goods_number = :quantity "
                         "WHERE goods_id = :goods_id AND goods_number = :expected")
        read = sa.text(f"SELECT goods_number FROM {table} WHERE goods_id = :goods_id")
        out: list[PushOutcome] = []
        try:
            with engine.begin() as db:
                for change in batch:
                    out.append(self._one(db, update, read, change))
        except sa.exc.OperationalError as exc:
            code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
            if code in DENIED:
                raise FatalAPIError(f"stock_publisher ecshop_goods_number: the write user "
                                    f"was refused: {exc.orig}") from None
            raise RetriableAPIError(f"stock_publisher ecshop_goods_number: database "
                                    f"unavailable: {exc.orig or exc}") from None
        self.stats.write_calls += 1
        self.stats.conflicts += sum(o.status == "conflict" for o in out)
        return out

    def _table(self, engine: sa.Engine) -> str:
        name = self.spec.path.strip().strip("/")
        parts = name.split(".")
        if not all(p.replace("_", "").isalnum() for p in parts):
            raise ConfigError(f"stock_publisher.path {self.spec.path!r} is not a table name",
                              key="stock_publisher.path")
        q = engine.dialect.identifier_preparer
        return ".".join(q.quote(p) for p in parts)

    def _one(self, db: sa.Connection, update: Any, read: Any,
             change: ListingChange) -> PushOutcome:
        goods_id = _goods_id(change)
        if goods_id is None:
            return PushOutcome(change.listing_id, "failed",
                               error="no goods id (expected <goods_id>:default)")
        if not 0 <= change.quantity <= GOODS_NUMBER_MAX:
            return PushOutcome(change.listing_id, "failed",
                               error=f"quantity {change.quantity} does not fit goods_number "
                                     f"(0..{GOODS_NUMBER_MAX})")
        row = db.execute(read, {"goods_id": goods_id}).first()
        if row is None:
            return PushOutcome(change.listing_id, "failed",
                               error=f"goods {goods_id} is not in the shop")
        shown = int(row[0])
        if shown == change.quantity:
            return PushOutcome(change.listing_id, "unchanged", channel_quantity=shown)
        expected = change.expected if change.expected is not None else shown
        if shown != expected:
            return PushOutcome(change.listing_id, "conflict", channel_quantity=shown)
        done = db.execute(update, {"quantity": change.quantity, "goods_id": goods_id,
                                   "expected": expected})
        if done.rowcount != 1:   # changed between the read and the write
            now = db.execute(read, {"goods_id": goods_id}).scalar()
            return PushOutcome(change.listing_id, "conflict",
                               channel_quantity=None if now is None else int(now))
        return PushOutcome(change.listing_id, "pushed", channel_quantity=change.quantity)


def _goods_id(change: ListingChange) -> int | None:
    raw = (change.product_id or change.listing_id.split(":", 1)[0]).strip()
    return int(raw) if raw.isdigit() else None
