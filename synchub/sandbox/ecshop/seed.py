"""An ECShop database for tests and the demo: its install schema, seeded as the shop writes.

:func:`create_shop` makes a fresh database on a MySQL/MariaDB server, installs the tables
of ``install.sql`` and seeds them with :class:`EcshopSeed`. Rows are written the way ECShop
writes them:

- times are ECShop's ``gmtime()``: ``time() - date('Z')``, Unix seconds less the UTC offset
  of the shop's ``$timezone`` (data/config.php), so a Shanghai shop stores 8 hours less;
- money is DECIMAL(10,2) and adds up the way ``order_fee()`` adds it: goods_amount - discount
  + tax + fees is the amount, a bonus takes from it, and money_paid + surplus +
  integral_money + order_amount pay the rest;
- an order's change times are 0 until the step happens (an unpaid order's pay_time);
- the session runs with ``sql_mode=''`` as ECShop's cls_mysql sets it, so an out-of-range
  figure is clamped to the column's limit rather than refused (``poisoned`` orders carry
  an add_time at the INT UNSIGNED ceiling, as a corrupted row would).

The module imports nothing of the engine; record i depends only on the seed and i.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from synchub.sandbox.kit.money import cents
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for

INSTALL_SQL = Path(__file__).with_name("install.sql")
UINT_MAX = 4_294_967_295
REGIONS = [  # (region_id, parent_id, name, type): country 1, provinces, cities, districts
    (1, 0, "中国", 0), (2, 1, "上海", 1), (3, 2, "上海", 2), (4, 3, "浦东新区", 3),
    (5, 1, "广东", 1), (6, 5, "深圳", 2), (7, 6, "南山区", 3), (8, 1, "北京", 1),
    (9, 8, "北京", 2), (10, 9, "朝阳区", 3),
]
_PLACES = [(2, 3, 4, "200120"), (5, 6, 7, "518000"), (8, 9, 10, "100020")]
_SHIPPING = [(1, "顺丰速运"), (2, "圆通速递"), (3, "申通快递")]
_PAYMENT = [(1, "支付宝"), (2, "微信支付"), (3, "货到付款"), (4, "余额支付")]


def gmtime(at: int, zone: ZoneInfo) -> int:
    """What ECShop's ``gmtime()`` stores for the Unix second ``at`` in a shop of ``zone``."""
    offset = datetime.fromtimestamp(at, UTC).astimezone(zone).utcoffset()
    return at - int(offset.total_seconds()) if offset else at


def server_url(host: str = "127.0.0.1", port: int = 3306, user: str = "root",
               password: str | None = None) -> sa.URL:
    """The URL of a MySQL/MariaDB server (no database)."""
    return sa.URL.create("mysql+pymysql", username=user, password=password, host=host,
                         port=port, query={"charset": "utf8mb4"})


def create_shop(server: sa.URL, database: str, seed: EcshopSeed | None = None) -> sa.Engine:
    """Create ``database`` afresh, install the schema, seed it; the engine on it."""
    admin = sa.create_engine(server)
    with admin.begin() as db:
        db.execute(sa.text(f"DROP DATABASE IF EXISTS `{_name(database)}`"))
        db.execute(sa.text(f"CREATE DATABASE `{_name(database)}` CHARACTER SET utf8mb4"))
    admin.dispose()
    engine = sa.create_engine(server.set(database=database))
    install(engine)
    (seed or EcshopSeed()).write(engine)
    return engine


def shop_exists(server: sa.URL, database: str) -> bool:
    """True when ``database`` is on the server with ECShop's goods table."""
    admin = sa.create_engine(server)
    try:
        with admin.connect() as db:
            found = db.execute(sa.text(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = :d "
                "AND table_name = 'ecs_goods'"), {"d": _name(database)}).scalar_one()
    finally:
        admin.dispose()
    return bool(found)


def drop_shop(server: sa.URL, database: str) -> None:
    """Drop the database again."""
    admin = sa.create_engine(server)
    with admin.begin() as db:
        db.execute(sa.text(f"DROP DATABASE IF EXISTS `{_name(database)}`"))
    admin.dispose()


def install(engine: sa.Engine) -> None:
    """Run the install schema's CREATE TABLE statements."""
    text = "\n".join(line for line in INSTALL_SQL.read_text("utf-8").splitlines()
                     if not line.startswith("--"))
    with engine.begin() as db:
        for statement in (s.strip() for s in text.split(";")):
            if statement:
                db.execute(sa.text(statement))


def _name(database: str) -> str:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"database name {database!r} is not plain")
    return database


