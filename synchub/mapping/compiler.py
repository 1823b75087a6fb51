"""Compile field specs into closures ``fn(current, parent, root, ctx) -> value``.

Everything that can be decided once per file (paths, transforms, field names, which
canonical fields are required) is decided here, so applying a mapping to a record is a
walk over prepared closures that builds one plain dict. The compiler goes on after a
mistake and collects every one in ``errors``, so that a file's problems are all reported
in one run.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from pydantic import BaseModel

from synchub.config.loader import YamlDocument, format_key_path
from synchub.config.mapping import FieldSpec, MoneySpec
from synchub.errors import ConfigError
from synchub.mapping.paths import ScopedGetter, compile_getter, compile_path, truthy
from synchub.mapping.transforms import (
    NO_ARGS,
    Transform,
    TransformError,
    build_transform,
    to_decimal_value,
    to_str,
)

Fn = Callable[[Any, Any, Any, Any], Any]
KeyPath = tuple[str | int, ...]
_NO_VALUE = object()
# what a bad value may raise inside a field (jmespath runtime errors are ValueErrors)
CATCH = (ValueError, TypeError, ArithmeticError, LookupError)
# set by the engine, never by a mapping
ENGINE_FIELDS = frozenset({"id", "source", "content_hash"})
MISSING = "is missing in the source record"


def _unusable(cur: Any, parent: Any = None, root: Any = None, ctx: Any = None) -> Any:
    # stands in for a spec that failed to compile: the file is rejected before any use
    return None


class FieldFailure(Exception):
    """A field could not be computed; ``path`` grows as the failure leaves nested specs."""

    def __init__(self, problem: str, value: Any = _NO_VALUE, path: list[str | int] | None = None
                 ) -> None:
        super().__init__(problem)
        self.problem, self.value, self.path = problem, value, path or []

    @classmethod
    def from_exc(cls, exc: Exception, name: str | int) -> FieldFailure:
        """Wrap an exception raised while computing field ``name``."""
        if isinstance(exc, TransformError):
            return cls(exc.problem, exc.value, [name])
        return cls(f"{type(exc).__name__}: {exc}", path=[name])

    @property
    def has_value(self) -> bool:
        return self.value is not _NO_VALUE


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``list[X]``, ``X | None``...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is dict:
        return None
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = submodel(arg)
            if found is not None:
                return found
    return None


def build_object(entries: list[tuple[str, Fn, str | None]]) -> Fn:
    """A closure that evaluates every field into a dict (omitting ``None``s).

    Each entry is ``(name, fn, missing)``: ``missing`` is the problem reported when a
    required field is null (None for optional fields).
    """

    def build(cur: Any, parent: Any, root: Any, ctx: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, fn, missing in entries:
            try:
                value = fn(cur, parent, root, ctx)
            except FieldFailure as exc:
                exc.path.insert(0, name)
                raise
            except CATCH as exc:
                raise FieldFailure.from_exc(exc, name) from None
            if value is None:
                if missing is not None:
                    raise FieldFailure(missing, path=[name])
                # the canonical default applies
                continue
            out[name] = value
        return out

    return build


def _decimal_args(values: list[Any]) -> list[Decimal] | None:
    if any(v is None for v in values):
        return None
    return [to_decimal_value(v) for v in values]


def _op_fn(op: str, arg_fns: list[Fn], sep: str | None) -> Fn:
    if op in ("add", "sub", "mul", "div"):
        def arith(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            nums = _decimal_args([f(cur, parent, root, ctx) for f in arg_fns])
            if nums is None:
                return None
            result = nums[0]
            for n in nums[1:]:
                if op == "add":
                    result += n
                elif op == "sub":
                    result -= n
                elif op == "mul":
                    result *= n
                else:
                    if not n:
                        raise TransformError("cannot be divided by zero", result)
                    try:
                        result /= n
                    except (DivisionByZero, InvalidOperation):
                        raise TransformError("cannot be divided", result) from None
            return result

        return arith
    if op == "concat":
        glue = sep or ""

        def concat(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            parts = [f(cur, parent, root, ctx) for f in arg_fns]
            if any(p is None or p == "" for p in parts):
                return None
            return glue.join(to_str(p) for p in parts)

        return concat
    if op == "join":
        glue = " " if sep is None else sep

        def join(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            parts = [to_str(p) for f in arg_fns
                     if (p := f(cur, parent, root, ctx)) is not None and p != ""]
            return glue.join(parts) if parts else None

        return join
    raise ValueError(f"unknown op {op!r}")  # pragma: no cover - the model allows no other


def _coalesce_fn(choices: list[tuple[Fn, Callable[[Any], Any] | None]]) -> Fn:
    """The first choice whose source gives a value (not null, not ``""``).

    A choice's transforms run only on a value that is there, so ``{path: a[].x, transform:
    sum_decimal}`` moves on when ``a`` is missing instead of giving 0; a choice whose
    transforms leave null (``empty_to_null``) also moves on.
    """

    def coalesce(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
        for source, post in choices:
            value = source(cur, parent, root, ctx)
            if value is None or value == "":
                continue
            if post is not None:
                value = post(value)
                if value is None or value == "":
                    continue
            return value
        return None

    return coalesce


def _choices(spec: FieldSpec) -> list[FieldSpec] | None:
    if spec.coalesce is not None:
        return spec.coalesce
    return spec.args if spec.op == "coalesce" else None


def _label(spec: FieldSpec) -> str:
    """A short name of where a spec reads its value, for error messages."""
    if spec.path is not None:
        return spec.path
    if spec.each is not None:
        return spec.each
    if spec.context is not None:
        return f"context {spec.context}"
    if spec.money is not None:
        return _label(spec.money.amount)
    if spec.match is not None:
        return spec.match.items
    choices = _choices(spec)
    if choices is not None:
        return ", ".join(_label(c) for c in choices)
    if spec.op is not None:
        return f"{spec.op}({', '.join(_label(a) for a in spec.args or [])})"
    if "const" in spec.model_fields_set:
        return f"const {spec.const!r}"
    return "cases" if spec.cases is not None else "fields"


def missing_problem(spec: FieldSpec) -> str:
    """What a required field that came out null says: a coalesce names every place tried."""
    inner = spec.money.amount if spec.money is not None else spec
    if _choices(inner) is None:
        return MISSING
    return f"{MISSING} (tried {_label(inner)})"


def _amount(fn: Fn, cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
    # errors name `<field>.amount`, as validation errors of the same money do
    try:
        return fn(cur, parent, root, ctx)
    except FieldFailure as exc:
        exc.path.insert(0, "amount")
        raise
    except CATCH as exc:
        raise FieldFailure.from_exc(exc, "amount") from None


def _same(a: Any, b: Any) -> bool:
    # ids arrive as ints in one place and strings in another
    return a == b or (a is not None and b is not None and to_str(a) == to_str(b))


class SpecCompiler:
    """Compiles the specs of one mapping file; errors name the file, key path and line.

    A mistake does not stop the compiler: it is appended to ``errors`` and a placeholder
    takes the spec's place, so one pass finds every mistake of the file. A caller checks
    ``errors`` before using what was compiled.
    """

    def __init__(self, file: str, doc: YamlDocument | None, default_currency: Fn | None,
                 *, errors: list[ConfigError] | None = None,
                 unchecked: frozenset[str] = frozenset()) -> None:
        self.file, self.doc, self.default_currency = file, doc, default_currency
        self.errors: list[ConfigError] = [] if errors is None else errors
        # top-level fields left out of the spec because they are invalid (already
        # reported): not "missing"
        self.unchecked = unchecked

    def error(self, message: str, keys: KeyPath) -> ConfigError:
        """A ConfigError at ``keys`` in this file."""
        if self.doc is None:
            return ConfigError(message, file=self.file, key=format_key_path(keys))
        # short forms add keys the file does not have (`total: x` is {money: {amount:
        # {path: x}}}): name the key as written
        written: list[str | int] = []
        for k in keys:
            if (*written, k) in self.doc.lines:
                written.append(k)
        return ConfigError(message, file=self.file, key=format_key_path(tuple(written)),
                           line=self.doc.line_of(keys))

    def fail(self, message: str, keys: KeyPath) -> Fn:
        """Record a mistake at ``keys``; the placeholder returned keeps compiling going."""
        self.errors.append(self.error(message, keys))
        return _unusable

    def path(self, expr: str, keys: KeyPath) -> ScopedGetter:
        """Compile a scoped path, or record a mistake naming where it is."""
        try:
            return compile_path(expr)
        except ValueError as exc:
            # jmespath adds the expression and a caret on lines of their own
            problem = str(exc).split("\n")[0].removesuffix(", for expression:")
            return self.fail(f"invalid path {expr!r}: {problem}", keys)

    def transforms(self, spec: Any, keys: KeyPath) -> list[Transform]:
        """The transform chain of a ``transform:`` value (a name, ``{name: args}`` or a list)."""
        if spec is None:
            return []
        items = spec if isinstance(spec, list) else [spec]
        out = []
        for i, item in enumerate(items):
            where = (*keys, i) if isinstance(spec, list) else keys
            if isinstance(item, str):
                name, args = item, NO_ARGS
            elif isinstance(item, dict) and len(item) == 1:
                ((name, args),) = item.items()
            else:
                self.fail("a transform is a name or {name: arguments}", where)
                continue
            try:
                out.append(build_transform(name, args))
            except KeyError as exc:
                self.fail(str(exc.args[0]), where)
            except (ValueError, TypeError) as exc:
                self.fail(str(exc), where)
        return out

    def fields(self, specs: dict[str, FieldSpec], model: type[BaseModel] | None,
               keys: KeyPath) -> Fn:
        """Compile a ``fields:`` block into an object builder, checked against ``model``."""
        entries: list[tuple[str, Fn, str | None]] = []
        for name, spec in specs.items():
            where = (*keys, name)
            missing = None
            sub = None
            if model is not None:
                if name in ENGINE_FIELDS and keys == ("fields",):
                    self.fail(f"{name!r} is set by the engine, not by a mapping", where)
                    continue
                info = model.model_fields.get(name)
                if info is None:
                    self.fail(f"unknown field {name!r} of {model.__name__}; known: "
                              f"{', '.join(model.model_fields)}", where)
                    continue
                if info.is_required():
                    missing = missing_problem(spec)
                sub = submodel(info.annotation)
            entries.append((name, self.spec(spec, sub, where), missing))
        if model is not None:
            # the engine fills external_id from the record id when a mapping leaves it out
            skip = ENGINE_FIELDS | {"external_id"} | self.unchecked if keys == ("fields",) \
                else frozenset()
            needed = [n for n, f in model.model_fields.items()
                      if f.is_required() and n not in specs and n not in skip]
            if needed:
                self.fail(f"{model.__name__} needs field(s) {', '.join(needed)}", keys)
        return build_object(entries)

    def spec(self, spec: FieldSpec, model: type[BaseModel] | None, keys: KeyPath) -> Fn:
        """Compile one field spec (value source, then transforms, then default)."""
        fn = self._source(spec, model, keys)
        post = self._post(spec, keys)
        if post is None:
            return fn
        return lambda cur, parent, root, ctx: post(fn(cur, parent, root, ctx))

    def _post(self, spec: FieldSpec, keys: KeyPath) -> Callable[[Any], Any] | None:
        """What follows the value source: the transforms, then the default (None if none)."""
        chain = self.transforms(spec.transform, (*keys, "transform"))
        has_default = "default" in spec.model_fields_set
        if not chain and not has_default:
            return None
        if len(chain) == 1 and not has_default:
            # the usual `{path: x, transform: one}`: one call less per value
            return chain[0]
        default = spec.default

        def run(value: Any) -> Any:
            for t in chain:
                value = t(value)
            return default if value is None else value

        return run

    def _coalesce(self, choices: list[FieldSpec], keys: KeyPath) -> Fn:
        return _coalesce_fn([(self._source(c, None, (*keys, i)), self._post(c, (*keys, i)))
                             for i, c in enumerate(choices)])

    def _source(self, spec: FieldSpec, model: type[BaseModel] | None, keys: KeyPath) -> Fn:
        given = spec.model_fields_set
        if "const" in given:
            const = spec.const
            return lambda cur, parent, root, ctx: const
        if spec.context is not None:
            name = spec.context
            return lambda cur, parent, root, ctx: ctx.get(name)
        if spec.money is not None:
            return self._money(spec.money, (*keys, "money"))
        if spec.coalesce is not None:
            return self._coalesce(spec.coalesce, (*keys, "coalesce"))
        if spec.op == "coalesce":
            return self._coalesce(spec.args or [], (*keys, "args"))
        if spec.op is not None:
            args = [self.spec(a, None, (*keys, "args", i)) for i, a in enumerate(spec.args or [])]
            return _op_fn(spec.op, args, spec.sep)
        if spec.cases is not None:
            return self._cases(spec, keys)
        if spec.match is not None:
            return self._match(spec, keys)
        if spec.each is not None:
            return self._each(spec, model, keys)
        if spec.fields is not None:
            return self._nested(spec, model, keys)
        return self.path(spec.path or "", (*keys, "path"))

    def _money(self, money: MoneySpec, keys: KeyPath) -> Fn:
        amount = self.spec(money.amount, None, (*keys, "amount"))
        if money.currency is not None:
            currency = self.spec(money.currency, None, (*keys, "currency"))

            def money_fn(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
                value = _amount(amount, cur, parent, root, ctx)
                if value is None:
                    return None
                return {"amount": value, "currency": currency(cur, parent, root, ctx)}

            return money_fn
        default = self.default_currency
        if default is None:
            return self.fail("money needs a currency (here or as the mapping's currency)",
                             keys)

        def money_default(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            value = _amount(amount, cur, parent, root, ctx)
            if value is None:
                return None
            return {"amount": value, "currency": default(root, root, root, ctx)}

        return money_default

    def _cases(self, spec: FieldSpec, keys: KeyPath) -> Fn:
        branches = [(self.path(c.when, (*keys, "cases", i, "when")),
                     self.spec(c.value, None, (*keys, "cases", i, "value")))
                    for i, c in enumerate(spec.cases or [])]

        def cases(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            for cond, value in branches:
                if truthy(cond(cur, parent, root)):
                    return value(cur, parent, root, ctx)
            return None

        return cases

    def _match(self, spec: FieldSpec, keys: KeyPath) -> Fn:
        m = spec.match
        assert m is not None
        items = self.path(m.items, (*keys, "match", "items"))
        where = []
        for k, v in m.where.items():
            try:
                item_key = compile_getter(k)
            except ValueError as exc:
                self.fail(f"invalid key {k!r}: {exc}", (*keys, "match", "where"))
                continue
            where.append((item_key, self.spec(v, None, (*keys, "match", "where", k))))
        try:
            pick = compile_getter(m.value) if m.value else None
        except ValueError as exc:
            return self.fail(f"invalid path: {exc}", (*keys, "match", "value"))

        def match(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            found = items(cur, parent, root)
            if not isinstance(found, list):
                return []
            wanted = [(get, fn(cur, parent, root, ctx)) for get, fn in where]
            out = []
            for item in found:
                if all(_same(get(item), value) for get, value in wanted):
                    value = pick(item) if pick else item
                    if value is not None:
                        out.append(value)
            return out

        return match

    def _each(self, spec: FieldSpec, model: type[BaseModel] | None, keys: KeyPath) -> Fn:
        items = self.path(spec.each or "", (*keys, "each"))
        build = self.fields(spec.fields or {}, model, (*keys, "fields"))

        def each(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            found = items(cur, parent, root)
            if found is None:
                return []
            if not isinstance(found, list):
                raise TransformError("is not a list", type(found).__name__)
            out = []
            for i, item in enumerate(found):
                try:
                    out.append(build(item, cur, root, ctx))
                except FieldFailure as exc:
                    exc.path.insert(0, i)
                    raise
            return out

        return each

    def _nested(self, spec: FieldSpec, model: type[BaseModel] | None, keys: KeyPath) -> Fn:
        build = self.fields(spec.fields or {}, model, (*keys, "fields"))
        if spec.path is None:
            return build
        get = self.path(spec.path, (*keys, "path"))

        def nested(cur: Any, parent: Any, root: Any, ctx: Any) -> Any:
            obj = get(cur, parent, root)
            if obj is None:
                return None
            if not isinstance(obj, dict):
                raise TransformError("is not an object", type(obj).__name__)
            return build(obj, cur, root, ctx)

        return nested
