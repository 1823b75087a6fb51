"""Transforms for Odoo records: codes in display names and order references in ``origin``.

Registered by the Odoo system (:func:`synchub.systems.odoo.register`) for mapping files.
"""

from __future__ import annotations

import re
from typing import Any

from synchub.mapping.transforms import NO_ARGS, Transform, TransformError, TransformTable

TRANSFORMS = TransformTable()
_CODE = re.compile(r"^\[([^\]]+)\]")
_ORIGIN = re.compile(r"^([a-z][a-z0-9_]*):([^\s:]+)$")
_ORIGIN_PARTS = {"connection": 1, "order": 2}


@TRANSFORMS("odoo_default_code")
def odoo_default_code(value: Any) -> Any:
    """``"[SKU-00001-1] Mug (Red)"`` -> ``"SKU-00001-1"``; a name without code gives None.

    Odoo shows a product as ``[<internal reference>] <name>``, also inside the many2one
    value ``[id, "display name"]`` a search_read returns; ``false`` (no product) gives None.
    """
    if value is None or value is False:
        return None
    if isinstance(value, list):  # the whole many2one value
        if len(value) != 2:
            raise TransformError("is not a many2one value [id, name]", value)
        value = value[1]
    if not isinstance(value, str):
        raise TransformError("is not text", value)
    match = _CODE.match(value.strip())
    return match[1].strip() or None if match else None


@TRANSFORMS("order_origin", takes_args=True)
def order_origin(args: Any) -> Transform:
    """One part of an origin written as ``<connection>:<order external id>``.

    ``{order_origin: connection}`` or ``{order_origin: order}``. Any other form of origin
    (``S00042``, ``WH/OUT/00012``, ``false``) gives None: the shipment is then not tied to a
    channel order.
    """
    if args is NO_ARGS or not isinstance(args, str) or args not in _ORIGIN_PARTS:
        raise ValueError("order_origin takes connection or order")
    group = _ORIGIN_PARTS[args]

    def fn(value: Any) -> Any:
        if not isinstance(value, str):
            return None
        match = _ORIGIN.match(value.strip())
        return match[group] if match else None

    return fn
