"""What the hub's DAG files share: Airflow's side of a job (Connections, hub file, dates).

Every DAG module takes its public names from here; the jobs in :mod:`synchub.jobs` take
:func:`airflow_connection` as their connection resolver.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from airflow.sdk import Asset

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from synchub.runtime import ConnectionInfo

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_DATE = datetime(2025, 1, 1, tzinfo=UTC)


def hub_path() -> Path:
    """``$SYNCHUB_HUB``, else the project's ``hub.yaml``."""
    return Path(os.environ.get("SYNCHUB_HUB") or PROJECT_ROOT / "hub.yaml")


def airflow_connection(conn_id: str) -> ConnectionInfo:
    """The ConnectionResolver inside tasks: Airflow's Connection (and secrets backends)."""
    from airflow.sdk import Connection

    return masked_connection_info(Connection.get(conn_id))


def masked_connection_info(conn: Connection) -> ConnectionInfo:
    """A Connection's fields, with every secret among them registered with Airflow's masker.

    Airflow masks a Connection's password and the extras it deems sensitive by itself; the
    hub adds what only it knows to be secret: credentials written into the host
    (``https://user:pass@shop``) and every extra whose name looks like a secret, at any
    depth (:meth:`~synchub.runtime.ConnectionInfo.secret_values`).
    """
    from airflow.sdk.log import mask_secret

    from synchub.jobs.connections import connection_info

    info = connection_info(conn)
    for value in info.secret_values():
        mask_secret(value)
    return info


def entity_asset(entity: str) -> Asset:
    """The Asset a stream updates when it changed records of ``entity``."""
    plural = (entity if entity.endswith("s") else
              f"{entity[:-1]}ies" if entity.endswith("y") else f"{entity}s")
    return Asset(f"synchub://canonical/{plural}", group="synchub")


def inbox_asset(connection: str) -> Asset:
    """The Asset the webhook endpoint updates when it stored an event of ``connection``."""
    return Asset(f"synchub://inbox/{connection}", group="synchub")
