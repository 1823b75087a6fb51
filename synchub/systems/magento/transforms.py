"""Magento mapping transforms: order items folded into canonical lines (see ``items``)."""

from __future__ import annotations

from synchub.mapping.transforms import TransformTable
from synchub.systems.magento import items

TRANSFORMS = TransformTable()
TRANSFORMS("magento_order_lines")(items.order_lines)
TRANSFORMS("magento_lines_subtotal")(items.lines_subtotal)
TRANSFORMS("magento_item_adjustments")(items.item_adjustments)
TRANSFORMS("magento_item_warnings")(items.item_warnings)
