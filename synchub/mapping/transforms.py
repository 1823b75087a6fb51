"""Named, registered value transforms that mapping files apply to field values.

A transform is named in a :class:`TransformTable` and reaches mapping files through the
registry (kind ``transform``): the generic ones below are registered by the engine's
``core`` entry point, a system's own by that system. Plain transforms
are ``fn(value) -> value``; those declared with ``takes_args=True`` are factories
``fn(args) -> (value -> value)``, called once when a mapping is compiled so that bad
arguments are configuration errors. ``None`` passes through unchanged unless a transform
says otherwise (``enum``, ``first_non_empty``, ``sum``...). A value that cannot be
transformed raises :class:`TransformError`, which the engine turns into a ``RecordError``
naming the record and the field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from synchub.registry import REGISTRY, Registry

Transform = Callable[[Any], Any]
TransformFactory = Callable[[Any], Transform]

NO_ARGS = object()


class TransformError(ValueError):
    """A value a transform cannot handle; ``problem`` reads after the value."""

    def __init__(self, problem: str, value: Any) -> None:
        self.problem, self.value = problem, value
        super().__init__(f"{_show(value)} {problem}")


def _show(value: Any) -> str:
    shown = repr(format(value, "f")) if isinstance(value, Decimal) else repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


class TransformTable(dict[str, TransformFactory]):
    """Transforms by name, filled with the table's decorator and handed to the registry.

    ``@table("name")`` registers ``fn(value) -> value``; ``@table("name", takes_args=True)``
    a factory ``fn(args) -> (value -> value)``.
    """

    def __call__(self, name: str, *, takes_args: bool = False) -> Callable[[Any], Any]:
        """Decorator: put ``fn`` in the table under ``name``."""

        def deco(fn: Any) -> Any:
            self[name] = fn if takes_args else _no_args(name, fn)
            return fn

        return deco

    def register_all(self, registry: Registry) -> None:
        """Add every transform of the table to ``registry``."""
        for name, factory in self.items():
            registry.add("transform", name, factory)


def _no_args(name: str, fn: Transform) -> TransformFactory:
    @functools.wraps(fn)
    def factory(args: Any) -> Transform:
        if args is not NO_ARGS and args is not None:
            raise ValueError(f"transform {name!r} takes no arguments")
        return fn

    return factory


GENERIC = TransformTable()
"""The engine's own transforms (registered by the ``core`` entry point)."""


def build_transform(name: str, args: Any = NO_ARGS) -> Transform:
    """The transform function for ``name`` with ``args``; ``KeyError``/``ValueError`` if bad."""
    if not REGISTRY.has("transform", name):
        raise KeyError(f"unknown transform {name!r}; known: "
                       f"{', '.join(REGISTRY.names('transform'))}")
    factory: TransformFactory = REGISTRY.get("transform", name)
    return factory(args)


class NumberOutOfRange(TransformError):
    """A number too large or too small for any value a mapping produces."""


# the largest and smallest magnitude a number may have in a mapping: far past any amount,
# rate or quantity (synchub/canonical/limits.py), and small enough to compute with at once
_MAX_EXPONENT = 100


def to_decimal_value(value: Any) -> Decimal:
    """A number or decimal string as an exact Decimal (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TransformError("is not a decimal amount", value)
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise TransformError("is not a decimal amount", value) from None
    else:
        raise TransformError("is not a decimal amount", value)
    if not result.is_finite():
        raise TransformError("is not a decimal amount", value)
    if result and not -_MAX_EXPONENT <= result.adjusted() <= _MAX_EXPONENT:
        # "1e999999" is nine characters, but as an int it takes a minute to build
        raise NumberOutOfRange(f"is out of range for a number (beyond 10^±{_MAX_EXPONENT})",
                               value)
    return result


@GENERIC("to_str")
def to_str(value: Any) -> Any:
    """Any scalar as a string (ints exactly, even beyond 2^53)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        raise TransformError("is not a scalar", value)
    return str(value)


