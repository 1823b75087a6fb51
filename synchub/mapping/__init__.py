"""The mapping engine: declarative YAML mappings compiled once, applied per record."""

from __future__ import annotations

from synchub.couriers import status as _courier_status  # noqa: F401 - tracking transforms
from synchub.mapping import transforms_odoo  # noqa: F401 - registers Odoo's transforms
from synchub.mapping.engine import CompiledMapping, MappingContext, compile_mapping, load_mapping
from synchub.mapping.transforms import TRANSFORMS, TransformError, register_transform

__all__ = [
    "TRANSFORMS", "CompiledMapping", "MappingContext", "TransformError", "compile_mapping",
    "load_mapping", "register_transform",
]
