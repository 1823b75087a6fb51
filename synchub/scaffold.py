"""``synchub new-system <name>``: the files of a new system, a working start to make real.

:func:`new_system` writes, for a plain REST order API (bearer key, a cursor-paged
``GET /orders`` filtered by change time), every file a system is made of: the connector,
a mapping to the canonical Order, the system's Python package (an empty ``register``),
a simulator on the sandbox kit, a contract test that syncs the simulator's orders into
SQLite, and a docs page. It registers the simulator in ``synchub/sandbox/sandbox.py``
(``SIMULATED``) and leaves ``pyproject.toml`` alone: :func:`entry_point_line` is the line
to add once the system has Python to register. Right after it runs, the contract test
passes; :func:`main_hint` says what comes next. Nothing that exists is overwritten.

The templates are ``string.Template`` texts below (``$name``, ``$title``, ``$Class``,
``$CONST``); this module imports nothing of the engine but :mod:`synchub.errors`.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from pathlib import Path
from string import Template

from synchub.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 40
SANDBOX_TABLE = Path("synchub/sandbox/sandbox.py")

CONNECTOR = Template('''\
# yaml-language-server: $$schema=../../schemas/config/connector.schema.json
# $title: orders over REST. Written by `synchub new-system` for a plain REST order API;
# every value marked "change" is a guess: check it against the vendor's documentation
# (docs/connectors.md has every key), and keep synchub/sandbox/$name/ in step with it.
system: $name
title: $title_yaml
base_url: "{host}"            # the Connection host; add the API's version prefix here if it has one
auth:
  type: bearer                # change: Authorization: Bearer <key> (header_token, basic, oauth2...)
  secret_field: password      # the API key is kept as the Connection password
http:
  timeout_seconds: 30
  max_retries: 5
  backoff: {initial_seconds: 1, max_seconds: 60}
  # change: the vendor's published limit; a 429 is retried after its Retry-After anyway
  rate_limit: {type: token_bucket, rate_per_second: 5, burst: 1}

streams:
  orders:
    path: /orders             # change: the endpoint that lists orders
    record_selector: orders   # change: where the list is in the answer (JMESPath)
    page_size: 50             # change: the API's maximum page size
    page_size_param: limit
    paginator:                # change: header_link, page_number, offset or json_cursor
      type: json_cursor
      cursor_path: next_cursor
      cursor_param: cursor
    incremental:
      cursor_field: updated_at      # change: the record's last-change time (ISO 8601)
      start_param: updated_min      # change: the "changed since" filter
      end_param: updated_max        # change: the "changed until" filter (or remove it)
      lookback: 5m                  # re-read what changed while the last run was reading
      safety_lag: 1m                # leave the newest seconds for the next run
      sorted: true                  # the API lists oldest change first
    mappings: [orders]
''')

MAPPING = Template('''\
# yaml-language-server: $$schema=../../schemas/config/mapping.schema.json
# $title order -> canonical Order (docs/mappings.md). Written by `synchub new-system` for
# the simulator's record shape: change every path to the vendor's field. The canonical
# totals must reconcile: total = subtotal - discount_total + shipping_total
# + tax_total (unless taxes_included) + adjustments.
entity: order
description: $title orders, one canonical Order each, with their lines.
id: {path: id, transform: to_str}
envelopes: [orders, order]
currency: currency            # default currency of every money spec below

fields:
  number: {path: number, transform: to_str}
  connection: {context: connection}
  channel: {context: system}
  status:
    path: status
    transform:
      - enum:
          map: {pending: pending, open: open, completed: completed, cancelled: cancelled}
          default: open
  currency: currency
  placed_at: {path: created_at, transform: parse_datetime}
  updated_at: {path: updated_at, transform: parse_datetime}
  customer:
    path: customer
    fields:
      external_id: {path: id, transform: to_str}
      email: email
      first_name: first_name
      last_name: last_name
  subtotal: {money: subtotal}
  discount_total: {money: discount_total}
  shipping_total: {money: shipping_total}
  tax_total: {money: tax_total}
  total: {money: total}
  refunded_total: {money: {const: "0"}}   # change: what was paid back
  taxes_included: {const: false}          # change: true when prices include tax
  lines:
    each: lines
    fields:
      external_id: {path: id, transform: to_str}
      sku: {path: sku, transform: [strip, empty_to_null]}
      title: title
      quantity: quantity
      unit_price: {money: unit_price}
      discount: {money: {const: "0"}}
      tax: {money: {const: "0"}}
      total: {money: {op: mul, args: [unit_price, quantity]}}
''')

SYSTEM_PACKAGE = Template('''\
"""$title: what its connector and mapping files cannot say, registered by name.

