"""JMESPath functions the mapping paths add to the standard ones.

Standard JMESPath cannot turn an object's keys into values: ``keys(@)`` and ``values(@)``
come apart, and a projection cannot see the key it came from. Some APIs key their data
by currency or by date (``{"2024-01-02": {"USD": 1.0956}}``), so mapping paths may call
``unnest`` to make rows of it. :data:`OPTIONS` is passed to every JMESPath search that
:mod:`synchub.mapping.paths` compiles.
"""

from __future__ import annotations

from typing import Any

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError


def _rows(node: Any, names: tuple[str, ...], row: dict[str, Any], out: list[dict[str, Any]]
          ) -> None:
    key_name, rest = names[0], names[1:]
    for key, value in node.items():
        here = {**row, key_name: key}
        if len(rest) == 1:
            here[rest[0]] = value
            out.append(here)
        elif isinstance(value, dict):
            _rows(value, rest, here, out)
        # a level that is not an object has no keys to name: nothing comes of it


class MappingFunctions(functions.Functions):
    """The standard functions plus ``unnest``."""

    @functions.signature({"types": []}, {"types": ["string"], "variadic": True})
    def _func_unnest(self, obj: Any, *names: str) -> Any:
        """``unnest(obj, 'k1', ..., 'value')``: one row per leaf of nested objects.

        Each of the first names receives the key of one level, the last name the value
        found under them: ``unnest({"USD": 1.08}, 'quote', 'rate')`` gives
        ``[{"quote": "USD", "rate": 1.08}]``; with ``'date', 'quote', 'rate'`` an object
        of dates of currencies gives one row per (date, currency). Keys keep their order;
        a value that is not an object where a level is named gives no row; ``obj`` not
        being an object gives null, as a missing key does.
        """
        if len(names) < 2:
            raise JMESPathError("unnest() needs a name for the keys and one for the values")
        if not isinstance(obj, dict):
            return None
        out: list[dict[str, Any]] = []
        _rows(obj, names, {}, out)
        return out


OPTIONS = jmespath.Options(custom_functions=MappingFunctions())
