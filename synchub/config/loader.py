"""Load YAML with line numbers and validate it into pydantic models.

Errors name the file, the key path and the line (where the YAML loader gives it), say
what was expected, and never echo a value under a key that names a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from synchub.errors import ConfigError, is_secret_key

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
KeyPath = tuple[str | int, ...]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _line_map(node: yaml.Node | None, path: KeyPath = (), out: dict[KeyPath, int] | None = None
              ) -> dict[KeyPath, int]:
    out = {} if out is None else out
    if node is None:
        return out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out)
            # keep the key's own line, not its value's
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)
    return out


class YamlDocument:
    """A parsed YAML file: its data and the line of every key path."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def line_of(self, keys: KeyPath) -> int | None:
        """The line of the deepest key path prefix that the file has."""
        for n in range(len(keys), -1, -1):
            line = self.lines.get(tuple(keys[:n]))
            if line is not None:
                return line
        return None


def load_yaml(path: str | Path) -> YamlDocument:
    """Read a YAML file; a syntax error or duplicate key is a :class:`ConfigError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(p)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(p)) from None
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", file=str(p), line=line) from None
    if data is None:
        data = {}
    return YamlDocument(p, data, _line_map(node))


def format_key_path(keys: KeyPath) -> str:
    """``("streams", 0, "path")`` -> ``streams[0].path``."""
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        else:
            out += f".{k}" if out else str(k)
    return out or "(top level)"


def _describe(err: Any, keys: KeyPath) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (not allowed here)"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        ctx = err.get("ctx", {})
        return f"key {ctx.get('discriminator', 'type')} is required"
    secret = any(isinstance(k, str) and is_secret_key(k) for k in keys)
    if not secret and "input" in err and kind not in ("model_type", "dict_type"):
        value = err["input"]
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{msg} (got {shown})"
    return str(msg)


def validation_errors(exc: ValidationError, doc: YamlDocument | None, file: str,
                      prefix: KeyPath = ()) -> list[ConfigError]:
    """One :class:`ConfigError` per pydantic error, each naming file, line and key path."""
    errors = []
    for err in exc.errors(include_url=False):
        keys = _data_keys(doc, prefix, tuple(err["loc"]))
        line = doc.line_of(keys) if doc else None
        errors.append(ConfigError(_describe(err, keys), file=file, key=format_key_path(keys),
                                  line=line))
    return errors


def _data_keys(doc: YamlDocument | None, prefix: KeyPath, loc: tuple[Any, ...]) -> KeyPath:
    """Drop what pydantic adds to an error location that is not a key of the file.

    Discriminated unions add the tag (``auth.header_token.header``), validators add
    ``function-...`` entries. A key is kept when the file has it at that path, or when it
    is the last element (a missing key is not in the file, by definition).
    """
    keys: list[str | int] = list(prefix)
    for i, k in enumerate(loc):
        if isinstance(k, int):
            keys.append(k)
            continue
        s = str(k)
        if s.startswith("function-") or s in {"tagged-union"} or "[" in s:
            continue
        last = i == len(loc) - 1
        if doc is None or last or (*keys, s) in doc.lines:
            keys.append(s)
    return tuple(keys)


class ConfigErrors(ConfigError):
    """Several configuration errors found in one pass; ``errors`` lists them all."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        ConfigError.__init__(self, "\n".join(e.message for e in errors))


def parse_model(model: type[M], doc: YamlDocument, *, context: dict[str, Any] | None = None) -> M:
    """Validate a YAML document into ``model``; raise :class:`ConfigErrors` naming every problem."""
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(exc, doc, str(doc.path))) from None


def collect_errors(errors: list[ConfigError], load: Callable[[Path], T], path: Path
                   ) -> T | None:
    """``load(path)``, or None with its problems appended to ``errors`` (to report them all)."""
    try:
        return load(path)
    except ConfigErrors as exc:
        errors.extend(exc.errors)
    except ConfigError as exc:
        errors.append(exc)
    return None
