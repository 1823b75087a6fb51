"""The hub's Airflow DAGs: ``sync__<connection>`` for every connection in hub.yaml."""

from synchub_factory import build_dags

globals().update(build_dags())
