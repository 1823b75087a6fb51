"""The models of the hub file (``hub.yaml``): systems, conn ids, streams, schedules, roles.

Parsing, plus the checks that read the file alone (schedules) or its sections together
(roles): :func:`synchub.plan.load_hub` turns the file into the runnable plan (connectors
resolved, mappings compiled, cross-checks run).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from synchub.config.connector import parse_duration
from synchub.config.feeds import FeedsConfig
from synchub.config.ledger import LedgerConfig, LedgerPart
from synchub.config.loader import load_yaml
from synchub.config.schedules import schedule_problem
from synchub.config.sinks import RouteConfig, route_sources
from synchub.config.stock import StockConfig
from synchub.config.webhooks import WebhookSettings
from synchub.errors import ConfigError

if TYPE_CHECKING:
    from synchub.config.connector import ConnectorSpec

Role = Literal["channel", "marketplace", "erp", "wms", "crm", "carrier", "payments", "feed",
               "rates"]
NAME = r"^[a-z][a-z0-9_]{0,62}$"
KeyPath = tuple[str | int, ...]


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncrementalOverrides(_Model):
    """Tune a connector's incremental window for one deployment."""

    lookback: Duration | None = Field(
        default=None, description="Overlap re-read before the cursor on every run.")
    safety_lag: Duration | None = Field(
        default=None, description="Newest moments of the window left for the next run.")
    initial_lookback: Duration | None = Field(
        default=None, description="Without a stored cursor, how far back the first run "
                                  "reads (e.g. as far back as the orders the books need).")


class StreamSettings(_Model):
    """Per-stream overrides in the hub file."""

    enabled: bool = True
    full_refresh: bool = Field(default=False, description="Ignore the cursor on every run.")
    incremental: IncrementalOverrides | None = None


class TaskDefaults(_Model):
    """How the DAGs run their tasks."""

    schedule: str | None = Field(default="@hourly", description="Cron, preset, or null; "
                                 "also the push and feed DAGs' cron.")
    retries: int = Field(default=3, ge=0, le=20)
    retry_delay: Duration = timedelta(seconds=30)
    max_retry_delay: Duration = timedelta(minutes=10)
    pool_slots: int = Field(default=2, ge=1, le=64,
                            description="Concurrent tasks per connection (an Airflow pool).")
    execution_timeout: Duration = timedelta(hours=2)


class ConnectionConfig(_Model):
    """One system the hub talks to."""

    connector: str = Field(pattern=NAME, description="Folder name under connectors/.")
    conn_id: str = Field(min_length=1, description="Airflow Connection id with the credentials.")
    roles: list[Role] = Field(default_factory=lambda: list[Role](["channel"]))
    streams: dict[str, StreamSettings] | None = Field(
        default=None, description="Streams to sync (default: all of the connector's).")
    schedule: str | None = Field(default=None, description="Cron, preset (@hourly, @once, "
                                 "@continuous...), or null (default: the hub's).")
    incremental: IncrementalOverrides | None = Field(
        default=None, description="Overrides for every incremental stream of this connection.")
    retries: int | None = Field(default=None, ge=0, le=20)
    pool_slots: int | None = Field(default=None, ge=1, le=64)
    description: str | None = None
    webhooks: WebhookSettings | None = Field(
        default=None, description="Accept this system's webhooks (its connector must "
                                  "declare them); polling stays the catch-up net.")

    @field_validator("streams", mode="before")
    @classmethod
    def _list_form(cls, value: Any) -> Any:
        # `streams: [orders, customers]` is shorthand for `{orders: {}, customers: {}}`
        if isinstance(value, list):
            out: dict[str, Any] = {}
            for item in value:
                if not isinstance(item, str):
                    raise ValueError("stream names must be strings")
                if item in out:
                    raise ValueError(f"stream {item!r} listed twice")
                out[item] = {}
            return out
        return value


class StoreConfig(_Model):
    """Where the hub keeps its records."""

    url_env: str = Field(default="SYNCHUB_STORE_URL",
                         description="Environment variable holding the store URL.")
    default_url: str = Field(default="sqlite:///var/hub.db",
                             description="Used when the variable is unset; relative paths "
                                         "are relative to the hub file.")


