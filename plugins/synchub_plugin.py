"""Registers the hub's status API with Airflow under /synchub."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.plugins_manager import AirflowPlugin

from synchub.api.app import create_app
from synchub.api.webhooks import webhooks_router

if TYPE_CHECKING:
    from synchub.runtime import ConnectionInfo


def emit_inbox_event(connection: str) -> None:
    """Record the Asset event ``synchub://inbox/<connection>``: the sync DAG processes it.

    Called after the webhook is committed; any failure is logged by the receiver and the
    event waits for the next one or for the DAG's schedule.
    """
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from synchub.inbox import inbox_asset_uri

    uri = inbox_asset_uri(connection)
    with create_session() as session:
        model = session.scalar(select(AssetModel).where(AssetModel.uri == uri).limit(1))
        if model is None:  # no DAG listens yet (webhooks off, or DAGs not parsed)
            return
        asset_manager.register_asset_change(asset=model, extra={"connection": connection},
                                            source_is_api=True, session=session)


def webhook_connection(conn_id: str) -> ConnectionInfo:
    """The webhook route's resolver: Airflow's Connection (API server side), else the env."""
    from synchub.jobs.connections import connection_info, env_connection

    try:
        from airflow.models.connection import Connection

        ac = Connection.get_connection_from_secrets(conn_id)
    except Exception:  # not defined in Airflow: the environment may still have it
        return env_connection(conn_id)
    return connection_info(ac)


class SynchubPlugin(AirflowPlugin):
    """The hub's API (runs, dead letters) beside the Airflow UI."""

    name = "synchub"
    fastapi_apps = [{
        "app": create_app(webhook_router=webhooks_router(on_stored=emit_inbox_event,
                                                         resolve=webhook_connection)),
        "url_prefix": "/synchub", "name": "synchub"}]
