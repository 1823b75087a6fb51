"""Where a job reads a system's credentials: a resolver from conn id to ConnectionInfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from synchub.runtime import ConnectionInfo

if TYPE_CHECKING:
    from synchub.plan import Hub

ConnectionResolver = Callable[[str], ConnectionInfo]
"""``resolve(conn_id)``: the Connection's fields (Airflow's inside Airflow)."""


class ConnectionFields(Protocol):
    """What an Airflow Connection object offers (task SDK or models), read by name."""

    conn_id: str
    conn_type: str | None
    host: str | None
    login: str | None
    password: str | None
    port: int | None
    schema: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]:
        """The ``extra`` JSON as a dict."""


def connection_info(conn: ConnectionFields) -> ConnectionInfo:
    """The ConnectionInfo of an Airflow Connection object (the one place fields are copied)."""
    return ConnectionInfo(conn_id=conn.conn_id, conn_type=conn.conn_type, host=conn.host,
                          login=conn.login, password=conn.password, port=conn.port,
                          schema=conn.schema, extra=dict(conn.extra_dejson or {}))


def env_connection(conn_id: str) -> ConnectionInfo:
    """The resolver outside Airflow: ``AIRFLOW_CONN_<CONN_ID>`` (JSON or URI form)."""
    return ConnectionInfo.from_env(conn_id)


def by_connection(hub: Hub, resolve: ConnectionResolver) -> Callable[[str], ConnectionInfo]:
    """A lookup by hub connection name (what the engine asks for) through its conn id."""

    def info(connection: str) -> ConnectionInfo:
        return resolve(hub.connection(connection).config.conn_id)

    return info