@dataclass
class EcshopSeed:
    """How many of each, the shop's zone, and the seed every row is drawn from."""

    key: str = "demo"
    goods: int = 12
    users: int = 8
    orders: int = 30
    poisoned: int = 0
    time_zone: str = "Asia/Shanghai"
    # goods_sn of goods number n (1, 2...): the merchant's codes, which its ERP knows too
    sn_format: str = "ECS{n:06d}"

    @property
    def zone(self) -> ZoneInfo:
        """The shop's ``$timezone``."""
        return ZoneInfo(self.time_zone)

    def write(self, engine: sa.Engine) -> None:
        """Insert regions, goods, members and orders with their goods."""
        with engine.begin() as db:
            db.execute(sa.text("SET SESSION sql_mode = ''"))
            db.execute(sa.text("INSERT INTO ecs_region (region_id, parent_id, region_name, "
                               "region_type) VALUES (:i, :p, :n, :t)"),
                       [{"i": i, "p": p, "n": n, "t": t} for i, p, n, t in REGIONS])
            _insert(db, "ecs_goods", [self.goods_row(i) for i in range(self.goods)])
            _insert(db, "ecs_users", [self.user_row(j) for j in range(self.users)])
            for n in range(self.orders):
                order, lines = self.order_rows(n)
                _insert(db, "ecs_order_info", [order])
                _insert(db, "ecs_order_goods", lines)

    def when(self, *parts: object) -> int:
        """A true Unix second in 2025, drawn from ``parts``."""
        return YEAR_START + rng_for(self.key, *parts).randrange(YEAR_SECONDS // 2)

    def goods_row(self, i: int) -> dict[str, Any]:
        """Goods number ``i + 1``: price, stock, flags, ECShop times."""
        r = rng_for(self.key, "goods", i)
        price = r.randrange(1900, 99900, 100)
        added = self.when("goods", i)
        return {
            "goods_id": i + 1, "cat_id": 1 + i % 3, "goods_sn": self.sn_format.format(n=i + 1),
            "goods_name": f"商品 {i + 1}", "goods_number": r.randrange(0, 200),
            "market_price": cents(price * 12 // 10), "shop_price": cents(price),
            "goods_desc": "", "is_real": 0 if i % 11 == 10 else 1,
            "is_on_sale": 0 if i % 7 == 6 else 1, "is_delete": 0,
            "is_best": i % 2, "is_new": i % 3 == 0, "is_hot": i % 5 == 0,
            "add_time": gmtime(added, self.zone),
            "last_update": gmtime(added + r.randrange(3600, 86400), self.zone),
        }

    def user_row(self, j: int) -> dict[str, Any]:
        """Member ``j + 1`` (password hash and salt as ECShop keeps them: never read)."""
        p = person(self.key, j)
        reg = self.when("user", j)
        return {
            "user_id": j + 1, "email": p["email"], "user_name": f"member{j + 1}",
            "password": f"{rng_for(self.key, 'pw', j).getrandbits(128):032x}",
            "ec_salt": "1234", "alias": p["first_name"], "msn": "", "qq": "",
            "office_phone": "", "home_phone": "", "mobile_phone": p["phone"] or "",
            "reg_time": gmtime(reg, self.zone), "last_login": gmtime(reg + 7200, self.zone),
            "is_validated": j % 2, "user_rank": j % 3, "credit_line": "0.00",
        }

    def order_rows(self, n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Order ``n + 1`` with its goods; every figure adds up as order_fee() adds it."""
        r = rng_for(self.key, "order", n)
        lines = []
        for k in range(r.randrange(1, 4)):
            g = self.goods_row(r.randrange(self.goods))
            qty = r.randrange(1, 4)
            lines.append({"order_id": n + 1, "goods_id": g["goods_id"],
                          "goods_name": g["goods_name"], "goods_sn": g["goods_sn"],
                          "goods_number": qty, "market_price": g["market_price"],
                          "goods_price": g["shop_price"], "goods_attr": "",
                          "is_real": 1, "rec_id": (n + 1) * 10 + k})
        goods = sum(round(float(ln["goods_price"]) * 100) * ln["goods_number"] for ln in lines)
        shipping = r.choice((0, 1000, 1500))
        insure = r.choice((0, 0, 200))
        pay_fee = r.choice((0, 0, 100))
        discount = r.choice((0, 0, 500)) if goods > 1000 else 0
        bonus = r.choice((0, 0, 1000)) if goods > 3000 else 0
        amount = goods - discount + shipping + insure + pay_fee - bonus
        status = r.choice((0, 1, 1, 1, 2, 5))
        paid = status in (1, 5) and r.random() < 0.8
        surplus = min(amount, r.choice((0, 0, 500))) if paid else 0
        added = self.when("order", n)
        place = _PLACES[n % len(_PLACES)]
        p = person(self.key, n % max(self.users, 1))
        shipped = paid and r.random() < 0.6
        row: dict[str, Any] = {
            "order_id": n + 1, "order_sn": f"2025{n + 1:08d}",
            "user_id": (n % self.users) + 1 if self.users and n % 4 else 0,
            "order_status": status, "pay_status": 2 if paid else 0,
            "shipping_status": (2 if r.random() < 0.5 else 1) if shipped else 0,
            "consignee": p["first_name"], "country": 1, "province": place[0],
            "city": place[1], "district": place[2], "address": p["address"]["address1"],
            "zipcode": place[3], "tel": "", "mobile": p["phone"] or "", "email": p["email"],
            "shipping_id": _SHIPPING[n % 3][0], "shipping_name": _SHIPPING[n % 3][1],
            "pay_id": _PAYMENT[n % 4][0], "pay_name": _PAYMENT[n % 4][1],
            "goods_amount": cents(goods), "shipping_fee": cents(shipping),
            "insure_fee": cents(insure), "pay_fee": cents(pay_fee), "pack_fee": "0.00",
            "card_fee": "0.00", "discount": cents(discount), "bonus": cents(bonus),
            "tax": "0.00", "surplus": cents(surplus),
            "money_paid": cents(amount - surplus) if paid else "0.00",
            "order_amount": "0.00" if paid else cents(amount), "integral_money": "0.00",
            "add_time": gmtime(added, self.zone),
            "confirm_time": gmtime(added + 600, self.zone) if status in (1, 5) else 0,
            "pay_time": gmtime(added + 900, self.zone) if paid else 0,
            "shipping_time": gmtime(added + 86400, self.zone) if shipped else 0,
            "agency_id": 0, "inv_type": "",
        }
        if n < self.poisoned:
            row["add_time"] = UINT_MAX   # a figure past the column, clamped by MySQL
        return row, lines


def _insert(db: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = sorted({c for row in rows for c in row})
    stmt = sa.text(f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join(':' + c for c in columns)})")
    defaults = dict.fromkeys(columns)
    db.execute(stmt, [{**defaults, **row} for row in rows])
