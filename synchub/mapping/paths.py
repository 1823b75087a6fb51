"""Compile mapping paths to fast getters.

A path is a JMESPath expression evaluated against one of three scopes: the current object
(the record, a list element in ``each``/``explode``, or a nested object), ``$parent.`` (the
scope that encloses it) or ``$root.`` (the raw record). The prefix selects the scope for the
whole expression; ``$``, ``$parent`` and ``$root`` alone are the scope itself.

Plain dotted paths (``a.b.c``) and simple projections (``a[].b``, ``a[]``) are the bulk of
every mapping, so they compile to direct dict lookups with JMESPath's semantics (a missing
key or a non-object gives ``None``); anything else goes through ``jmespath.compile``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jmespath

Getter = Callable[[Any], Any]
# a compiled path: fn(current, parent, root) -> value
ScopedGetter = Callable[[Any, Any, Any], Any]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_CHAIN = rf"{_IDENT}(?:\.{_IDENT})*"
_DOTTED = re.compile(rf"^{_CHAIN}$")
_PROJECTION = re.compile(rf"^(?P<left>{_CHAIN})\[\](?:\.(?P<right>{_CHAIN}))?$")


def _identity(obj: Any) -> Any:
    return obj


def dotted_getter(path: str) -> Getter:
    """A getter for ``a.b.c`` that returns ``None`` where JMESPath would."""
    keys = path.split(".")
    if len(keys) == 1:
        (k1,) = keys

        def get1(obj: Any) -> Any:
            return obj.get(k1) if type(obj) is dict else None

        return get1
    if len(keys) == 2:
        k1, k2 = keys

        def get2(obj: Any) -> Any:
            if type(obj) is dict:
                obj = obj.get(k1)
                if type(obj) is dict:
                    return obj.get(k2)
            return None

        return get2

    def get_n(obj: Any) -> Any:
        for k in keys:
            if type(obj) is not dict:
                return None
            obj = obj.get(k)
        return obj

    return get_n


def projection_getter(left: str, right: str | None) -> Getter:
    """A getter for ``a[].b``: flatten ``a`` one level, project ``b``, drop nulls."""
    get_left = dotted_getter(left)
    get_right = dotted_getter(right) if right else None

    def get(obj: Any) -> Any:
        items = get_left(obj)
        if type(items) is not list:
            return None
        flat: list[Any] = []
        for item in items:
            if type(item) is list:
                flat.extend(item)
            elif item is not None:
                flat.append(item)
        if get_right is None:
            return flat
        out = []
        for item in flat:
            value = get_right(item)
            if value is not None:
                out.append(value)
        return out

    return get


def compile_getter(expr: str) -> Getter:
    """A getter for a JMESPath expression, direct lookups where the path is plain.

    Raises ``ValueError`` (``jmespath`` parse errors) for an invalid expression.
    """
    expr = expr.strip()
    if not expr or expr == "@":
        return _identity
    if _DOTTED.match(expr):
        return dotted_getter(expr)
    proj = _PROJECTION.match(expr)
    if proj:
        return projection_getter(proj["left"], proj["right"])
    return jmespath.compile(expr).search


def compile_path(path: str) -> ScopedGetter:
    """A scoped getter for a path with an optional ``$root.``/``$parent.`` prefix."""
    text = path.strip()
    scope = "current"
    for prefix, name in (("$root", "root"), ("$parent", "parent"), ("$", "current")):
        if text == prefix:
            text, scope = "", name
            break
        if text.startswith(prefix + "."):
            text, scope = text[len(prefix) + 1:], name
            break
    else:
        if text.startswith("$"):
            raise ValueError(f"unknown scope in {path!r}; use $root., $parent. or $.")
    get = compile_getter(text)
    if scope == "root":
        return lambda cur, parent, root: get(root)
    if scope == "parent":
        return lambda cur, parent, root: get(parent)
    return lambda cur, parent, root: get(cur)


def truthy(value: Any) -> bool:
    """JMESPath truthiness: null, false and empty string/list/object are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return bool(value)
    return True
