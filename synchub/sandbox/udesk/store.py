"""A Udesk tenant: its super administrator, the nonces it has seen, customers and tickets.

Customers are created and updated through the API (keyed by ``web_token``, the caller's own
id for them) or seeded; tickets are seeded in Chinese, some about an order named in the
custom field ``TextField_1`` as ``<connection>:<order id>``, and ``move_tickets`` moves them on
(solved, closed) or opens new ones. Times are ISO 8601 with Udesk's ``+08:00`` offset.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.seed import YEAR_START, rng_for
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import BEIJING

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周")
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷")
SUBJECTS = ("快递三天没有更新，订单还没收到", "收到的商品有破损，申请换货", "发票抬头需要修改",
            "咨询会员积分规则", "想修改收货地址", "退款什么时候到账", "尺码不合适，怎么退换")
PLATFORMS = ("web", "电话", "IM", "微信", "邮件")
PRIORITIES = ("低", "标准", "标准", "高", "紧急")
STATUS_CN = {"open": "开启", "solving": "解决中", "solved": "已解决", "closed": "已关闭"}
NONCE_SECONDS = 15 * 60
CUSTOMER_FIELDS = ("nick_name", "email", "cellphones", "web_token", "description", "tags",
                   "lang")


def iso_beijing(ts: int) -> str:
    """Udesk's time format: ``2025-06-21T09:15:42.000+08:00``."""
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%dT%H:%M:%S.000+08:00")


class UdeskStore(BaseStore):
    """One tenant: credentials, nonces, customers by id, tickets by id, per-API limits."""

    system = "udesk"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 3,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=customers, products=max(products, 1),
                         rate_limits=rate_limits)
        r = rng_for(self.key, "credentials")
        self.email = f"admin@{name}.udesk.cn"
        self.token = str(uuid.UUID(int=r.getrandbits(128), version=4))
        self.nonces: dict[str, float] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.windows: dict[str, RollingWindow] = {}
        self.per_api_limit = 60
        self._next_customer = 880001
        self._next_ticket = 31001
        for j in range(customers):
            self._seed_customer(j)
        for j in range(customers * 2):
            self._seed_ticket(j)

    def credentials(self) -> dict[str, str]:
        """The super administrator's email (the Connection's login) and token (password)."""
        return {"email": self.email, "open_api_token": self.token}

    def connection(self, url: str) -> dict[str, Any]:
        """The administrator's email as login, the open_api_token as password."""
        return {"conn_type": "http", "host": url, "login": self.email, "password": self.token}

    def counts(self) -> dict[str, int]:
        """Customers and tickets."""
        with self.lock:
            return {"customers": len(self.customers), "tickets": len(self.tickets)}

    # --- seeding --------------------------------------------------------------------------
    def _seed_customer(self, j: int) -> None:
        r = rng_for(self.key, "customer", j)
        at = YEAR_START + r.randrange(0, 150) * 86400
        self._add_customer({"nick_name": r.choice(SURNAMES) + r.choice(GIVEN),
                            "cellphones": [[None, f"1{r.choice('3578')}{r.randrange(10**9):09d}"]],
                            "description": "老客户"}, at)

    def _seed_ticket(self, j: int) -> None:
        r = rng_for(self.key, "ticket", j)
        at = YEAR_START + r.randrange(150, 170) * 86400 + r.randrange(86400)
        ids = sorted(self.customers)
        customer = r.choice(ids) if ids and r.random() < 0.8 else None
        order = f"youzan_shop:E2025{r.randrange(10**15):015d}" if r.random() < 0.5 else None
        status = r.choice(("open", "open", "solving", "solved", "closed"))
        self._add_ticket(r.choice(SUBJECTS), customer, order, status, at,
                         r.choice(PRIORITIES), r.choice(PLATFORMS))

    def _add_customer(self, fields: Mapping[str, Any], at: int) -> dict[str, Any]:
        cid = self._next_customer
        self._next_customer += 1
        row = {"id": cid, **{k: fields.get(k) for k in CUSTOMER_FIELDS},
               "created_at": iso_beijing(at), "updated_at": iso_beijing(at)}
        self.customers[cid] = row
        return row

    def _add_ticket(self, subject: str, customer: int | None, order: str | None, status: str,
                    at: int, priority: str, platform: str) -> dict[str, Any]:
        tid = self._next_ticket
        self._next_ticket += 1
        day = datetime.fromtimestamp(at, BEIJING).strftime("%Y%m%d")
        row = {"id": tid, "field_num": f"T{day}{tid % 10000:04d}",
               "subject": subject, "content": f"<p>{subject}</p>", "customer_id": customer,
               "status": STATUS_CN[status], "status_en": status, "priority": priority,
               "platform": platform, "tags": "",
               "custom_fields": {"TextField_1": order} if order else {},
               "created_at": iso_beijing(at), "updated_at": iso_beijing(at),
               "solved_at": iso_beijing(at + 3600) if status in ("solved", "closed") else None}
        self.tickets[tid] = row
        return row

    # --- the API --------------------------------------------------------------------------
    def find_customer(self, kind: str, content: str) -> dict[str, Any] | None:
        """A customer by ``id``, ``web_token``, ``email`` or ``cellphone``."""
        for row in self.customers.values():
            if kind == "id" and str(row["id"]) == content:
                return row
            if kind in ("web_token", "email") and row.get(kind) and str(row[kind]) == content:
                return row
            if kind == "cellphone" and any(c[1] == content for c in row.get("cellphones") or []):
                return row
        return None

    def create_customer(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A new customer (the caller checked the fields)."""
        return self._add_customer(fields, self.stamp())

    def update_customer(self, row: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change the given fields of a customer."""
        for k in CUSTOMER_FIELDS:
            if k in fields:
                row[k] = fields[k]
        row["updated_at"] = iso_beijing(self.stamp())
        return row

    def move_tickets(self, count: int = 1) -> list[int]:
        """Move ``count`` open tickets on (solved) or, when none is open, open new ones."""
        changed = []
        with self.lock:
            for _ in range(count):
                now = self.stamp()
                found = next((t for t in self.tickets.values()
                              if t["status_en"] in ("open", "solving")), None)
                if found is None:
                    ids = sorted(self.customers)
                    found = self._add_ticket(SUBJECTS[len(self.tickets) % len(SUBJECTS)],
                                             ids[0] if ids else None, None, "open", now,
                                             "标准", "web")
                else:
                    found.update(status="已解决", status_en="solved",
                                 updated_at=iso_beijing(now), solved_at=iso_beijing(now))
                changed.append(found["id"])
        return changed
