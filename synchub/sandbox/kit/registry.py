"""How a vendor simulator registers, and the registry of stores that the app serves.

A vendor package exposes one :class:`System`: its store class (the data), its
:class:`~.http.VendorAPI` and route table (the API), optional extra control routes under
``/_sandbox/<system>/`` and command-line subcommands. The sandbox's table of systems is a
tuple of them; :class:`StoreRegistry` creates the stores on first use and the app
(:mod:`.app`) mounts every system's routes.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter

from synchub.sandbox.kit.http import VendorAPI
from synchub.sandbox.kit.routes import Route, StoreGetter
from synchub.sandbox.kit.store import DEFAULT_VOLUME, BaseStore

# ``synchub sandbox <name> ARGS``: called with ARGS and the sandbox's systems; an exit code
Command = Callable[[list[str], Sequence["System"]], int]


@dataclass(frozen=True)
class System:
    """One simulated vendor as the sandbox serves it.

    ``name`` is the first path segment of its stores (``/shopify/<store>/...``). A system
    without a ``store`` class of its own is an add-on to the stores of the system named by
    ``serves`` (the settlement files of WooCommerce shops).
    """

    name: str
    store: type[BaseStore] | None = None
    api: VendorAPI | None = None
    routes: tuple[Route, ...] = ()
    # extra /_sandbox/<system>/... routes; mounted before the generic control actions
    controls: Callable[[StoreGetter], APIRouter] | None = None
    commands: Mapping[str, Command] = field(default_factory=dict)
    serves: str | None = None

    @property
    def store_system(self) -> str:
        """The system whose stores this one's routes act on."""
        return self.serves or self.name


class StoreRegistry:
    """Seeded, deterministic stores of the given systems, created on first use."""

    def __init__(self, simulated: Iterable[System], seed: int = 42,
                 rate_limits: bool = True) -> None:
        self.simulated = tuple(simulated)
        self.systems: dict[str, type[BaseStore]] = {
            s.name: s.store for s in self.simulated if s.store is not None}
        self.seed, self.rate_limits = seed, rate_limits
        self._stores: dict[tuple[str, str], BaseStore] = {}
        self._lock = threading.Lock()

    def store(self, system: str, name: str, **volume: Any) -> Any:
        """Get the store, creating it with ``volume`` (defaults filled in) on first use."""
        self._check(system)
        with self._lock:
            found = self._stores.get((system, name))
            if found is None:
                found = self._create(system, name, volume)
                self._stores[(system, name)] = found
            return found

    def reset(self, system: str, name: str, **volume: Any) -> Any:
        """Replace the store with a fresh one (same seed) of the given volume."""
        self._check(system)
        with self._lock:
            fresh = self._create(system, name, volume)
            self._stores[(system, name)] = fresh
            return fresh

    def stores(self) -> list[BaseStore]:
        """Every store created so far."""
        with self._lock:
            return list(self._stores.values())

    def getter(self, system: str) -> StoreGetter:
        """``name -> store`` of one system (what routes and control routers are given)."""
        return lambda name: self.store(system, name)

    def _check(self, system: str) -> None:
        if system not in self.systems:
            raise KeyError(f"unknown system {system!r}; expected one of {sorted(self.systems)}")

    def _create(self, system: str, name: str, volume: dict[str, Any]) -> BaseStore:
        unknown = set(volume) - set(DEFAULT_VOLUME)
        if unknown:
            raise ValueError(f"unknown volume keys: {', '.join(sorted(unknown))}")
        return self.systems[system](self.seed, name, rate_limits=self.rate_limits,
                                    **{**DEFAULT_VOLUME, **volume})


def parse_store(spec: str, systems: Iterable[str]) -> tuple[str, str, dict[str, int]]:
    """``shopify:demo:orders=1000,customers=200`` -> (system, name, volume)."""
    known = sorted(systems)
    parts = spec.split(":", 2)
    if len(parts) < 2 or parts[0] not in known or not parts[1]:
        raise argparse.ArgumentTypeError(
            f"--store {spec!r}: expected SYSTEM:NAME[:key=value,...] with SYSTEM one of "
            f"{', '.join(known)}")
    volume: dict[str, int] = {}
    for item in filter(None, (parts[2] if len(parts) == 3 else "").split(",")):
        key, _, value = item.partition("=")
        if key not in DEFAULT_VOLUME or not value.isdigit():
            raise argparse.ArgumentTypeError(
                f"--store {spec!r}: {item!r} is not one of "
                f"{', '.join(f'{k}=N' for k in DEFAULT_VOLUME)}")
        volume[key] = int(value)
    return parts[0], parts[1], volume
