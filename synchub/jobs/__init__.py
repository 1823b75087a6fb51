"""Jobs: one function per Airflow task, called by the DAG tasks and by the command line.

A job is the glue around one engine call: load the hub, open the store (checked to be at
the migrations' head), call the engine, dispose. It takes plain arguments and, where it
reads a system's credentials, a :data:`~synchub.jobs.connections.ConnectionResolver`
(Airflow Connections inside Airflow, ``AIRFLOW_CONN_<ID>`` on the command line); it
returns the small summary the task hands to XCom. Nothing here imports Airflow.

- :mod:`synchub.jobs.sync`: a stream, a connection's streams, the webhook inbox.
- :mod:`synchub.jobs.stock`: prepare, one shard, the report.
- :mod:`synchub.jobs.push`: route, drain (or both), replay.
- :mod:`synchub.jobs.feeds`: a consumer's export files.
- :mod:`synchub.jobs.ledger`: build, settle, reconcile.
"""
