"""Loading a connector file and the checks that span several of its keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from synchub.config.connector import (
    _NEEDS_PAGE_SIZE,
    _PLACEHOLDER,
    GENERIC_CONTEXT_SPECS,
    GENERIC_STREAM_SPECS,
    PAGINATORS_BY_TRANSPORT,
    ConnectorSpec,
    GraphQLStreamSpec,
    RestStreamSpec,
    connector_model,
)
from synchub.config.connector_files import FileStreamSpec
from synchub.config.connector_reconcile import check_reconcile
from synchub.config.loader import (
    ConfigErrors,
    KeyPath,
    format_key_path,
    load_yaml,
    validation_errors,
)
from synchub.errors import ConfigError
from synchub.registry import REGISTRY


def load_connector(path: Path) -> ConnectorSpec:
    """Load, validate and cross-check a connector file; ConfigErrors names every problem."""
    doc = load_yaml(path)
    try:
        spec = connector_model().model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(cast(ValidationError, _TagFree(exc, doc.data)),
                                             doc, str(doc.path))) from None
    problems = [ConfigError(msg, file=str(doc.path), key=format_key_path(keys),
                            line=doc.line_of(keys))
                for keys, msg in cross_check(spec)]
    if problems:
        raise ConfigErrors(problems)
    return spec


class _TagFree:
    """A ValidationError view without the discriminator tags pydantic puts in ``loc``."""

    def __init__(self, exc: ValidationError, data: Any) -> None:
        self._exc, self._data = exc, data

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        out = []
        for err in self._exc.errors(include_url=include_url):
            out.append({**err, "loc": _strip_tags(err["loc"], self._data)})
        return out


def _strip_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    kept: list[Any] = []
    node = data
    for k in loc:
        if isinstance(node, dict) and k not in node and k in (node.get("type"),
                                                             node.get("transport", "rest")):
            continue  # a union tag, not a key of the file
        kept.append(k)
        node = node.get(k) if isinstance(node, dict) else (
            node[k] if isinstance(node, list) and isinstance(k, int) and k < len(node) else None)
    return tuple(kept)


def placeholders(text: str) -> list[str]:
    """Names in ``{name}`` placeholders of a path or parameter value."""
    return _PLACEHOLDER.findall(text)


def _context_refs(values: dict[str, Any]) -> list[tuple[str, str]]:
    refs = []
    for key, value in values.items():
        if isinstance(value, str):
            refs += [(key, n.split(".", 1)[1]) for n in placeholders(value)
                     if n.startswith("context.")]
    return refs


def nested_context_refs(value: Any) -> list[str]:
    """Context names in ``{context.x}`` placeholders anywhere in a (nested) domain."""
    if isinstance(value, str):
        return [n.split(".", 1)[1] for n in placeholders(value) if n.startswith("context.")]
    if isinstance(value, list):
        return [ref for v in value for ref in nested_context_refs(v)]
    return []


def cross_check(spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    """Problems the models alone cannot see, each with the key path it concerns."""
    out: list[tuple[KeyPath, str]] = []
    if spec.stream_defaults is not None and spec.stream_defaults.parent is not None:
        out.append((("stream_defaults", "parent"), "parent belongs in a stream, not in defaults"))
    for name, ctx in spec.context.items():
        if ctx.transport == "graphql" and "{" not in ctx.query:
            out.append((("context", name, "query"), "a GraphQL query must have a selection"))
        if ctx.transport not in GENERIC_CONTEXT_SPECS:
            out += _system_checks("context", ("context", name), ctx, spec)
    for name, s in spec.streams.items():
        where: KeyPath = ("streams", name)
        if s.transport not in GENERIC_STREAM_SPECS:  # a system's transport checks its own
            out += _system_checks("stream", where, s, spec)
            continue
        if isinstance(s, FileStreamSpec):  # its model checks it (connector_files)
            continue
        ptype = s.paginator.type
        if ptype not in PAGINATORS_BY_TRANSPORT[s.transport]:
            out.append(((*where, "paginator", "type"),
                        f"paginator {ptype!r} does not fit transport {s.transport!r}; use one of "
                        f"{sorted(PAGINATORS_BY_TRANSPORT[s.transport])}"))
        if ptype in _NEEDS_PAGE_SIZE and not (s.page_size and s.page_size_param):
            out.append(((*where, "page_size"),
                        f"paginator {ptype!r} needs page_size and page_size_param"))
        if s.page_size is not None and s.page_size_param is None:
            out.append(((*where, "page_size_param"), "page_size is set but page_size_param is not"))
        values = s.params if s.transport == "rest" else s.variables
        for key, ref in _context_refs(values):
            if ref not in spec.context:
                out.append(((*where, "params" if s.transport == "rest" else "variables", key),
                            f"unknown context {ref!r}; declared: {sorted(spec.context) or 'none'}"))
        out += _check_conn_refs(where, s.path, values)
        if s.transport == "graphql":
            out += _check_graphql_variables(where, s)
        out += _check_incremental(where, s)
        out += _check_parent(where, name, s, spec)
        if getattr(s, "inputs", None) is not None:
            for clash in ("incremental", "parent"):
                if getattr(s, clash, None) is not None:
                    out.append(((*where, clash), f"a stream fed by inputs (from the store) "
                                                 f"cannot also have {clash}"))
    out += _check_writes(spec)
    out += check_reconcile(spec)
    return out


def _system_checks(what: str, where: KeyPath, item: Any, spec: ConnectorSpec
                   ) -> list[tuple[KeyPath, str]]:
    """The checks a system's transport registered for its streams or context values."""
    check = REGISTRY.spec("transport", item.transport, f"{what}_checks")
    return list(check(where, item, spec)) if check is not None else []


