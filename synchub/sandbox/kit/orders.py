"""Placing an order for given SKUs (the ``order`` control action of the shop simulators)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

MAX_ORDER_LINES = 8  # line item ids leave room for eight lines per order
Line = TypeVar("Line")


def requested_lines(lines: Any) -> list[tuple[str, int]]:
    """Check the ``[{"sku", "quantity"}]`` of a placed order; ValueError says what is wrong."""
    if not isinstance(lines, list) or not lines:
        raise ValueError("lines must be a non-empty list of {sku, quantity}")
    if len(lines) > MAX_ORDER_LINES:
        raise ValueError(f"an order takes at most {MAX_ORDER_LINES} lines")
    out = []
    for n, line in enumerate(lines):
        if not isinstance(line, dict) or set(line) - {"sku", "quantity"}:
            raise ValueError(f"lines[{n}] must be an object with sku and quantity")
        sku, quantity = line.get("sku"), line.get("quantity", 1)
        if not isinstance(sku, str) or not sku:
            raise ValueError(f"lines[{n}].sku must be a non-empty string")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValueError(f"lines[{n}].quantity must be a positive integer")
        out.append((sku, quantity))
    return out


def pick_lines(by_sku: Mapping[str, Line], wanted: list[tuple[str, int]]
               ) -> list[tuple[Line, int]]:
    """The catalog line of each wanted SKU with its quantity; ValueError names an unknown one."""
    picked = []
    for sku, quantity in wanted:
        line = by_sku.get(sku)
        if line is None:
            raise ValueError(f"unknown SKU {sku!r}")
        picked.append((line, quantity))
    return picked
