# Image for the production-shaped stack in docker-compose.yml: Airflow 3.3 plus the hub,
# installed from the lock file (no constraints URL needed).
FROM apache/airflow:3.3.2-python3.11

USER root
COPY --chown=airflow:root pyproject.toml uv.lock README.md /opt/synchub/
COPY --chown=airflow:root synchub /opt/synchub/synchub
USER airflow
WORKDIR /opt/synchub
RUN pip install --no-cache-dir uv \
 && uv export --locked --no-dev --extra airflow --no-emit-project -o /tmp/requirements.txt \
 && uv pip install --system --no-cache -r /tmp/requirements.txt \
 && uv pip install --system --no-cache --no-deps -e /opt/synchub