Empty so far: a plain REST API needs no Python. What goes here is code the YAML selects by
name (docs/architecture.md): an auth or signing scheme (``registry.add("auth", ...)``), a
paginator, a transport, a mapping transform, a writer, a stock publisher, a courier's
status table. Once ``register`` adds something, add its entry point to pyproject.toml
under ``[project.entry-points."synchub.systems"]`` and reinstall (``make venv``)::

    $entry_point

A system that never needs Python deletes this package instead: tests/test_architecture.py
fails on a systems package that registers nothing.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register ${title}'s strategies (none yet)."""
''')

SANDBOX_PACKAGE = Template('''\
"""The $title simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds an account's orders.
"""
''')

SANDBOX_STORE = Template('''\
"""One $title account as the sandbox simulates it: an API key and seeded orders.

Written by ``synchub new-system`` for a plain REST order API: make the record shape, the
numbers and the statuses what the vendor's documentation shows, and keep :mod:`.system`
(auth, errors, paging) in step with ``connectors/$name/connector.yaml``. Every order is
drawn from the seed and its index alone; times are epoch seconds in 2025 (UTC) until a
mutation stamps the real time.
"""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.money import cents, tax_on_net
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore
from synchub.sandbox.kit.times import iso_utc_z

DAY = 86_400
FIRST_ID = 1001
TAX_BP = 2000                 # 20 % on goods and shipping, on top of the prices
FREE_SHIPPING = 10_000        # cents of goods from which shipping is free
STATUSES = ("open", "completed", "cancelled")


class ${Class}Store(BaseStore):
    """One $title account: its API key, its orders and its rate limit."""

    system = "$name"

    def __init__(self, seed: int, name: str, **kwargs: Any) -> None:
        super().__init__(seed, name, **kwargs)
        self.api_key = f"${name}_sandbox_{name}"
        self.limiter = RollingWindow(300, 60.0)     # change: the vendor's published limit
        self.records: dict[int, dict[str, Any]] = {}
        count = self.volume["orders"]
        step = YEAR_SECONDS // max(count, 1)
        for i in range(count):
            created = YEAR_START + i * step         # ids follow the creation time
            changed = created + rng_for(self.key, "changed", i).randrange(3 * DAY)
            self.records[FIRST_ID + i] = self._build(i, created, changed)

    def credentials(self) -> dict[str, str]:
        """The API key (the Connection's password)."""
        return {"api_key": self.api_key}

    def counts(self) -> dict[str, int]:
        """Number of orders."""
        with self.lock:
            return {"orders": len(self.records)}

    def changed_between(self, low: int | None, high: int | None) -> list[tuple[int, int]]:
        """(change time, id) of the orders changed in [low, high], oldest first."""
        return sorted((o["_changed"], oid) for oid, o in self.records.items()
                      if (low is None or o["_changed"] >= low)
                      and (high is None or o["_changed"] <= high))

    def mutate(
        self, orders_created: int = 0, orders_updated: int = 0, customers_created: int = 0,
        customers_updated: int = 0, products_updated: int = 0, inventory_changed: int = 0,
    ) -> dict[str, list[Any]]:
        """Place and change orders now (the ``mutate`` control); the affected ids."""
        with self.lock:
            now = self.stamp()
            picked = self._mut_rng.sample(sorted(self.records),
                                          min(orders_updated, len(self.records)))
            for oid in picked:
                order = self.records[oid]
                order["status"] = "completed" if order["status"] == "open" else "open"
                order["updated_at"], order["_changed"] = iso_utc_z(now), now
            created = []
            for _ in range(orders_created):
                i = len(self.records)
                self.records[FIRST_ID + i] = self._build(i, now, now)
                created.append(FIRST_ID + i)
            return {"orders_updated": picked, "orders_created": created}

    def _build(self, i: int, created: int, changed: int) -> dict[str, Any]:
        """Order ``i``: its customer, lines and totals, drawn from the seed."""
        r = rng_for(self.key, "order", i)
        j = r.randrange(max(self.volume["customers"], 1))
        who = person(self.key, j)
        oid = FIRST_ID + i
        lines: list[dict[str, Any]] = []
        goods = 0
        for n in range(r.randint(1, 3)):
            unit, quantity = r.randrange(500, 9000), r.randint(1, 3)
            goods += unit * quantity
            lines.append({"id": oid * 10 + n, "sku": f"SKU-{r.randrange(1, 60):03d}",
                          "title": f"Item {n + 1}", "quantity": quantity,
                          "unit_price": cents(unit)})
        shipping = 0 if goods >= FREE_SHIPPING else 590
        tax = tax_on_net(goods + shipping, TAX_BP)
        return {
            "id": oid, "number": str(oid), "status": r.choices(STATUSES, (3, 6, 1))[0],
            "currency": self.currency,
            "created_at": iso_utc_z(created), "updated_at": iso_utc_z(changed),
            "customer": {"id": 500 + j, "email": who["email"],
                         "first_name": who["first_name"], "last_name": who["last_name"]},
            "lines": lines, "subtotal": cents(goods), "discount_total": cents(0),
            "shipping_total": cents(shipping), "tax_total": cents(tax),
            "total": cents(goods + shipping + tax),
            "_changed": changed,                    # private: never served
        }
