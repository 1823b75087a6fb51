"""Compiled mappings: raw source record -> validated canonical records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synchub.canonical import ENTITIES, CanonicalRecord
from synchub.config.loader import ConfigErrors, YamlDocument, format_key_path, load_yaml
from synchub.config.mapping import MappingSpec, parse_mapping_file
from synchub.errors import ConfigError, RecordError
from synchub.mapping.compiler import CATCH, FieldFailure, Fn, SpecCompiler
from synchub.mapping.paths import Getter, compile_getter, truthy
from synchub.mapping.transforms import TransformError, to_str

# field names whose values are personal data: errors about them never show the value
_PII_PARTS = ("email", "phone", "name", "line1", "line2", "address", "postal", "company",
              "city", "customer", "billing", "shipping_address")
_PYDANTIC_PROBLEMS = {
    "decimal_parsing": "is not a decimal amount",
    "decimal_type": "is not a decimal amount",
    "finite_number": "is not a decimal amount",
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "datetime_from_date_parsing": "is not an ISO 8601 date-time",
    "datetime_parsing": "is not an ISO 8601 date-time",
}


class MissingContextError(Exception):
    """A mapping asked for a context value the connector did not provide."""


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What a mapping may read besides the record: the connection, its system, and values
    the connector knows (``shop_currency``, ``store_currency``...)."""

    connection: str
    system: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The named context value; ``connection`` and ``system`` are always there."""
        if name == "connection":
            return self.connection
        if name == "system":
            return self.system
        try:
            return self.values[name]
        except KeyError:
            raise MissingContextError(name) from None


_NO_CONTEXT = MappingContext(connection="-", system="-")


def _pii(path: str) -> bool:
    low = path.lower()
    return any(part in low for part in _PII_PARTS)


def _show(value: Any) -> str:
    shown = repr(format(value, "f")) if isinstance(value, Decimal) else repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def raise_all(errors: list[ConfigError]) -> None:
    """Raise the mistakes found in one file: the one, or all together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)


