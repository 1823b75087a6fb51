"""What the plan checks of exports: sink routes' write mappings, feed export targets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from synchub.config.feeds import FeedsConfig, confine_target, exports_root
from synchub.config.hub import ConnectionView
from synchub.config.loader import collect_errors
from synchub.config.sinks import RouteConfig
from synchub.errors import ConfigError
from synchub.mapping.export import CompiledExport, load_export_mapping


def load_exports(sinks: dict[str, dict[str, RouteConfig]], plans: Mapping[str, ConnectionView],
                 map_dir: Path, errors: list[ConfigError]
                 ) -> dict[tuple[str, str], CompiledExport]:
    """Compile the write mapping of every configured route whose writer names one."""
    out: dict[tuple[str, str], CompiledExport] = {}
    for sink, routes in sinks.items():
        plan = plans.get(sink)
        if plan is None:
            continue
        for name in routes:
            writer = plan.connector.writers.get(name)
            if writer is None or writer.mapping is None:
                continue
            mfile = map_dir / plan.system / f"{writer.mapping}.export.yaml"
            if not mfile.is_file():
                errors.append(ConfigError(
                    f"writer {name!r} names write mapping {writer.mapping!r} but {mfile} "
                    "does not exist", key=f"writers.{name}.mapping"))
                continue
            compiled = collect_errors(errors, load_export_mapping, mfile)
            if compiled is None:
                continue
            if compiled.entity != writer.entity:
                errors.append(ConfigError(
                    f"write mapping reads {compiled.entity!r} but writer {name!r} writes "
                    f"{writer.entity!r}", file=str(mfile), key="entity"))
                continue
            out[(sink, name)] = compiled
    return out


def check_export_targets(feeds: FeedsConfig | None, hub_dir: Path
                         ) -> list[tuple[tuple[str, ...], str]]:
    """(key path under ``feeds``, message) of every export target outside the exports root.

    Local targets are resolved with their symlinks, so a link out of the root is refused
    too; remote URLs are not confined. The export checks again when it runs.
    """
    if feeds is None:
        return []
    root = exports_root(feeds, hub_dir)
    problems: list[tuple[tuple[str, ...], str]] = []
    for name, consumer in feeds.consumers.items():
        if consumer.export is None:
            continue
        try:
            confine_target(consumer.export.to, root, hub_dir)
        except ValueError as exc:
            problems.append((("consumers", name, "export", "to"), str(exc)))
    return problems