''')

SANDBOX_SYSTEM = Template('''\
"""The $title API as the sandbox serves it, under ``/$name/<store>``.

Written by ``synchub new-system``: a bearer key, the vendor's error envelope, a rate limit
and ``GET /orders`` filtered by change time and paged as ``connectors/$name/connector.yaml``
declares it. Make each of them what the vendor's documentation says (docs/sandbox.md,
"Writing a new vendor's simulator").
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

$sandbox_imports

PAGE_DEFAULT, PAGE_MAX = 50, 50


def envelope(status: int, code: str, message: str) -> Reply:
    """An error as the vendor words it (change: the documented error body)."""
    return Reply(status, {"code": code, "message": message})


class ${Class}API(VendorAPI):
    """A bearer key, errors in the vendor's envelope, the vendor's rate limit."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault in the vendor's envelope."""
        if status == 429:
            reply = envelope(429, "rate_limited", "Too many requests.")
            reply.headers["Retry-After"] = "1"
            return reply
        return envelope(status, "server_error", "The service is unavailable.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """``Authorization: Bearer <the store's API key>``."""
        if same_secret(bearer_token(request), store.api_key):
            return None
        return envelope(401, "unauthorized", "Invalid or missing API key.")

    def admit(self, store: Any, request: Request) -> tuple[Reply | None, dict[str, str]]:
        """At most the account's limit; a 429 says when to come back."""
        if not store.rate_limits or store.limiter.take():
            return None, {}
        reply = envelope(429, "rate_limited", "Too many requests.")
        reply.headers["Retry-After"] = str(max(1, math.ceil(store.limiter.retry_after())))
        return reply, {}


def list_orders(store: ${Class}Store, call: Call) -> Reply:
    """``GET /orders``: changed in [updated_min, updated_max], oldest change first, paged
    by an opaque ``cursor`` (the next one in ``next_cursor``, null on the last page)."""
    query = call.query
    try:
        limit = int(query.get("limit", PAGE_DEFAULT))
        low = parse_time(query["updated_min"]) if "updated_min" in query else None
        high = parse_time(query["updated_max"]) if "updated_max" in query else None
        after = as_row(decode_token(query["cursor"])["after"]) if "cursor" in query else None
    except (KeyError, ValueError):
        return envelope(400, "invalid_parameter", "A parameter is not valid.")
    if not 1 <= limit <= PAGE_MAX:
        return envelope(400, "invalid_parameter", f"limit must be 1 to {PAGE_MAX}.")
    page = window(store.changed_between(low, high), limit, after=after)
    orders = [public(store.records[oid]) for _changed, oid in page.rows]
    cursor = encode_token({"after": list(page.rows[-1])}) if page.has_next else None
    return Reply(200, {"orders": orders, "next_cursor": cursor})


ROUTES = (Route("GET", "/${name}/{store}/orders", list_orders),)
SYSTEM = System("$name", ${Class}Store, ${Class}API(), ROUTES)
''')

CONTRACT_TEST = Template('''\
"""$title contract: the connector, the mapping and the simulator agree.

The sandbox serves ``synchub/sandbox/$name/`` on loopback; the ``orders`` stream is synced
through the project's connector and mapping files into SQLite. Written by ``synchub
new-system``: keep it passing while both sides are made real from the vendor's docs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.sandbox import Sandbox, SandboxServer
from synchub.store import Store

ROOT = Path(__file__).resolve().parents[3]


def hub(tmp_path: Path) -> Hub:
    """A hub with one $name connection over the project's connector and mappings."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "connectors_dir": str(ROOT / "connectors"),
        "mappings_dir": str(ROOT / "mappings"),
        "store": {"default_url": f"sqlite:///{tmp_path / 'unused.db'}"},
        "connections": {"$name": {"connector": "$name", "conn_id": "$name"}}}))
    return load_hub(path)