class HubFile(_Model):
    """Top level of ``hub.yaml``."""

    version: Literal[1] = 1
    store: StoreConfig = Field(default_factory=StoreConfig)
    defaults: TaskDefaults = Field(default_factory=TaskDefaults)
    connectors_dir: str = "connectors"
    mappings_dir: str = "mappings"
    connections: dict[Annotated[str, Field(pattern=NAME)], ConnectionConfig] = Field(
        min_length=1)
    stock: StockConfig | None = Field(
        default=None, description="Stock sync: masters, channels, rules, kits, alerts.")
    sinks: dict[str, dict[Annotated[str, Field(pattern=NAME)], RouteConfig]] = Field(
        default_factory=dict, description="Connections that receive records: "
                                          "sink -> route (a writer of its connector) -> rules.")
    feeds: FeedsConfig | None = Field(
        default=None, description="Feed consumers: scopes, exports, signed webhooks.")
    ledger: LedgerPart | None = Field(
        default=None, description="Ledger: chart of accounts, channels, rates, commissions "
                                  "(may also come from mappings/ledger/*.yaml).")


class ConnectionView(Protocol):
    """What the config cross-checks read of a resolved connection (a plan's ConnectionPlan)."""

    name: str
    config: ConnectionConfig
    connector: ConnectorSpec

    @property
    def system(self) -> str:
        """The connector's folder name."""

    @property
    def streams(self) -> Mapping[str, Any]:
        """The enabled streams by name."""


def absolutize_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against ``base`` (and create its folder)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        path = (base / url[len(prefix):]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url


def default_hub_path() -> Path:
    """``$SYNCHUB_HUB`` or ``./hub.yaml``."""
    return Path(os.environ.get("SYNCHUB_HUB", "hub.yaml"))


def hub_schedules(hub: HubFile) -> list[tuple[KeyPath, str | None, bool]]:
    """Every schedule of the hub file: (key path, value, whether it becomes a cron timetable).

    A connection's schedule is its sync DAG's own (``@once`` and ``@continuous`` fit); the
    stock, feed, ledger and push DAGs build cron timetables from theirs, and the defaults'
    schedule is the push and feed DAGs' when the hub has any.
    """
    consumers = hub.feeds.consumers if hub.feeds is not None else {}
    out: list[tuple[KeyPath, str | None, bool]] = [
        (("defaults", "schedule"), hub.defaults.schedule, bool(hub.sinks or consumers))]
    out += [(("connections", name, "schedule"), cfg.schedule, False)
            for name, cfg in hub.connections.items()]
    if hub.stock is not None:
        out.append((("stock", "schedule"), hub.stock.schedule, True))
    out += [(("feeds", "consumers", name, "schedule"), cfg.schedule, True)
            for name, cfg in consumers.items()]
    if hub.ledger is not None:
        out.append((("ledger", "schedule"), hub.ledger.schedule, True))
    return out


def check_schedules(hub: HubFile) -> list[tuple[KeyPath, str]]:
    """(key path, reason) for every schedule of the hub file that Airflow would refuse."""
    out = []
    for keys, value, cron_only in hub_schedules(hub):
        problem = None if value is None else schedule_problem(value, cron_only=cron_only)
        if problem is not None:
            out.append((keys, problem))
    return out


def check_ledger_file_schedule(ledger: LedgerConfig, hub_path: Path) -> list[ConfigError]:
    """The ledger's schedule, when a ``mappings/ledger/*.yaml`` file set it.

    The hub file's own ``ledger.schedule`` is checked with its other schedules.
    """
    origin = ledger.origins.get("schedule")
    if origin is None or origin == str(hub_path):
        return []
    problem = schedule_problem(ledger.schedule, cron_only=True)
    if problem is None:
        return []
    return [ConfigError(problem, file=origin, key="ledger.schedule",
                        line=load_yaml(origin).line_of(("schedule",)))]


def check_channel_roles(hub: HubFile, plans: Mapping[str, ConnectionView],
                        ledger_channels: Collection[str]) -> list[tuple[KeyPath, str]]:
    """(key path, warning) for each channel that no stock, sink or ledger section names.

    Its records are stored, but no stock is kept in step with it, nothing is delivered from
    or to it and its money is not booked: most often a section forgotten, not a choice.
    ``ledger_channels`` are the resolved ledger's (the hub file's and the ledger files').
    """
    used = set(ledger_channels)
    if hub.stock is not None:
        used |= set(hub.stock.channels) | set(hub.stock.masters)
    for sink, routes in hub.sinks.items():
        used.add(sink)
        for route in routes.values():
            used.update(route_sources(route, sink, plans))
    return [(("connections", name),
             f"connection {name!r} has the channel role but is in none of stock:, sinks: or "
             "ledger:; its records are stored, but neither stock-synced, delivered nor booked")
            for name, cfg in hub.connections.items()
            if "channel" in cfg.roles and name not in used]
