"""The runnable plan: a hub file resolved against its connectors and compiled mappings.

:func:`load_hub` validates the hub file, every connector it names and every mapping those
connectors' streams use, before any I/O against a remote system, and reports all problems
it finds at once, each naming the file, line and key path. The result, :class:`Hub`, is
what the DAGs, jobs and CLI run: each :class:`ConnectionPlan` holds its connector spec and
each :class:`StreamPlan` its compiled mappings. Strategies named in the files are resolved
through the registry when a run builds them; unknown names are errors here already.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import load_connector
from synchub.config.hub import (
    ConnectionConfig,
    HubFile,
    IncrementalOverrides,
    StreamSettings,
    absolutize_sqlite,
    check_channel_roles,
    check_ledger_file_schedule,
    check_schedules,
)
from synchub.config.ledger import LedgerConfig, load_ledger
from synchub.config.loader import (
    ConfigErrors,
    YamlDocument,
    collect_errors,
    format_key_path,
    load_yaml,
    parse_model,
)
from synchub.config.sinks import check_sinks
from synchub.config.stock import StockConfig, check_stock
from synchub.errors import ConfigError
from synchub.mapping import CompiledMapping, load_mapping
from synchub.mapping.export import CompiledExport
from synchub.plan.exports import check_export_targets, load_exports


@dataclass
class StreamPlan:
    """One stream of one connection, resolved: its connector stream and mappings."""

    name: str
    full_refresh: bool
    mappings: list[CompiledMapping]

    @property
    def entities(self) -> list[str]:
        return sorted({m.entity for m in self.mappings})


@dataclass
class ConnectionPlan:
    """One connection, resolved against its connector."""

    name: str
    config: ConnectionConfig
    connector: ConnectorSpec
    streams: dict[str, StreamPlan] = field(default_factory=dict)

    @property
    def system(self) -> str:
        return self.config.connector


@dataclass
class Hub:
    """The validated hub: every connection with its connector, streams and mappings."""

    path: Path
    file: HubFile
    connections: dict[str, ConnectionPlan]
    # (sink, route) -> its write mapping, for routes whose writer names one
    exports: dict[tuple[str, str], CompiledExport] = field(default_factory=dict)
    # the resolved ledger configuration, or None when the hub keeps no ledger
    ledger: LedgerConfig | None = None
    # what `synchub validate` shows but does not fail on (file, line and key named)
    warnings: list[ConfigError] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def stock(self) -> StockConfig | None:
        """The stock section, or None when the hub does not sync stock."""
        return self.file.stock

    def store_url(self, environ: dict[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        url = env.get(self.file.store.url_env) or self.file.store.default_url
        return absolutize_sqlite(url, self.root)

    def connection(self, name: str) -> ConnectionPlan:
        try:
            return self.connections[name]
        except KeyError:
            known = ", ".join(sorted(self.connections)) or "none"
            raise ConfigError(f"unknown connection {name!r}; configured: {known}",
                              file=str(self.path), key="connections") from None


def _line(doc: YamlDocument, *keys: str | int) -> int | None:
    return doc.line_of(tuple(keys))


def load_hub(path: str | Path, *, load_mappings: bool = True) -> Hub:
    """Load and cross-check ``hub.yaml``, its connectors and (optionally) their mappings."""
    hub_path = Path(path).resolve()
    doc = load_yaml(hub_path)
    hub_file = parse_model(HubFile, doc)
    errors: list[ConfigError] = []
    connectors: dict[str, ConnectorSpec] = {}
    mapping_cache: dict[Path, CompiledMapping] = {}
    plans: dict[str, ConnectionPlan] = {}
    conn_dir = (hub_path.parent / hub_file.connectors_dir)
    map_dir = (hub_path.parent / hub_file.mappings_dir)
    seen_conn_ids: dict[str, str] = {}

    for name, cfg in hub_file.connections.items():
        where = ("connections", name)
        if cfg.conn_id in seen_conn_ids:
            errors.append(ConfigError(
                f"conn_id {cfg.conn_id!r} is already used by connection "
                f"{seen_conn_ids[cfg.conn_id]!r}", file=str(hub_path),
                key=format_key_path((*where, "conn_id")), line=_line(doc, *where, "conn_id")))
        seen_conn_ids.setdefault(cfg.conn_id, name)
        spec = connectors.get(cfg.connector)
        if spec is None:
            cfile = conn_dir / cfg.connector / "connector.yaml"
            if not cfile.is_file():
                known = sorted(p.name for p in conn_dir.iterdir()
                               if (p / "connector.yaml").is_file()) if conn_dir.is_dir() else []
                errors.append(ConfigError(
                    f"unknown connector {cfg.connector!r}; available: {', '.join(known) or 'none'}",
                    file=str(hub_path), key=format_key_path((*where, "connector")),
                    line=_line(doc, *where, "connector")))
                continue
            spec = collect_errors(errors, load_connector, cfile)
            if spec is None:
                continue
            if spec.system != cfg.connector:
                # mappings and source.system use the folder name; the two must agree
                errors.append(ConfigError(
                    f"system {spec.system!r} differs from its folder name {cfg.connector!r}",
                    file=str(cfile), key="system"))
                continue
            connectors[cfg.connector] = spec
        plan = ConnectionPlan(name=name, config=cfg, connector=spec)
        # by default every stream that maps records; one without mappings stores nothing
        # (e.g. order_totals, read live by the reconciliation report) and is synced only
        # when listed
        wanted = cfg.streams if cfg.streams is not None else {
            s: StreamSettings() for s, st in spec.streams.items() if st.mappings}
        for sname, settings in wanted.items():
            if sname not in spec.streams:
                errors.append(ConfigError(
                    f"unknown stream {sname!r} for connector {cfg.connector!r}; "
                    f"available: {', '.join(sorted(spec.streams))}",
                    file=str(hub_path), key=format_key_path((*where, "streams", sname)),
                    line=_line(doc, *where, "streams", sname)))
                continue
            if not settings.enabled:
                continue
            tuned = _tune_incremental(plan, sname, cfg.incremental, settings.incremental)
            if tuned:
                errors.append(ConfigError(tuned, file=str(hub_path),
                                          key=format_key_path((*where, "streams", sname)),
                                          line=_line(doc, *where, "streams", sname)))
            compiled: list[CompiledMapping] = []
            for mname in spec.streams[sname].mappings:
                mfile = map_dir / cfg.connector / f"{mname}.yaml"
                if not load_mappings:
                    continue
                if mfile not in mapping_cache:
                    if not mfile.is_file():
                        errors.append(ConfigError(
                            f"stream {sname!r} names mapping {mname!r} but {mfile} does not exist",
                            file=str(conn_dir / cfg.connector / "connector.yaml"),
                            key=f"streams.{sname}.mappings"))
                        continue
                    loaded = collect_errors(errors, load_mapping, mfile)
                    if loaded is None:
                        continue
                    mapping_cache[mfile] = loaded
                compiled.append(mapping_cache[mfile])
            plan.streams[sname] = StreamPlan(sname, settings.full_refresh, compiled)
        plans[name] = plan

    for keys, message in check_schedules(hub_file):
        errors.append(ConfigError(message, file=str(hub_path), key=format_key_path(keys),
                                  line=_line(doc, *keys)))
    if hub_file.stock is not None:
        for keys, message in check_stock(hub_file.stock, plans):
            errors.append(ConfigError(message, file=str(hub_path),
                                      key=format_key_path(("stock", *keys)),
                                      line=_line(doc, "stock", *keys)))
    for name, plan in plans.items():
        if plan.config.webhooks is not None and plan.config.webhooks.enabled \
                and plan.connector.webhooks is None:
            errors.append(ConfigError(
                f"connector {plan.system!r} declares no webhooks; remove webhooks from "
                f"connection {name!r}", file=str(hub_path),
                key=format_key_path(("connections", name, "webhooks")),
                line=_line(doc, "connections", name, "webhooks")))
    consumers = hub_file.feeds.consumers if hub_file.feeds else {}
    for cname, consumer in consumers.items():
        for i, source in enumerate(consumer.connections or []):
            if source not in plans:
                errors.append(ConfigError(
                    f"unknown connection {source!r}; configured: {', '.join(sorted(plans))}",
                    file=str(hub_path),
                    key=format_key_path(("feeds", "consumers", cname, "connections", i)),
                    line=_line(doc, "feeds", "consumers", cname, "connections", i)))
    for keys, message in check_export_targets(hub_file.feeds, hub_path.parent):
        errors.append(ConfigError(message, file=str(hub_path),
                                  key=format_key_path(("feeds", *keys)),
                                  line=_line(doc, "feeds", *keys)))
    for keys, message in check_sinks(hub_file.sinks, plans):
        errors.append(ConfigError(message, file=str(hub_path),
                                  key=format_key_path(("sinks", *keys)),
                                  line=_line(doc, "sinks", *keys)))
    exports = load_exports(hub_file.sinks, plans, map_dir, errors) if load_mappings else {}
    ledger, ledger_errors = load_ledger(hub_file.ledger, doc, map_dir, plans)
    errors += ledger_errors
    if ledger is not None:
        errors += check_ledger_file_schedule(ledger, hub_path)
    if errors:
        raise ConfigErrors(_dedupe(errors))
    warnings = [ConfigError(message, file=str(hub_path), key=format_key_path(keys),
                            line=_line(doc, *keys))
                for keys, message in check_channel_roles(
                    hub_file, plans, ledger.channels if ledger is not None else ())]
    return Hub(path=hub_path, file=hub_file, connections=plans, exports=exports,
               ledger=ledger, warnings=warnings)


def _tune_incremental(plan: ConnectionPlan, stream: str, *layers: IncrementalOverrides | None
                      ) -> str | None:
    """Apply the hub's lookback, safety lag and initial lookback to one stream of this
    connection's connector.

    The connection gets its own copy of the connector spec, so two connections of one
    system can be tuned differently. Returns an error message, or None.
    """
    updates: dict[str, Any] = {}
    for layer in layers:          # connection level first, then the stream's own
        if layer is not None:
            updates.update(layer.model_dump(exclude_none=True))
    if not updates:
        return None
    spec_stream = plan.connector.streams[stream]
    if spec_stream.incremental is None:
        if layers[-1] is not None and layers[-1].model_dump(exclude_none=True):
            return (f"stream {stream!r} is not incremental; lookback, safety_lag and "
                    "initial_lookback do not apply")
        return None
    inc = spec_stream.incremental.model_copy(update=updates)
    streams = {**plan.connector.streams,
               stream: spec_stream.model_copy(update={"incremental": inc})}
    plan.connector = plan.connector.model_copy(update={"streams": streams})
    return None


def _dedupe(errors: list[ConfigError]) -> list[ConfigError]:
    seen: set[str] = set()
    out = []
    for e in errors:
        if e.message not in seen:
            seen.add(e.message)
            out.append(e)
    return out
