"""Write mappings: canonical document -> the payload a sink writer sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synchub.canonical import ENTITIES
from synchub.config.loader import YamlDocument, format_key_path, load_yaml
from synchub.config.mapping import ExportMappingSpec, parse_mapping_file
from synchub.errors import ConfigError, RecordError
from synchub.mapping.compiler import CATCH, FieldFailure, SpecCompiler
from synchub.mapping.engine import MappingContext, MissingContextError, _pii, _show, raise_all
from synchub.mapping.paths import truthy


class CompiledExport:
    """One write mapping, compiled: ``apply(document, ctx)`` gives the sink payload."""

    def __init__(self, spec: ExportMappingSpec, *, name: str, file: str,
                 doc: YamlDocument | None = None, errors: list[ConfigError] | None = None,
                 unchecked: frozenset[str] = frozenset()) -> None:
        self.name, self.file, self.spec = name, file, spec
        self.entity = spec.entity
        found: list[ConfigError] = list(errors or [])
        compiler = SpecCompiler(file, doc, None, errors=found)
        if spec.entity not in ENTITIES:
            compiler.fail(f"unknown entity {spec.entity!r}; known: "
                          f"{', '.join(sorted(ENTITIES))}", ("entity",))
        unknown = [f for f in spec.only_create if f not in spec.fields and f not in unchecked]
        if unknown:
            compiler.fail(f"only_create names field(s) not in fields: "
                          f"{', '.join(unknown)}", ("only_create",))
        self._when = compiler.path(spec.when, ("when",)) if spec.when else None
        self._build = compiler.fields(spec.fields, None, ("fields",))
        self.only_create = frozenset(spec.only_create)
        raise_all(found)

    def __repr__(self) -> str:
        return f"CompiledExport({self.file!r}, entity={self.entity!r})"

    def wants(self, document: dict[str, Any]) -> bool:
        """False when ``when`` rules the record out of this sink."""
        return self._when is None or truthy(self._when(document, document, document))

    def apply(self, document: dict[str, Any], ctx: MappingContext, *,
              create: bool = True) -> dict[str, Any]:
        """The payload for one canonical document (``only_create`` fields left out on update).

        Raises :class:`RecordError` naming the record and the field.
        """
        rid = str(document.get("id") or "?")
        try:
            payload: dict[str, Any] = self._build(document, document, document, ctx)
        except FieldFailure as exc:
            where = format_key_path(tuple(exc.path))
            problem = exc.problem
            if exc.has_value:
                problem = f"{'value' if _pii(where) else _show(exc.value)} {problem}"
            raise RecordError(f"{self.entity} {rid} -> {self.name}: {where}: {problem}",
                              record_id=rid, field=where) from None
        except MissingContextError as exc:
            raise ConfigError(f"context value {exc.args[0]!r} is not provided to write "
                              "mappings", file=self.file) from None
        except CATCH as exc:  # pragma: no cover - the compiler wraps these in FieldFailure
            raise RecordError(f"{self.entity} {rid} -> {self.name}: {exc}",
                              record_id=rid) from None
        if not create:
            for name in self.only_create:
                payload.pop(name, None)
        return payload


def load_export_mapping(path: str | Path) -> CompiledExport:
    """Read, validate and compile a write mapping; every mistake names file, line and key."""
    doc = load_yaml(path)
    spec, errors, unchecked = parse_mapping_file(ExportMappingSpec, doc)
    if spec is None:
        raise_all(errors)
    assert spec is not None
    name = Path(path).name.removesuffix(".yaml").removesuffix(".export")
    return CompiledExport(spec, name=name, file=str(path), doc=doc, errors=errors,
                          unchecked=unchecked)
