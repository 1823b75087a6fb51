# The hub's image: the official Airflow image of the Airflow version uv.lock pins, with the
# project installed from uv.lock by uv. docker-compose.yml runs every service from it; no
# code is mounted. A test keeps AIRFLOW_VERSION equal to the lock's apache-airflow.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# The image runs as `airflow` (uid 50000) or, as Airflow's docs recommend, as any
# AIRFLOW_UID in group 0: the folders the hub writes (var/ for exports and settlement
# files, the login's password file) are group-0 writable; a new named volume mounted on
# them takes their owner and mode.
USER root
RUN install -d -o airflow -g 0 -m 0775 /opt/synchub /opt/synchub/var /opt/airflow/auth
USER airflow
WORKDIR /opt/synchub

# the locked dependencies first: this layer is rebuilt only when the lock changes
COPY --chown=airflow:0 pyproject.toml uv.lock README.md /opt/synchub/
RUN pip install --no-cache-dir "uv==0.13.10" \
 && uv export --locked --no-dev --extra airflow --no-emit-project --format requirements-txt \
        --output-file /tmp/requirements.txt \
 && uv pip install --no-cache -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# then the project: engine, DAGs, plugin, connectors, mappings and the hub file
COPY --chown=airflow:0 synchub /opt/synchub/synchub
COPY --chown=airflow:0 dags /opt/synchub/dags
COPY --chown=airflow:0 plugins /opt/synchub/plugins
COPY --chown=airflow:0 connectors /opt/synchub/connectors
COPY --chown=airflow:0 mappings /opt/synchub/mappings
COPY --chown=airflow:0 schemas /opt/synchub/schemas
COPY --chown=airflow:0 hub.yaml /opt/synchub/hub.yaml
RUN uv pip install --no-cache --no-deps --editable /opt/synchub

ENV SYNCHUB_HUB=/opt/synchub/hub.yaml \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/synchub/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/synchub/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
