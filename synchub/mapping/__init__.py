"""The mapping engine: declarative YAML mappings compiled once, applied per record.

Transforms are looked up by name in the registry (:mod:`synchub.registry`, kind
``transform``): the generic ones of :mod:`synchub.mapping.transforms` and each system's own.
"""

from __future__ import annotations

from synchub.mapping.engine import CompiledMapping, MappingContext, compile_mapping, load_mapping
from synchub.mapping.transforms import GENERIC, TransformError, TransformTable

__all__ = [
    "GENERIC", "CompiledMapping", "MappingContext", "TransformError", "TransformTable",
    "compile_mapping", "load_mapping",
]
