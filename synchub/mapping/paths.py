"""Compile mapping paths to fast getters.

A path is a JMESPath expression evaluated against one of three scopes: the current object
(the record, a list element in ``each``/``explode``, or a nested object), ``$parent.`` (the
scope that encloses it) or ``$root.`` (the raw record). The prefix selects the scope for the
whole expression; ``$``, ``$parent`` and ``$root`` alone are the scope itself.

Plain dotted paths (``a.b.c``) and projections of plain keys (``a[].b``, ``a[].b[]``)
are the bulk of every mapping, so they compile to direct dict lookups with JMESPath's
semantics (a missing key or a non-object gives ``None``); anything else goes through
``jmespath.compile``, with the functions of :mod:`synchub.mapping.functions` (``unnest``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jmespath

from synchub.mapping.functions import OPTIONS

Getter = Callable[[Any], Any]
# a compiled path: fn(current, parent, root, ctx=None) -> value (ctx unused; the signature
# matches compiled field specs so a path is a spec without a wrapper)
ScopedGetter = Callable[..., Any]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_CHAIN = rf"{_IDENT}(?:\.{_IDENT})*"
_DOTTED = re.compile(rf"^{_CHAIN}$")
# a[].b, a[].b[].c, a[]: projections of plain keys
_CHAINED = re.compile(rf"^{_CHAIN}(?:\[\]\.{_CHAIN})*(?:\[\])?$")


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


def chain_getter(segments: list[str], flatten_last: bool) -> Getter:
    """A getter for ``a[].b[].c`` (and ``a[]``): flatten, project, drop nulls, as JMESPath."""
    first, *rest = [dotted_getter(seg) for seg in segments]

    def flatten(items: list[Any]) -> list[Any]:
        flat: list[Any] = []
        for item in items:
            if type(item) is list:
                flat.extend(item)
            elif item is not None:
                flat.append(item)
        return flat

    def get(obj: Any) -> Any:
        value = first(obj)
        if type(value) is not list:
            return None
        for step in rest:
            value = [v for v in (step(item) for item in flatten(value)) if v is not None]
        return flatten(value) if flatten_last else value

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
    if _CHAINED.match(expr):
        flatten_last = expr.endswith("[]")
        segments = (expr[:-2] if flatten_last else expr).split("[].")
        return chain_getter(segments, flatten_last)
    compiled = jmespath.compile(expr)
    return lambda obj: compiled.search(obj, options=OPTIONS)


def compile_path(path: str) -> ScopedGetter:
    """A scoped getter ``fn(current, parent, root, ctx=None)`` for a path with an optional
    ``$root.``/``$parent.`` prefix."""
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
    if scope == "current" and _DOTTED.match(text) and "." not in text:
        # the most common spec of all: one key of the current object, without a detour
        key = text

        def get_key(cur: Any, parent: Any = None, root: Any = None, ctx: Any = None) -> Any:
            return cur.get(key) if type(cur) is dict else None

        return get_key
    get = compile_getter(text)
    if scope == "root":
        return lambda cur, parent=None, root=None, ctx=None: get(root)
    if scope == "parent":
        return lambda cur, parent=None, root=None, ctx=None: get(parent)
    return lambda cur, parent=None, root=None, ctx=None: get(cur)


def truthy(value: Any) -> bool:
    """JMESPath truthiness: null, false and empty string/list/object are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return bool(value)
    return True
