"""The deployment's files: deploy/init-env, deploy/postgres-init.sql and the Dockerfile.

- init-env generates every secret the Compose file requires (a valid Fernet key, long
  random secrets, URL-safe passwords), prints the admin password and the API token once,
  keeps only the token's SHA-256, and never overwrites a value on a second run.
- postgres-init.sql, run on the real PostgreSQL server, gives each database its own owner
  and nothing more.
- The Dockerfile builds on the official image of the locked Airflow version and installs
  the project from uv.lock.
"""

from __future__ import annotations

import hashlib
import re
import stat
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL, require_pg

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy/init-env"
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def init_env(env_file: Path, *flags: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--env-file", str(env_file), *flags],
                          capture_output=True, text=True, check=True)
    return proc.stdout


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name] = value[1:-1] if value[:1] == "'" else value
    return out


def shown(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\w+)=(\S+)\s+\(shown once", stdout, re.M))


# --- init-env ---------------------------------------------------------------------------

def test_init_env_generates_every_required_secret(tmp_path: Path) -> None:
    fernet = pytest.importorskip("cryptography.fernet")
    env_file = tmp_path / ".env"

    out = init_env(env_file, "--demo")

    env = read_env(env_file)
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert {k for k in required if not env.get(k)} == set()
    fernet.Fernet(env["AIRFLOW_FERNET_KEY"].encode())  # raises unless 32 url-safe b64 bytes
    for name in ("AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY"):
        assert len(env[name]) >= 64 and URL_SAFE.match(env[name]), name
    for name in ("POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "SYNCHUB_DB_PASSWORD",
                 "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD"):
        # URL-safe: they go into database and broker URLs as they are
        assert len(env[name]) >= 32 and URL_SAFE.match(env[name]), name
    secrets = [env[k] for k in env if re.search("PASSWORD|SECRET|KEY", k)]
    assert len(set(secrets)) == len(secrets)
    assert env["AIRFLOW_UID"].isdigit() and env["AIRFLOW_UID"] != "0"
    assert env["COMPOSE_PROFILES"] == "demo"
    once = shown(out)
    assert once["AIRFLOW_ADMIN_PASSWORD"] == env["AIRFLOW_ADMIN_PASSWORD"]
    token = once["SYNCHUB_API_TOKEN"]
    assert hashlib.sha256(token.encode()).hexdigest() == env["SYNCHUB_API_TOKEN_SHA256"]
    assert token not in env_file.read_text()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_a_second_run_overwrites_nothing_and_shows_nothing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    init_env(env_file, "--demo")
    before = env_file.read_bytes()

    out = init_env(env_file, "--demo")

    assert env_file.read_bytes() == before
    assert "nothing changed" in out and shown(out) == {}


def test_a_run_only_adds_what_is_missing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AIRFLOW_JWT_SECRET=mine\nPOSTGRES_PASSWORD=\n")
    env_file.chmod(0o644)

    out = init_env(env_file)

    env = read_env(env_file)
    assert env["AIRFLOW_JWT_SECRET"] == "mine"
    assert len(env["POSTGRES_PASSWORD"]) >= 32          # the empty line filled in place
    assert env_file.read_text().count("POSTGRES_PASSWORD=") == 1
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # production: the Connections are the operator's to give; compose refuses until then
    assert env["AIRFLOW_CONN_SHOPIFY_DEMO"] == ""
    assert "still empty" in out and "AIRFLOW_CONN_SHOPIFY_DEMO" in out
    assert "COMPOSE_PROFILES" not in env


def test_a_copied_example_is_completed_in_place(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())

    init_env(env_file, "--demo")

    env = read_env(env_file)
    assert env["AIRFLOW_FERNET_KEY"] and env["COMPOSE_PROFILES"] == "demo"
    names = [ln.partition("=")[0] for ln in env_file.read_text().splitlines()
             if ln and not ln.startswith("#")]
    assert len(names) == len(set(names))


# --- postgres-init.sql on the real server ----------------------------------------------

@pytest.fixture
def pg_roles() -> Iterator[dict[str, str]]:
    """Unique role and database names on the test server; dropped afterwards."""
    require_pg()
    tag = uuid.uuid4().hex[:8]
    names = {"airflow_user": f"af_{tag}", "airflow_db": f"afdb_{tag}",
             "synchub_user": f"hub_{tag}", "synchub_db": f"hubdb_{tag}"}
    yield names
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for key in ("airflow_db", "synchub_db"):
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{names[key]}" WITH (FORCE)'))
        for key in ("airflow_user", "synchub_user"):
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{names[key]}"'))
    admin.dispose()


def _connect(url: sa.engine.URL, user: str, database: str) -> sa.engine.Connection:
    engine = sa.create_engine(url.set(username=user, database=database, password=None),
                              poolclass=sa.pool.NullPool)
    return engine.connect()


def test_each_database_has_its_own_owner_and_nothing_more(pg_roles: dict[str, str]) -> None:
    url = sa.engine.make_url(PG_URL)
    psql = ["psql", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
            "-U", url.username or "postgres", "-d", url.database or "postgres", "--no-psqlrc",
            "-q", "-v", "airflow_password=pw-a", "-v", "synchub_password=pw-h"]
    for key, value in pg_roles.items():
        psql += ["-v", f"{key}={value}"]
    proc = subprocess.run([*psql, "-f", str(ROOT / "deploy/postgres-init.sql")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr

    hub, airflow = pg_roles["synchub_user"], pg_roles["airflow_user"]
    with _connect(url, hub, pg_roles["synchub_db"]) as conn:     # owns its database
        conn.execute(sa.text("CREATE TABLE t (id int)"))
        conn.execute(sa.text("DROP TABLE t"))
        flags = conn.execute(sa.text("SELECT rolsuper, rolcreatedb, rolcreaterole FROM "
                                     "pg_roles WHERE rolname = current_user")).one()
        assert tuple(flags) == (False, False, False)
    with _connect(url, airflow, pg_roles["airflow_db"]) as conn:
        conn.execute(sa.text("CREATE TABLE t (id int)"))
    for user, database in ((hub, pg_roles["airflow_db"]), (airflow, pg_roles["synchub_db"])):
        with pytest.raises(sa.exc.OperationalError, match="permission denied for database"):
            _connect(url, user, database)


# --- the image ---------------------------------------------------------------------------

def dockerfile_args() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.M))


def test_the_image_is_airflows_of_the_locked_version() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = next(p["version"] for p in lock["package"] if p["name"] == "apache-airflow")
    args = dockerfile_args()
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in text
    assert args["AIRFLOW_VERSION"] == locked
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = re.findall(r"3\.(\d+)", requires)
    assert int(low) <= int(args["PYTHON_VERSION"].split(".")[1]) < int(high)


def test_the_image_installs_the_project_from_the_lock_and_holds_no_secret() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "uv export --locked" in text and "--extra airflow" in text
    assert re.search(r"uv pip install .*--editable /opt/synchub", text)
    for folder in ("synchub", "dags", "plugins", "connectors", "mappings"):
        assert f"COPY --chown=airflow:0 {folder} /opt/synchub/{folder}" in text
    assert not re.search(r"^(ENV|ARG)\s.*(PASSWORD|SECRET|TOKEN|FERNET|JWT)", text, re.M | re.I)
    assert not re.search(r"^COPY\s.*\.env\b", text, re.M)
    assert re.findall(r"^USER (\w+)", text, re.M)[-1] == "airflow"