@GENERIC("to_int")
def to_int(value: Any) -> Any:
    """A whole number from an int, an integral float/Decimal or a digit string."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        dec = to_decimal_value(value)
    except NumberOutOfRange:
        raise
    except TransformError:
        raise TransformError("is not a whole number", value) from None
    if dec != dec.to_integral_value():
        raise TransformError("is not a whole number", value)
    return int(dec)


_TRUE = frozenset({"1", "true", "yes", "y", "on", "t"})
_FALSE = frozenset({"0", "false", "no", "n", "off", "f", ""})


@GENERIC("to_bool")
def to_bool(value: Any) -> Any:
    """A boolean from true/false, yes/no, on/off, 1/0."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise TransformError("is not a boolean", value)


@GENERIC("to_decimal")
def to_decimal(value: Any) -> Any:
    """An exact Decimal from a decimal string or number."""
    return None if value is None else to_decimal_value(value)


@GENERIC("negate")
def negate(value: Any) -> Any:
    """The amount with its sign flipped."""
    return None if value is None else -to_decimal_value(value)


@GENERIC("abs")
def abs_(value: Any) -> Any:
    """The amount without its sign (refunds some sources send negative)."""
    return None if value is None else abs(to_decimal_value(value))


@GENERIC("parse_datetime", takes_args=True)
def parse_datetime(args: Any) -> Transform:
    """ISO 8601 text to an aware datetime; ``{assume: UTC}`` accepts naive (GMT) times."""
    assume = None
    if isinstance(args, dict):
        extra = set(args) - {"assume"}
        if extra:
            raise ValueError(f"parse_datetime: unknown argument(s) {sorted(extra)}")
        if args.get("assume") not in (None, "UTC", "utc"):
            raise ValueError("parse_datetime: assume must be UTC")
        assume = UTC if args.get("assume") else None
    elif args not in (NO_ARGS, None):
        raise ValueError("parse_datetime takes {assume: UTC} or nothing")

    def fn(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                raise TransformError("is not an ISO 8601 date-time", value) from None
        else:
            raise TransformError("is not an ISO 8601 date-time", value)
        if parsed.tzinfo is None:
            if assume is None:
                raise TransformError("has no timezone offset", value)
            parsed = parsed.replace(tzinfo=assume)
        return parsed

    return fn


@GENERIC("from_epoch", takes_args=True)
def from_epoch(args: Any) -> Transform:
    """Unix time (a number or digit text) to an aware UTC datetime: ``{unit: ms}`` or
    ``{unit: s}``. Epoch time has no zone to get wrong, so sources that send it (Weimob's
    milliseconds) need no offset guessed."""
    if not isinstance(args, dict) or args.get("unit") not in ("ms", "s") or len(args) != 1:
        raise ValueError("from_epoch takes {unit: ms} or {unit: s}")
    scale = 1000 if args["unit"] == "ms" else 1

    def fn(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or \
                (isinstance(value, str) and not value.strip().isdigit()):
            raise TransformError("is not a unix time", value)
        number = int(value)
        try:
            return datetime.fromtimestamp(number / scale, UTC) if scale == 1 else \
                datetime.fromtimestamp(number // 1000, UTC).replace(
                    microsecond=(number % 1000) * 1000)
        except (OverflowError, OSError, ValueError):
            raise TransformError("is out of range for a unix time", value) from None

    return fn


@GENERIC("enum", takes_args=True)
def enum(args: Any) -> Transform:
    """Closed-set normalization: ``{map: {src: canonical}, default: x, missing: y}``.

    Unmapped values become ``default`` (an error when no default is given); ``None`` becomes
    ``missing`` (``None`` when not given, so the canonical default applies).
    """
    if not isinstance(args, dict) or not isinstance(args.get("map"), dict):
        raise ValueError("enum needs {map: {...}} with optional default and missing")
    extra = set(args) - {"map", "default", "missing"}
    if extra:
        raise ValueError(f"enum: unknown argument(s) {sorted(extra)}")
    table = {str(k): v for k, v in args["map"].items()}
    has_default = "default" in args
    default, missing = args.get("default"), args.get("missing")

    def fn(value: Any) -> Any:
        if value is None:
            return missing
        key = value if isinstance(value, str) else to_str(value)
        try:
            return table[key]
        except KeyError:
            if has_default:
                return default
            raise TransformError(f"is not one of {sorted(table)}", value) from None

    return fn


@GENERIC("match_words", takes_args=True)
def match_words(args: Any) -> Transform:
    """``{table: {words: value}, default: x}``: the value of the longest table key found as
    whole words in the text, case-insensitively (``"DHL Express Germany"`` matches
    ``dhl express`` before ``dhl``); ``default`` (null unless given) when none is found."""
    if not isinstance(args, dict) or not isinstance(args.get("table"), dict) \
            or not args["table"]:
        raise ValueError("match_words needs {table: {words: value}} with optional default")
    extra = set(args) - {"table", "default"}
    if extra:
        raise ValueError(f"match_words: unknown argument(s) {sorted(extra)}")
    rules = [(re.compile(rf"(?<![a-z0-9]){re.escape(str(k).lower())}(?![a-z0-9])"), v)
             for k, v in sorted(args["table"].items(), key=lambda kv: -len(str(kv[0])))]
    default = args.get("default")

    def fn(value: Any) -> Any:
        if value is None:
            return None
        text = (value if isinstance(value, str) else to_str(value)).lower()
        return next((v for rule, v in rules if rule.search(text)), default)

    return fn


@GENERIC("courier_status", takes_args=True)
def courier_status(args: Any) -> Transform:
    """``courier_status: <name>``: a carrier's status (or status object) through the status
    table the courier's system registered (kind ``courier_status``), giving one of the
    canonical tracking statuses; values the table does not know give ``unknown``."""
    if not isinstance(args, str) or not REGISTRY.has("courier_status", args):
        raise ValueError(f"courier_status needs the name of a status table; registered: "
                         f"{', '.join(REGISTRY.names('courier_status')) or 'none'}")
    table: Transform = REGISTRY.get("courier_status", args)
    return table


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return False


@GENERIC("empty_to_null")
def empty_to_null(value: Any) -> Any:
    """``""``, blanks, ``[]`` and objects whose every value is empty become ``None``."""
    return None if _is_empty(value) else value


@GENERIC("first_non_empty")
def first_non_empty(value: Any) -> Any:
    """The first element of a list that is not null or empty."""
    if not isinstance(value, list):
        return None if _is_empty(value) else value
    for item in value:
        if not _is_empty(item):
            return item
    return None


@GENERIC("compact")
def compact(value: Any) -> Any:
    """A list without its null or empty elements (objects whose every value is empty too)."""
    if not isinstance(value, list):
        return value
    return [item for item in value if not _is_empty(item)]


@GENERIC("first")
def first(value: Any) -> Any:
    """The first element of a list (``None`` for an empty list)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


@GENERIC("split", takes_args=True)
def split(args: Any) -> Transform:
    """Split text on a separator (default ``,``), stripping parts and dropping empty ones."""
    sep = "," if args in (NO_ARGS, None) else args
    if not isinstance(sep, str) or not sep:
        raise ValueError("split takes a non-empty separator string")

    def fn(value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if not _is_empty(v)]
        if not isinstance(value, str):
            raise TransformError("is not text", value)
        return [part.strip() for part in value.split(sep) if part.strip()]

    return fn


@GENERIC("join", takes_args=True)
def join(args: Any) -> Transform:
    """Join the non-empty elements of a list with a separator (default ``" "``)."""
    sep = " " if args in (NO_ARGS, None) else args
    if not isinstance(sep, str):
        raise ValueError("join takes a separator string")

    def fn(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        parts = [to_str(v) for v in value if not _is_empty(v)]
        return sep.join(parts) if parts else None

    return fn


@GENERIC("gid_id")
def gid_id(value: Any) -> Any:
    """``gid://shopify/Product/123`` -> ``"123"``; other ids as strings."""
    if value is None:
        return None
    text = to_str(value)
    if text.startswith("gid://"):
        tail = text.rsplit("/", 1)[-1].split("?", 1)[0]
        if not tail:
            raise TransformError("is not a global id", value)
        return tail
    return text


@GENERIC("sum_decimal")
def sum_decimal(value: Any) -> Any:
    """Exact sum of a list of decimal strings or numbers (empty list -> 0)."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, list):
        return to_decimal_value(value)
    total = Decimal(0)
    for item in value:
        if item is not None:
            total += to_decimal_value(item)
    return total


@GENERIC("sum")
def sum_(value: Any) -> Any:
    """Sum of a list of numbers: an int when every element is one, else a Decimal."""
    if value is None:
        return 0
    items = value if isinstance(value, list) else [value]
    if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        return sum(items)
    return sum_decimal(items)


@GENERIC("lower")
def lower(value: Any) -> Any:
    """Lower-case text."""
    return value.lower() if isinstance(value, str) else value


@GENERIC("snake")
def snake(value: Any) -> Any:
    """Text as a lookup key: ``"DHL Express"`` and ``"dhl-express"`` become ``dhl_express``."""
    if not isinstance(value, str):
        return value
    return "_".join(re.findall(r"[0-9a-z]+", value.lower()))


@GENERIC("upper")
def upper(value: Any) -> Any:
    """Upper-case text."""
    return value.upper() if isinstance(value, str) else value


@GENERIC("strip")
def strip(value: Any) -> Any:
    """Text without surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


@GENERIC("null_if", takes_args=True)
def null_if(args: Any) -> Transform:
    """``None`` when the value is one of the given sentinels (``0`` as guest customer id...)."""
    sentinels = args if isinstance(args, list) else [args]
    if args is NO_ARGS:
        raise ValueError("null_if needs a value or a list of values")

    def fn(value: Any) -> Any:
        for s in sentinels:
            if value == s and type(value) is type(s):
                return None
        return value

    return fn


@GENERIC("to_dict", takes_args=True)
def to_dict(args: Any) -> Transform:
    """A list of objects to a dict: ``{key: name, value: value}`` name their keys."""
    opts = {} if args in (NO_ARGS, None) else args
    if not isinstance(opts, dict) or set(opts) - {"key", "value"}:
        raise ValueError("to_dict takes {key: <item key>, value: <item key>}")
    kname, vname = opts.get("key", "name"), opts.get("value", "value")

    def fn(value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, list):
            raise TransformError("is not a list", value)
        out = {}
        for item in value:
            if isinstance(item, dict) and item.get(kname) is not None:
                out[to_str(item[kname])] = to_str(item.get(vname))
        return out

    return fn


@GENERIC("round", takes_args=True)
def round_(args: Any) -> Transform:
    """Round half up to at most N decimal places, dropping trailing zeros."""
    if not isinstance(args, int) or isinstance(args, bool) or not 0 <= args <= 12:
        raise ValueError("round takes a number of decimal places (0-12)")
    exp = Decimal(1).scaleb(-args)
    # room for every digit of the largest number a mapping may hold, rounded to N places
    context = Context(prec=_MAX_EXPONENT + args + 2)

    def fn(value: Any) -> Any:
        if value is None:
            return None
        rounded = to_decimal_value(value).quantize(exp, rounding=ROUND_HALF_UP,
                                                   context=context)
        # normalize() may give exponent form (1E+2) for whole numbers; keep integers plain
        return rounded.normalize(context) if rounded != rounded.to_integral_value() \
            else rounded.quantize(Decimal(1), context=context)

    return fn