def _check_writes(spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    """Strategies are registered, writers name a canonical entity, topics a stream."""
    from synchub.canonical import ENTITIES

    out: list[tuple[KeyPath, str]] = []
    if not REGISTRY.has("auth", spec.auth.type):
        out.append((("auth", "type"), REGISTRY.check("auth", [spec.auth.type])[0]))
    for name, s in spec.streams.items():
        if not REGISTRY.has("transport", s.transport):
            out.append((("streams", name, "transport"),
                        REGISTRY.check("transport", [s.transport])[0]))
        paginator = getattr(s, "paginator", None)
        if paginator is not None and not REGISTRY.has("paginator", paginator.type):
            out.append((("streams", name, "paginator", "type"),
                        REGISTRY.check("paginator", [paginator.type])[0]))
        inc = getattr(s, "incremental", None)
        fmt = getattr(inc, "param_format", None)
        if fmt is not None and not REGISTRY.has("incremental", fmt):
            out.append((("streams", name, "incremental", "param_format"),
                        REGISTRY.check("incremental", [fmt])[0]))
        inputs = getattr(s, "inputs", None)
        if inputs is not None and not REGISTRY.has("source", inputs.from_store):
            out.append((("streams", name, "inputs", "from_store"),
                        REGISTRY.check("source", [inputs.from_store])[0]))
    if spec.stock_publisher is not None and not REGISTRY.has("stock_publisher",
                                                             spec.stock_publisher.type):
        out.append((("stock_publisher", "type"),
                    REGISTRY.check("stock_publisher", [spec.stock_publisher.type])[0]))
    for name, w in spec.writers.items():
        if not REGISTRY.has("writer", w.type):
            out.append((("writers", name, "type"), REGISTRY.check("writer", [w.type])[0]))
        if w.entity not in ENTITIES:
            out.append((("writers", name, "entity"), f"unknown entity {w.entity!r}; known: "
                                                     f"{', '.join(sorted(ENTITIES))}"))
    if spec.webhooks is not None:
        for topic, t in spec.webhooks.topics.items():
            if t.stream not in spec.streams:
                out.append((("webhooks", "topics", topic, "stream"),
                            f"unknown stream {t.stream!r}; streams: "
                            f"{', '.join(sorted(spec.streams))}"))
            if t.delete is not None and t.delete.entity not in ENTITIES:
                out.append((("webhooks", "topics", topic, "delete", "entity"),
                            f"unknown entity {t.delete.entity!r}; known: "
                            f"{', '.join(sorted(ENTITIES))}"))
    return out


def _check_graphql_variables(where: KeyPath, s: GraphQLStreamSpec) -> list[tuple[KeyPath, str]]:
    wanted = {s.page_size_param, *(s.variables or {})}
    if s.paginator.type == "graphql_cursor":
        wanted.add(s.paginator.cursor_variable)
    if s.incremental:
        wanted |= {s.incremental.start_param, s.incremental.end_param}
    return [((*where, "query"), f"the query does not declare variable ${v}")
            for v in sorted(v for v in wanted if v) if f"${v}" not in s.query]


def _check_conn_refs(where: KeyPath, path: str, values: dict[str, Any]
                     ) -> list[tuple[KeyPath, str]]:
    """``{conn.x}`` names a Connection's ``extra.<key>`` (the runtime refuses secret keys)."""
    spots = [(("path",), path)] + [(("params", k), v) for k, v in values.items()
                                   if isinstance(v, str)]
    return [((*where, *at), f"placeholder {{{n}}}: only {{conn.extra.<key>}} may fill a request")
            for at, text in spots for n in placeholders(text)
            if n.startswith("conn.") and not n.startswith("conn.extra.")]


def _check_incremental(where: KeyPath, s: RestStreamSpec | GraphQLStreamSpec
                       ) -> list[tuple[KeyPath, str]]:
    inc = s.incremental
    in_path = {n for n in placeholders(s.path) if n.startswith("window.")}
    if inc is None:
        return [((*where, "path"), f"path placeholder {{{n}}} needs incremental")
                for n in sorted(in_path)]
    out: list[tuple[KeyPath, str]] = []
    at = (*where, "incremental")
    out += [((*where, "path"), f"unknown placeholder {{{n}}}; use {{window.start}} or "
             "{window.end}") for n in sorted(in_path - {"window.start", "window.end"})]
    if s.parent is not None:
        out.append((at, "a substream follows its parent's cursor; remove incremental"))
    if inc.start_param is None and "window.start" not in in_path:
        out.append(((*at, "start_param"), "an incremental stream needs start_param "
                                          "(or {window.start} in its path)"))
    if "window.start" in in_path and inc.initial_lookback is None:
        out.append(((*at, "initial_lookback"), "a path with {window.start} needs "
                                               "initial_lookback for the first run"))
    if inc.end_param is not None and inc.end_param == inc.start_param and not (
            inc.start_template and inc.end_template):
        out.append(((*at, "end_param"), "start and end share one param only with both templates"))
    if inc.paired_bounds and (inc.start_param is None or inc.end_param is None
                              or (inc.start_param == inc.end_param
                                  and not (inc.start_template and inc.end_template))):
        out.append(((*at, "paired_bounds"), "paired_bounds needs start_param and end_param "
                                            "(two params, or one with both templates)"))
    if inc.end_template and not inc.end_param:
        out.append(((*at, "end_template"), "end_template needs end_param"))
    if inc.start_template and not inc.start_param:
        out.append(((*at, "start_template"), "start_template needs start_param"))
    for key, param in (("start_with", inc.start_param), ("end_with", inc.end_param)):
        if getattr(inc, key) and (param is None or s.transport != "rest"):
            out.append(((*at, key), f"{key} needs {key[:-5]}_param on a REST stream"))
    if s.transport == "rest":
        for p in (inc.start_param, inc.end_param, *inc.start_with, *inc.end_with):
            if p and p in s.params:
                out.append(((*where, "params", p), f"{p!r} is set by incremental; remove it here"))
    return out


def _check_parent(where: KeyPath, name: str, s: RestStreamSpec | GraphQLStreamSpec,
                  spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    # a store-fed stream fills {input.<name>} itself, one request series per input
    own = ("context.", "window.", "conn.", "input.") if s.inputs is not None else (
        "context.", "window.", "conn.")
    needed = {n for n in placeholders(s.path) if not n.startswith(own)}
    if s.parent is None:
        return [((*where, "path"), f"path placeholder {{{n}}} needs a parent stream")
                for n in sorted(needed)]
    out: list[tuple[KeyPath, str]] = []
    parent = spec.streams.get(s.parent.stream)
    if parent is None or s.parent.stream == name:
        out.append(((*where, "parent", "stream"),
                    f"unknown parent stream {s.parent.stream!r}; streams: {sorted(spec.streams)}"))
    elif getattr(parent, "parent", None) is not None:
        out.append(((*where, "parent", "stream"), "a parent stream cannot itself be a substream"))
    given = set(s.parent.path_params)
    for n in sorted(needed - given):
        out.append(((*where, "parent", "path_params"), f"missing {n!r} for path {s.path!r}"))
    # a parent's value may also fill a query value (one request per marketplace, say)
    in_params = {n for v in s.params.values() if isinstance(v, str) for n in placeholders(v)}
    for n in sorted(given - needed - in_params):
        out.append(((*where, "parent", "path_params", n),
                    f"{{{n}}} does not appear in the path or the params"))
    return out
