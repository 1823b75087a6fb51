"""One registry of named strategies, filled from the ``synchub.systems`` entry points.

Everything a connector or mapping file selects by name is registered here, keyed by kind and
name: how requests authenticate or are signed, how a stream pages, how its requests are made
(the transport) and where its pages come from (the source), the transforms a mapping may
call, the writers of a sink, the stock publishers of a channel, a courier's status table.

The registry fills itself on first use from the entry-point group ``synchub.systems``: each
entry point names a function ``register(registry)``. The engine's own generic strategies
register that way (entry point ``core``), and so does every bundled system, exactly as a
system shipped as its own pip package would::

    # pyproject.toml of a separate package
    [project.entry-points."synchub.systems"]
    acme = "synchub_acme:register"

    # synchub_acme/__init__.py
    def register(registry):
        registry.add("writer", "acme_order", "synchub_acme.writers:AcmeOrderWriter")

Targets may be given as ``"module:attribute"`` strings, imported on first :meth:`get`, so
that validating a hub file never imports every system's HTTP code. A strategy whose options
are part of a connector file (an auth scheme, a transport's stream keys) also names its
config model (``spec=...``, ``context_spec=...``): the connector model is built from the
generic models plus those, so a system's own YAML keys are validated with file, line and key.

This module imports nothing of the engine but :mod:`synchub.errors`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import Any

from synchub.errors import ConfigError

log = logging.getLogger("synchub.registry")

ENTRY_POINT_GROUP = "synchub.systems"

KINDS: dict[str, str] = {
    "auth": "how requests carry credentials (connector auth.type)",
    "signer": "how a request is signed (a signing auth scheme names one)",
    "paginator": "how a stream pages (paginator.type)",
    "incremental": "how a window bound is written in requests (incremental.param_format)",
    "transport": "how a stream's requests are made (streams.<s>.transport)",
    "source": "where a stream's pages come from (streams.<s>.inputs.from_store)",
    "transform": "a mapping transform (transform: in mapping files)",
    "writer": "how records are written to a sink (writers.<route>.type)",
    "stock_publisher": "how stock figures are pushed to a channel (stock_publisher.type)",
    "courier_status": "a courier's status table (carrier status -> canonical status)",
    "webhook_verifier": "how a pushed delivery is verified and read (webhooks.signature)",
}


@dataclass(frozen=True)
class Entry:
    """One registered strategy: its kind, name, target and the package that registered it."""

    kind: str
    name: str
    target: Any
    package: str
    specs: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The target as ``module:attribute``."""
        if isinstance(self.target, str):
            return self.target
        module = getattr(self.target, "__module__", "?")
        return f"{module}:{getattr(self.target, '__qualname__', type(self.target).__name__)}"