class CompiledMapping:
    """One mapping file, compiled: ``apply(raw, ctx)`` gives its canonical records.

    Every mistake of the file is raised at once (:class:`ConfigErrors`, or the one
    :class:`ConfigError`); ``errors`` are mistakes found before (the file's validation) and
    ``unchecked`` the fields left out of ``spec`` because of them.
    """

    def __init__(self, spec: MappingSpec, *, name: str, file: str,
                 doc: YamlDocument | None = None, errors: list[ConfigError] | None = None,
                 unchecked: frozenset[str] = frozenset()) -> None:
        self.name, self.file, self.spec = name, file, spec
        self.entity = spec.entity
        self.envelopes: list[str] = list(spec.envelopes)
        found: list[ConfigError] = list(errors or [])
        base = SpecCompiler(file, doc, None, errors=found)
        model = ENTITIES.get(spec.entity)
        if model is None:
            base.fail(f"unknown entity {spec.entity!r}; known: "
                      f"{', '.join(sorted(ENTITIES))}", ("entity",))
        currency = base.spec(spec.currency, None, ("currency",)) if spec.currency else None
        compiler = SpecCompiler(file, doc, currency, errors=found, unchecked=unchecked)
        self._id: Fn = compiler.spec(spec.id, None, ("id",))
        self._id_where = spec.id.path or "id"
        self._when = compiler.path(spec.when, ("when",)) if spec.when else None
        self._explode = compiler.path(spec.explode.path, ("explode", "path")) \
            if spec.explode else None
        self._explode_id = compiler.spec(spec.explode.id, None, ("explode", "id")) \
            if spec.explode else None
        self._build = compiler.fields(spec.fields, model, ("fields",))
        self._unwrap: list[Getter] = []
        for i, env in enumerate(self.envelopes):
            try:
                self._unwrap.append(compile_getter(env))
            except ValueError as exc:
                base.fail(f"invalid envelope {env!r}: {exc}", ("envelopes", i))
        raise_all(found)
        assert model is not None  # an unknown entity is one of the errors raised above
        self.model: type[CanonicalRecord] = model
        self._fill_external_id = ("external_id" in model.model_fields
                                  and "external_id" not in spec.fields)

    def __repr__(self) -> str:
        return f"CompiledMapping({self.file!r}, entity={self.entity!r})"

    def record_id(self, raw: Any) -> str | None:
        """The raw record's id as a string, or None when it has none (or is not an object)."""
        if not isinstance(raw, dict):
            return None
        try:
            value = self._id(raw, raw, raw, _NO_CONTEXT)
        except (*CATCH, FieldFailure, MissingContextError):
            return None
        if value is None or value == "" or isinstance(value, dict | list):
            return None  # a list or an object names no record: "record has no id"
        text: str = to_str(value)
        return text

    def unwrap(self, payload: Any) -> list[Any]:
        """The records in an API or webhook payload (``{"orders": [...]}``, ``{"order": {}}``)."""
        if isinstance(payload, list):
            return payload
        if isinstance(payload, dict):
            for get in self._unwrap:
                found = get(payload)
                if isinstance(found, list):
                    return found
                if isinstance(found, dict):
                    return [found]
            return [payload]
        raise RecordError(f"{self.entity}: payload is a {type(payload).__name__}, "
                          "not an object or a list")

    def apply(self, raw: Any, ctx: MappingContext) -> list[CanonicalRecord]:
        """Canonical records of one raw record; ``[]`` when ``when`` is false.

        Raises :class:`RecordError` naming the record, the canonical field and the problem.
        """
        rid = self.record_id(raw)
        if rid is None:
            kind = "record has no id" if isinstance(raw, dict) else \
                f"record is a {type(raw).__name__}, not an object"
            raise RecordError(f"{self.entity}: {kind} ({self._id_where})", field=self._id_where)
        if self._when is not None:
            try:
                wanted = truthy(self._when(raw, raw, raw))
            except CATCH as exc:   # e.g. length() of a number where a list belongs
                raise RecordError(f"{self.entity} {rid}: when: {exc}", record_id=rid,
                                  field="when") from None
            if not wanted:
                return []
        if self._explode is None:
            return [self._one(raw, raw, raw, ctx, rid, rid, rid)]
        items = self._explode(raw, raw, raw)
        if items is None:
            return []
        if not isinstance(items, list):
            raise RecordError(f"{self.entity} {rid}: {self.spec.explode.path}: "  # type: ignore[union-attr]
                              f"is not a list", record_id=rid, field="explode")
        out = []
        for i, item in enumerate(items):
            try:
                eid = self._explode_id(item, raw, raw, ctx)  # type: ignore[misc]
            except CATCH:
                eid = None
            if eid is None or eid == "":
                raise RecordError(f"{self.entity} {rid}: element {i} of "
                                  f"{self.spec.explode.path} has no id",  # type: ignore[union-attr]
                                  record_id=rid, field="explode.id")
            eid = to_str(eid)
            out.append(self._one(item, raw, raw, ctx, rid, eid, f"{rid} ({eid})"))
        return out

    def _one(self, cur: Any, parent: Any, root: Any, ctx: MappingContext, rid: str,
             external_id: str, label: str) -> CanonicalRecord:
        try:
            data = self._build(cur, parent, root, ctx)
        except FieldFailure as exc:
            raise self._field_error(exc, rid, label) from None
        except MissingContextError as exc:
            raise ConfigError(f"context value {exc.args[0]!r} is not provided by the "
                              "connector", file=self.file) from None
        if self._fill_external_id:
            data["external_id"] = external_id
        data["source"] = {"connection": ctx.connection, "system": ctx.system,
                          "external_id": external_id}
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            raise self._validation_error(exc, rid, label) from None

    def _field_error(self, exc: FieldFailure, rid: str, label: str) -> RecordError:
        where = format_key_path(tuple(exc.path))
        if exc.has_value:
            shown = "value" if _pii(where) else _show(exc.value)
            problem = f"{shown} {exc.problem}"
        else:
            problem = exc.problem
        return RecordError(f"{self.entity} {label}: {where}: {problem}", record_id=rid,
                           field=where)

    def _validation_error(self, exc: ValidationError, rid: str, label: str) -> RecordError:
        parts, first = [], None
        errors = exc.errors(include_url=False)
        for err in errors[:3]:
            where = format_key_path(tuple(k for k in err["loc"] if isinstance(k, str | int)))
            first = first or where
            kind, value = err["type"], err.get("input")
            problem = _PYDANTIC_PROBLEMS.get(kind)
            if value is None and kind in ("model_type", "dict_type", "missing"):
                problem = "is missing in the source record"
            msg = str(err["msg"]).removeprefix("Value error, ")
            shown = "value" if _pii(where) or isinstance(value, dict | list) else _show(value)
            if problem:
                text = f"{shown} {problem}"
            elif kind == "value_error" or "input" not in err:
                text = msg
            else:
                text = f"{msg} (got {shown})"
            parts.append(f"{where}: {text}" if where != "(top level)" else text)
        if len(errors) > 3:
            parts.append(f"and {len(errors) - 3} more")
        return RecordError(f"{self.entity} {label}: {'; '.join(parts)}", record_id=rid,
                           field=first if first != "(top level)" else None)


def compile_mapping(spec: MappingSpec, *, name: str = "mapping", file: str = "<mapping>",
                    doc: YamlDocument | None = None) -> CompiledMapping:
    """Compile a validated mapping spec once; apply it to any number of records."""
    return CompiledMapping(spec, name=name, file=file, doc=doc)


def load_mapping(path: str | Path) -> CompiledMapping:
    """Read, validate and compile a mapping file.

    Raises :class:`ConfigErrors` listing every mistake of the file (or the one
    :class:`ConfigError`), each naming file, line and key path.
    """
    doc = load_yaml(path)
    spec, errors, unchecked = parse_mapping_file(MappingSpec, doc)
    if spec is None:
        raise_all(errors)
    assert spec is not None
    return CompiledMapping(spec, name=Path(path).stem, file=str(path), doc=doc, errors=errors,
                           unchecked=unchecked)


__all__ = ["CompiledMapping", "MappingContext", "TransformError", "compile_mapping",
           "load_mapping"]
