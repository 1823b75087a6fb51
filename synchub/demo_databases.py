"""Shop databases the demo makes itself: systems read at database level, not over HTTP.

The sandbox serves HTTP APIs; a shop the hub reads through its database (ECShop) is a real
database on the local MySQL/MariaDB server instead. For each connection of the hub whose
system is in :data:`DATABASES`, the demo creates and seeds that database when it is absent
and gives the deployment its Connection (``LocalEnv.connections``), with a read user and a
separate stock-writing user granted only what the connector documents.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synchub.errors import SynchubError

MYSQL_HOST = os.environ.get("SYNCHUB_DEMO_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("SYNCHUB_DEMO_MYSQL_PORT", "3306"))
MYSQL_ADMIN = os.environ.get("SYNCHUB_DEMO_MYSQL_USER", "root")


@dataclass(frozen=True)
class DemoDatabase:
    """Where a demo shop's database lives and how its state is kept."""

    var: Path                 # the hub's var/ (the users' passwords are kept there)
    host: str = MYSQL_HOST
    port: int = MYSQL_PORT
    admin: str = MYSQL_ADMIN

    @property
    def server(self) -> str:
        return f"{self.admin}@{self.host}:{self.port}"

    def password(self, user: str) -> str:
        """A user's password: made once for this deployment, kept readable by its owner."""
        path = self.var / f"{user}.password"
        if not path.exists():
            self.var.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(24))
        return path.read_text().strip()


def ecshop_database(db: DemoDatabase, conn_id: str) -> tuple[dict[str, Any], bool]:
    """ECShop's demo shop (the merchant's codes as goods_sn): its Connection, and whether
    the database was created now."""
    import sqlalchemy as sa

    from synchub.sandbox.ecshop.seed import EcshopSeed, create_shop, server_url, shop_exists

    name = f"synchub_demo_{conn_id}"
    seed = EcshopSeed(key="demo", goods=40, users=30, orders=120, sn_format="SKU-{n:05d}-1")
    server = server_url(db.host, db.port, db.admin)
    try:
        created = not shop_exists(server, name)
        if created:
            create_shop(server, name, seed).dispose()
        # users of this shop alone (MariaDB allows 80 characters)
        reader, writer = f"synchub_read_{conn_id}"[:80], f"synchub_stock_{conn_id}"[:80]
        grants = [(reader, f"SELECT ON `{name}`.*"),
                  (writer, f"SELECT, UPDATE (goods_number) ON `{name}`.`ecs_goods`")]
        admin = sa.create_engine(server)
        with admin.begin() as conn:
            for user, grant in grants:
                conn.execute(sa.text(f"CREATE USER IF NOT EXISTS '{user}'@'%' "
                                     "IDENTIFIED BY :pw"), {"pw": db.password(user)})
                conn.execute(sa.text(f"ALTER USER '{user}'@'%' IDENTIFIED BY :pw"),
                             {"pw": db.password(user)})
                conn.execute(sa.text(f"GRANT {grant} TO '{user}'@'%'"))
        admin.dispose()
    except sa.exc.OperationalError as exc:
        raise SynchubError(
            f"{conn_id}: the ECShop demo database needs MySQL/MariaDB at {db.server} "
            f"(SYNCHUB_DEMO_MYSQL_HOST/PORT/USER to change): {exc.orig}") from exc
    conn_doc = {"conn_type": "mysql", "host": db.host, "port": db.port, "schema": name,
                "login": reader, "password": db.password(reader),
                "extra": {"time_zone": seed.time_zone, "writer_login": writer,
                          "writer_password": db.password(writer)}}
    return conn_doc, created


# system -> how its demo database is made; the rest of the demo is system-neutral
DATABASES: dict[str, Callable[[DemoDatabase, str], tuple[dict[str, Any], bool]]] = {
    "ecshop": ecshop_database,
}


def demo_databases(db: DemoDatabase, hub: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """conn_id -> Connection of every hub connection served by a demo database, and the
    conn_ids whose database was created now."""
    conns: dict[str, dict[str, Any]] = {}
    created: list[str] = []
    for plan in hub.connections.values():
        make = DATABASES.get(plan.system)
        if make is None:
            continue
        conn_id = plan.config.conn_id
        conns[conn_id], fresh = make(db, conn_id)
        if fresh:
            created.append(conn_id)
    return conns, created