def test_orders_sync_page_by_page_and_a_rerun_reads_only_changes(
        tmp_path: Path, sqlite_url: str) -> None:
    plan = hub(tmp_path)
    store = Store.from_url(sqlite_url)
    store.migrate()
    sandbox = Sandbox(seed=7)
    account: Any = sandbox.store("$name", "demo", orders=120)
    try:
        with SandboxServer(sandbox) as server:
            conn = ConnectionInfo(conn_id="$name", conn_type="http",
                                  host=server.url("$name", "demo"), password=account.api_key)
            first = sync_stream(plan, "$name", "orders", store=store, conn_info=conn)
            assert first.status == "success"
            assert (first.fetched, first.changed.get("order"), first.quarantined) == (120, 120, 0)
            assert first.pages == 3                                 # 50 + 50 + 20
            assert len(store.read_feed("order", limit=1000).records) == 120
            # the next pages are asked with the cursor the previous page gave
            asked = [r.query for r in account.requests if r.path == "/orders"]
            assert "cursor" not in asked[0] and all("cursor" in q for q in asked[1:])

            account.mutate(orders_created=2, orders_updated=3)
            second = sync_stream(plan, "$name", "orders", store=store, conn_info=conn)
            assert second.changed.get("order") == 5
            assert second.fetched < 20          # what changed, plus the lookback's overlap
            assert len(store.read_feed("order", limit=1000).records) == 122
    finally:
        store.dispose()
''')

DOCS = Template('''\
# $title

> Written by `synchub new-system $name`. Replace every line with what is true of the
> vendor's API, and name the documentation page each fact comes from.

$title is <what it is: a storefront, a marketplace, an ERP>. synchub reads its orders
(`connectors/$name/connector.yaml`, stream `orders`) into canonical `Order` records
(`mappings/$name/orders.yaml`).

## The API

| Fact | Value | Source |
|---|---|---|
| Endpoint | `GET <base>/orders` | <vendor page> |
| Auth | `Authorization: Bearer <API key>` | <vendor page> |
| Paging | `limit` (at most 50), `cursor` from `next_cursor` | <vendor page> |
| Change filter | `updated_min`, `updated_max` (ISO 8601) | <vendor page> |
| Rate limit | <n> requests per <period>; 429 with `Retry-After` | <vendor page> |
| Errors | `{"code", "message"}` | <vendor page> |

## Connection

The Airflow Connection's `host` is the API's base URL, its password the API key.
The sandbox's account `demo` is `<sandbox>/$name/demo` with the key `${name}_sandbox_demo`.

## Mapping

| Canonical | From | Notes |
|---|---|---|
| `external_id` | `id` | |
| `status` | `status` | |
| `total` | `total` | must reconcile with subtotal, discounts, shipping and tax |

## Simulator

`synchub/sandbox/$name/` (docs/sandbox.md): what it serves, which refusals it words like
the vendor, what it seeds, and what it does not do.

