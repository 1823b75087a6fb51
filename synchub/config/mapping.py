"""Pydantic models of a mapping file (``mappings/<system>/<name>.yaml``).

A mapping turns one raw source record into canonical records. A field spec is either a
path string (JMESPath, optionally prefixed by a scope: ``$root.``, ``$parent.``) or a
mapping with exactly one value source (``path``, ``const``, ``context``, ``money``, ``op``,
``coalesce``, ``cases``, ``match``, ``each`` or a bare ``fields`` block) plus optional
``transform`` and ``default``. The engine in :mod:`synchub.mapping` compiles these models
once per file.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synchub.config.loader import YamlDocument, validation_errors
from synchub.errors import ConfigError

TransformRef = str | dict[str, Any]
OpName = Literal["add", "sub", "mul", "div", "concat", "join", "coalesce"]

# keys of FieldSpec that produce the value; exactly one may be given (fields may pair with
# path or each, which give it its scope)
VALUE_SOURCES = ("path", "const", "context", "money", "op", "coalesce", "cases", "match",
                 "each")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _path_shorthand(value: Any) -> Any:
    # "a.b" is short for {"path": "a.b"}: most fields are plain paths
    return {"path": value} if isinstance(value, str) else value


class CaseSpec(_Spec):
    """One branch of ``cases``: the first whose ``when`` is truthy gives the value."""

    when: str = Field(description="JMESPath condition (scope prefix allowed).")
    value: FieldSpec


class MatchSpec(_Spec):
    """Items of a list whose keys equal values of the current scope (a join)."""

    items: str = Field(description="Path to the list to search (scope prefix allowed).")
    where: dict[str, FieldSpec] = Field(
        description="item key -> spec evaluated in the current scope; all must be equal.")
    value: str | None = Field(default=None, description="Path in each matching item; "
                              "the whole item when omitted.")


class MoneySpec(_Spec):
    """``{amount, currency}``; ``currency`` defaults to the mapping's top-level ``currency``."""

    amount: FieldSpec
    currency: FieldSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"amount": {"path": data}}
        if isinstance(data, dict) and "amount" not in data:
            return {"amount": data}
        return data


class FieldSpec(_Spec):
    """How one canonical field gets its value from the raw record."""

    path: str | None = Field(default=None, description="JMESPath; `$root.`/`$parent.` "
                             "prefix evaluates it against the record / the enclosing scope.")
    const: Any = None
    context: str | None = Field(default=None, description="Name of a connector context "
                                "value (connection, system, shop_currency...).")
    money: MoneySpec | None = None
    op: OpName | None = None
    args: list[FieldSpec] | None = None
    sep: str | None = None
    coalesce: list[FieldSpec] | None = Field(
        default=None, min_length=2, description="Choices tried in order (paths or specs); the "
        "first whose source gives a value (not null, not \"\") wins. For fields a vendor "
        "renamed or reshaped across API versions.")
    cases: list[CaseSpec] | None = None
    match: MatchSpec | None = None
    each: str | None = Field(default=None, description="Path to a list; `fields` maps "
                             "each element.")
    fields: dict[str, FieldSpec] | None = None
    transform: TransformRef | list[TransformRef] | None = None
    default: Any = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        # nested specs (args, fields, where, cases) pass through here too
        return _path_shorthand(data)

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in VALUE_SOURCES if k in self.model_fields_set]
        if not given and self.fields is None:
            raise ValueError(f"give one of {', '.join(VALUE_SOURCES)} or fields")
        if len(given) > 1:
            raise ValueError(f"give only one of {', '.join(given)}")
        if self.each is not None and self.fields is None:
            raise ValueError("each needs fields")
        if self.fields is not None and given and given[0] not in ("path", "each"):
            raise ValueError(f"fields cannot be combined with {given[0]}")
        if self.op is not None and not self.args:
            raise ValueError("op needs args")
        if self.args is not None and self.op is None:
            raise ValueError("args needs op")
        choices = self.coalesce if self.coalesce is not None else \
            self.args if self.op == "coalesce" else []
        if any("default" in c.model_fields_set for c in choices or []):
            # a choice's default would hide every choice after it
            raise ValueError("a coalesce choice cannot have a default; give it to the "
                             "coalesce itself")
        return self


class ExplodeSpec(_Spec):
    """One canonical record per element of a list; ``id`` names each (source external id)."""

    path: str
    id: FieldSpec


class MappingSpec(_Spec):
    """A mapping file: one raw record -> zero, one or many records of one canonical entity."""

    entity: str = Field(description="Canonical entity name (order, product, ...).")
    description: str | None = None
    id: FieldSpec = Field(description="The raw record's id: source external id and the "
                          "name of the record in errors.")
    when: str | None = Field(default=None, description="JMESPath; falsy -> no record.")
    explode: ExplodeSpec | None = None
    envelopes: list[str] = Field(default_factory=list, description="Keys (or paths) that "
                                 "wrap records in API and webhook payloads.")
    currency: FieldSpec | None = Field(default=None, description="Default currency of "
                                       "money specs, evaluated against the record.")
    fields: dict[str, FieldSpec]


CaseSpec.model_rebuild()
MatchSpec.model_rebuild()
MoneySpec.model_rebuild()
FieldSpec.model_rebuild()


class ExportMappingSpec(_Spec):
    """A write mapping (``mappings/<system>/<name>.export.yaml``): canonical -> sink payload.

    It reads one canonical document (the JSON form, as the feeds serve it) and builds the
    object a sink writer sends; the writer resolves the sink's own references (a partner
    id, a product id by SKU) in code.
    """

    entity: str = Field(description="Canonical entity read (order, customer, shipment...).")
    description: str | None = None
    when: str | None = Field(default=None, description="JMESPath over the canonical "
                             "document; falsy -> the record is not for this sink (skipped).")
    fields: dict[str, FieldSpec]
    only_create: list[str] = Field(default_factory=list, description="Top-level fields "
                                   "sent when the record is created, never on an update.")


SpecT = TypeVar("SpecT", MappingSpec, ExportMappingSpec)


def parse_mapping_file(model: type[SpecT], doc: YamlDocument
                       ) -> tuple[SpecT | None, list[ConfigError], frozenset[str]]:
    """Validate a mapping file, keeping what can still be compiled when parts are wrong.

    Returns the spec, every validation error (each naming file, line and key path) and the
    top-level fields left out of the spec because they are invalid, so that the compiler
    can report its own errors in the same run instead of one per run. The spec is None
    when the file is wrong outside ``fields``.
    """
    try:
        return model.model_validate(doc.data), [], frozenset()
    except ValidationError as exc:
        errors = validation_errors(exc, doc, str(doc.path))
        locs = [err["loc"] for err in exc.errors(include_url=False)]
    data, fields = doc.data, doc.data.get("fields") if isinstance(doc.data, dict) else None
    broken = frozenset(str(loc[1]) for loc in locs if len(loc) > 1 and loc[0] == "fields")
    if not isinstance(fields, dict) or any(len(loc) < 2 or loc[0] != "fields" for loc in locs):
        return None, errors, frozenset()
    kept = {k: v for k, v in fields.items() if k not in broken}
    try:
        return model.model_validate({**data, "fields": kept}), errors, broken
    except ValidationError:
        return None, errors, frozenset()
