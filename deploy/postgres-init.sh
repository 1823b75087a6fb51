#!/bin/bash
# Run by the postgres image on a new data volume (docker-entrypoint-initdb.d): creates
# Airflow's and the hub's databases and users (postgres-init.sql) with the passwords from
# the environment (.env). A server that already has data skips it: see docs/deploy.md to
# change a password later.
set -euo pipefail
: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD is not set}"
: "${SYNCHUB_DB_PASSWORD:?SYNCHUB_DB_PASSWORD is not set}"
psql --username "$POSTGRES_USER" --dbname postgres --no-psqlrc \
    -v airflow_user=airflow -v airflow_db=airflow -v airflow_password="$AIRFLOW_DB_PASSWORD" \
    -v synchub_user=synchub -v synchub_db=synchub -v synchub_password="$SYNCHUB_DB_PASSWORD" \
    -f /opt/deploy/postgres-init.sql
