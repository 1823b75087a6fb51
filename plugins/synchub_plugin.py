"""Registers the hub's status API with Airflow under /synchub."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from synchub.api.app import create_app


class SynchubPlugin(AirflowPlugin):
    """The hub's API (runs, dead letters) beside the Airflow UI."""

    name = "synchub"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/synchub", "name": "synchub"}]
