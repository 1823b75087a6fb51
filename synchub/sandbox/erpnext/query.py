"""``GET /api/resource/<DocType>`` as Frappe's ``frappe.get_list`` reads its parameters.

``fields`` and ``filters`` are JSON (filters a list of ``[field, operator, value]`` or a
dict of equalities); without ``fields`` only ``name`` comes back, without
``limit_page_length`` 20 rows (``0``: every row); ``limit_start`` skips; ``order_by`` is
``field asc|desc`` terms (``modified desc`` by default). A field the DocType does not have is
a ``DataError``. Naive times compare as text, which orders them as Frappe's database does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from synchub.sandbox.erpnext.errors import Refusal

DEFAULT_PAGE = 20


def _json(text: str | None, what: str, default: Any) -> Any:
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except ValueError:
        raise Refusal("ValidationError", f"{what} is not valid JSON: {text[:60]}") from None


def _match(op: str, have: Any, want: Any) -> bool:
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
        ">": lambda a, b: a is not None and a > b, "<": lambda a, b: a is not None and a < b,
        ">=": lambda a, b: a is not None and a >= b, "<=": lambda a, b: a is not None and a <= b,
        "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
        "like": lambda a, b: str(b).strip("%") in str(a or ""),
    }
    if op not in ops:
        raise Refusal("ValidationError", f"Invalid filter operator: {op}")
    if op in (">", "<", ">=", "<=") and isinstance(have, (int, float)):
        want = float(want)
    return ops[op](have, want)


def _terms(filters: Any) -> list[tuple[str, str, Any]]:
    if isinstance(filters, dict):
        return [(k, "=", v) for k, v in filters.items()]
    out = []
    for term in filters:
        if not isinstance(term, list) or len(term) not in (3, 4):
            raise Refusal("ValidationError", f"Invalid filter: {json.dumps(term)[:80]}")
        field, op, value = term[-3:]
        out.append((str(field), str(op).lower(), value))
    return out


def _known(docs: list[dict[str, Any]], schema: frozenset[str], names: Iterable[str]) -> None:
    for name in names:
        if name not in schema:
            raise Refusal("DataError", f"Field not permitted in query: {name}")


def list_docs(docs: list[dict[str, Any]], schema: frozenset[str], params: Any
              ) -> list[dict[str, Any]]:
    """The page of rows ``params`` ask for, each holding only the asked fields."""
    fields = _json(params.get("fields"), "fields", ["name"])
    if fields == ["*"]:
        fields = sorted(schema)
    terms = _terms(_json(params.get("filters"), "filters", []))
    _known(docs, schema, [f for f in fields] + [t[0] for t in terms])
    rows = [d for d in docs if all(_match(op, d.get(f), v) for f, op, v in terms)]
    for term in reversed([t.strip() for t in (params.get("order_by") or
                                              "modified desc").split(",") if t.strip()]):
        field, _, direction = term.partition(" ")
        _known(docs, schema, [field])
        rows.sort(key=lambda d: (d.get(field) is None, d.get(field) or ""),
                  reverse=direction.strip().lower() == "desc")
    try:
        start = int(params.get("limit_start") or 0)
        size = int(params.get("limit_page_length", DEFAULT_PAGE))
    except ValueError:
        raise Refusal("ValidationError", "limit_start and limit_page_length must be "
                                         "integers") from None
    page = rows[start:] if size == 0 else rows[start:start + size]
    return [{f: d.get(f) for f in fields} for d in page]