def _resolve(target: Any) -> Any:
    """Import a ``"module:attr.attr"`` target; anything else is returned as it is."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    obj: Any = import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


class Registry:
    """Named strategies by kind; loads the ``synchub.systems`` entry points once, lazily."""

    def __init__(self, *, group: str | None = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self._entries: dict[tuple[str, str], Entry] = {}
        self._resolved: dict[tuple[str, str, str], Any] = {}
        self._loaded = group is None
        self._loading = False
        self._package: str | None = None
        self._lock = threading.RLock()
        self.generation = 0
        self.load_errors: list[str] = []

    # --- filling -------------------------------------------------------------------------

    def add(self, kind: str, name: str, target: Any, *, replace: bool = False,
            **specs: Any) -> None:
        """Register ``target`` (an object or ``"module:attr"``) as ``name`` of ``kind``.

        ``specs`` name config models and checks that belong to the strategy (``spec``: the
        options model of an auth scheme or the stream model of a transport;
        ``context_spec``: a transport's context model; ``stream_checks``: a function
        checking a stream across keys), or state facts config checks need (a publisher's
        ``by_location``). Registering a taken name is an error unless ``replace``.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown strategy kind {kind!r}; kinds: {', '.join(KINDS)}")
        with self._lock:
            key = (kind, name)
            if key in self._entries and not replace:
                taken = self._entries[key]
                raise ValueError(f"{kind} {name!r} is already registered by {taken.package} "
                                 f"({taken.where})")
            self._entries[key] = Entry(kind, name, target, self._package or "synchub", specs)
            for slot in [k for k in self._resolved if k[:2] == key]:
                del self._resolved[slot]
            self.generation += 1

    def remove(self, kind: str, name: str) -> None:
        """Forget a strategy (tests that register fakes take them out again)."""
        with self._lock:
            self._entries.pop((kind, name), None)
            for slot in [k for k in self._resolved if k[:2] == (kind, name)]:
                del self._resolved[slot]
            self.generation += 1

    def load(self) -> None:
        """Run every ``synchub.systems`` entry point once (idempotent, thread-safe)."""
        if self._loaded:
            return
        # another thread waits here until the loading one is done; the loading thread
        # itself (a register function asking the registry) gets in and returns at once
        with self._lock:
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                for ep in sorted(metadata.entry_points(group=self.group or ""),
                                 key=lambda e: (e.name != "core", e.name)):
                    self._load_one(ep)
            finally:
                self._loading = False
                self._loaded = True

    def _load_one(self, ep: metadata.EntryPoint) -> None:
        package = ep.dist.name if ep.dist is not None else ep.module
        try:
            register: Callable[[Registry], None] = ep.load()
        except Exception as exc:  # one broken plugin must not hide the others
            message = f"entry point {ep.name!r} ({ep.value}) of {package} failed to load: " \
                      f"{exc.__class__.__name__}: {exc}"
            self.load_errors.append(message)
            log.error("%s", message)
            return
        self._package = package
        try:
            register(self)
        except Exception as exc:  # what it registered before failing stays, said so
            message = f"entry point {ep.name!r} ({ep.value}) of {package} failed while " \
                      f"registering: {exc.__class__.__name__}: {exc}"
            self.load_errors.append(message)
            log.error("%s", message)
        finally:
            self._package = None

    # --- reading -------------------------------------------------------------------------

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Registered entries (of one kind), sorted by kind and name."""
        self.load()
        return sorted((e for e in self._entries.values() if kind is None or e.kind == kind),
                      key=lambda e: (e.kind, e.name))

    def names(self, kind: str) -> list[str]:
        """The names registered for ``kind``."""
        return [e.name for e in self.entries(kind)]

    def has(self, kind: str, name: str) -> bool:
        """Whether ``name`` is registered for ``kind``."""
        self.load()
        return (kind, name) in self._entries

    def entry(self, kind: str, name: str, *, key: str | None = None,
              file: str | None = None) -> Entry:
        """The entry, or a ConfigError that names what exists."""
        self.load()
        found = self._entries.get((kind, name))
        if found is None:
            known = ", ".join(self.names(kind)) or "none"
            raise ConfigError(f"unknown {kind} {name!r}; registered: {known}",
                              key=key, file=file)
        return found

    def get(self, kind: str, name: str, *, key: str | None = None,
            file: str | None = None) -> Any:
        """The strategy registered as ``name`` of ``kind`` (imported on first use)."""
        return self._get(kind, name, "", key=key, file=file)

    def spec(self, kind: str, name: str, slot: str = "spec") -> Any | None:
        """The config model a strategy names in ``slot``, or None."""
        entry = self.entry(kind, name)
        if slot not in entry.specs:
            return None
        return self._get(kind, name, slot)

    def specs(self, kind: str, slot: str = "spec") -> dict[str, Any]:
        """Every strategy of ``kind`` that names a config model in ``slot``: name -> model."""
        return {e.name: self._get(kind, e.name, slot) for e in self.entries(kind)
                if slot in e.specs}

    def _get(self, kind: str, name: str, slot: str, *, key: str | None = None,
             file: str | None = None) -> Any:
        cache_key = (kind, name, slot)
        hit = self._resolved.get(cache_key)
        if hit is not None:
            return hit
        entry = self.entry(kind, name, key=key, file=file)
        target = entry.specs[slot] if slot else entry.target
        try:
            value = _resolve(target)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{kind} {name!r} of {entry.package} cannot be loaded from "
                              f"{target!r}: {exc}", key=key, file=file) from None
        with self._lock:
            self._resolved[cache_key] = value
        return value

    def check(self, kind: str, names: Iterable[str]) -> list[str]:
        """Messages for the names that are not registered for ``kind``."""
        known = set(self.names(kind))
        return [f"unknown {kind} {n!r}; registered: {', '.join(sorted(known)) or 'none'}"
                for n in names if n not in known]


REGISTRY = Registry()
"""The process-wide registry every engine layer looks strategies up in."""