## Using it

Not in the demo's hub.yaml. To sync it, add a connection:

```yaml
connections:
  ${name}_main:
    connector: $name
    conn_id: ${name}_main
```

and provide the Connection (`AIRFLOW_CONN_${CONST}_MAIN`), then `synchub validate` and
`synchub run ${name}_main --stream orders`.
''')


def _title_of(name: str) -> str:
    return " ".join(part.capitalize() for part in name.split("_"))


def _class_of(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _module_key(item: tuple[str, str]) -> str:
    return item[0].lower()


def entry_point_line(name: str) -> str:
    """The line that registers a system's ``register`` under ``synchub.systems``."""
    return f'{name} = "synchub.systems.{name}:register"'


def _check_name(name: str, title: str | None) -> None:
    if not NAME.match(name) or len(name) > MAX_NAME or keyword.iskeyword(name):
        raise ConfigError(f"system name {name!r} must match {NAME.pattern} (at most "
                          f"{MAX_NAME} characters, not a Python keyword)")
    if title is not None and (not title.strip() or any(c in title for c in '"\\\n\r')):
        raise ConfigError(f"title {title!r} must be one line of text without quotes or "
                          "backslashes")


def files(name: str, title: str | None = None) -> dict[Path, str]:
    """What :func:`new_system` writes: path relative to the project root -> content."""
    _check_name(name, title)
    values = {"name": name, "title": title or _title_of(name), "Class": _class_of(name),
              "CONST": name.upper(), "entry_point": entry_point_line(name)}
    values["title_yaml"] = json.dumps(values["title"])
    # the kit's modules and the system's store, sorted by module as the linter wants them
    kit = [("synchub.sandbox.kit.auth", "bearer_token, same_secret"),
           ("synchub.sandbox.kit.http", "Reply, VendorAPI"),
           ("synchub.sandbox.kit.paging", "as_row, decode_token, encode_token, window"),
           ("synchub.sandbox.kit.registry", "System"),
           ("synchub.sandbox.kit.routes", "Call, Route"),
           ("synchub.sandbox.kit.table", "public"),
           ("synchub.sandbox.kit.times", "parse_time"),
           (f"synchub.sandbox.{name}.store", f"{values['Class']}Store")]
    values["sandbox_imports"] = "\n".join(
        f"from {module} import {names}" for module, names in sorted(kit, key=_module_key))
    return {
        Path("connectors", name, "connector.yaml"): CONNECTOR.substitute(values),
        Path("mappings", name, "orders.yaml"): MAPPING.substitute(values),
        Path("synchub", "systems", name, "__init__.py"): SYSTEM_PACKAGE.substitute(values),
        Path("synchub", "sandbox", name, "__init__.py"): SANDBOX_PACKAGE.substitute(values),
        Path("synchub", "sandbox", name, "store.py"): SANDBOX_STORE.substitute(values),
        Path("synchub", "sandbox", name, "system.py"): SANDBOX_SYSTEM.substitute(values),
        Path("tests", "systems", name, "__init__.py"): "",
        Path("tests", "systems", name, "test_contract.py"): CONTRACT_TEST.substitute(values),
        Path("docs", "systems", f"{name}.md"): DOCS.substitute(values),
    }


def _simulated(tree: ast.Module) -> ast.Tuple | None:
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "SIMULATED" \
                and isinstance(value, ast.Tuple):
            return value
    return None


def with_simulator(text: str, name: str) -> str | None:
    """``sandbox.py`` with the system's simulator in ``SIMULATED`` (its import among the
    others, sorted; its name before the tuple's closing line): the same text when it is
    there already, None when the file is not laid out that way (then add it by hand)."""
    alias, module = name.upper(), f"synchub.sandbox.{name}.system"
    tree = ast.parse(text)
    table = _simulated(tree)
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 0
               and (n.module or "").startswith("synchub.sandbox.")]
    if table is None or not imports or table.end_lineno is None:
        return None
    if any(isinstance(e, ast.Name) and e.id == alias for e in table.elts):
        return text
    lines = text.splitlines(keepends=True)
    closing = table.end_lineno - 1
    if table.lineno == table.end_lineno or lines[closing].strip() != ")":
        return None
    if any(a.asname == alias or a.name == alias for n in imports for a in n.names):
        return None  # the name is taken by another import
    indent = " " * (table.elts[-1].col_offset if table.elts else 4)
    lines.insert(closing, f"{indent}{alias},\n")
    later = [n for n in imports if (n.module or "").lower() > module.lower()]
    at = later[0].lineno - 1 if later else (imports[-1].end_lineno or imports[-1].lineno)
    lines.insert(at, f"from {module} import SYSTEM as {alias}\n")
    return "".join(lines)


def is_simulated(root: Path, name: str) -> bool:
    """Whether ``SIMULATED`` in the project's ``sandbox.py`` lists the system."""
    path = root / SANDBOX_TABLE
    return path.is_file() and with_simulator(path.read_text("utf-8"), name) == \
        path.read_text("utf-8")


def new_system(name: str, root: Path, *, title: str | None = None) -> list[Path]:
    """Write a new system's files under the project ``root``; return the paths written.

    Refuses (ConfigError) a bad name or title, a root that is not a synchub source tree,
    and any file or module of the system that exists already (listing them all), before
    writing anything. ``synchub/sandbox/sandbox.py`` is edited to register the simulator
    (it is the last path returned) unless its layout is not the usual one; then
    :func:`main_hint` gives the lines to add by hand.
    """
    root = Path(root)
    planned = files(name, title)
    if not (root / SANDBOX_TABLE).is_file() or not (root / "connectors").is_dir():
        raise ConfigError(f"{root} is not a synchub source tree (no {SANDBOX_TABLE} or "
                          "connectors/)")
    taken = [rel for rel in planned if (root / rel).exists()]
    taken += [rel for rel in {Path("connectors", name), Path("mappings", name),
                              Path("synchub", "systems", name), Path("synchub", "sandbox", name),
                              Path("tests", "systems", name)} if (root / rel).exists()]
    taken += [rel for rel in (Path("synchub", "systems", f"{name}.py"),
                              Path("synchub", "sandbox", f"{name}.py")) if (root / rel).exists()]
    if taken:
        raise ConfigError(f"system {name!r} exists already; nothing was written. In the way: "
                          + ", ".join(sorted({str(p) for p in taken})))
    table = root / SANDBOX_TABLE
    registered = with_simulator(table.read_text("utf-8"), name)
    written = []
    for rel, text in planned.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if registered is not None and registered != table.read_text("utf-8"):
        table.write_text(registered, encoding="utf-8")
        written.append(table)
    return written


def main_hint(name: str, root: Path) -> str:
    """What to do after :func:`new_system`, for the command line to print."""
    root = Path(root)
    steps = []
    if not is_simulated(root, name):
        steps.append(f"Register the simulator in {SANDBOX_TABLE}: import it with\n"
                     f"     from synchub.sandbox.{name}.system import SYSTEM as {name.upper()}\n"
                     f"   and add {name.upper()}, to SIMULATED.")
    steps += [
        f"Run the contract test (it passes as written):\n"
        f"     .venv/bin/python -m pytest -q tests/systems/{name}/test_contract.py",
        f"Make it real from the vendor's documentation: connectors/{name}/connector.yaml, "
        f"mappings/{name}/orders.yaml, the simulator in synchub/sandbox/{name}/, and "
        f"docs/systems/{name}.md (docs/adding-a-system.md walks through it).",
        f"Give mappings/{name}/orders.yaml a golden case in tests/mapping/test_golden.py "
        "(every shipped mapping has one).",
        f"Python only for what YAML cannot say (docs/architecture.md): fill register() in "
        f"synchub/systems/{name}/__init__.py, then add to pyproject.toml under\n"
        f'   [project.entry-points."synchub.systems"]:\n'
        f"     {entry_point_line(name)}\n"
        f"   and reinstall (make venv). If it needs none, delete synchub/systems/{name}/ "
        "(tests/test_architecture.py fails on a package that registers nothing).",
        f"Against the real API: add a connection with connector: {name} to a hub file, "
        f"provide its Connection, run synchub validate and synchub run <connection>.",
    ]
    return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
