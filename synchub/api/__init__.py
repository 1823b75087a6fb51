"""HTTP API of the hub, served by the Airflow plugin under ``/synchub``."""
