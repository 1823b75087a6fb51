"""docker-compose.yml is a valid Compose file (checked offline with the real Compose binary)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import compose
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BINARY = Path(compose.__file__).parent / "docker-compose"


def test_compose_file_is_valid() -> None:
    proc = subprocess.run([str(BINARY), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_compose_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  web:\n    image: x\n    ports: 12\n")
    proc = subprocess.run([str(BINARY), "-f", str(bad), "config", "-q"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0


@pytest.mark.parametrize("service", ["postgres", "redis", "airflow-apiserver", "airflow-scheduler",
                                     "airflow-dag-processor", "airflow-triggerer",
                                     "airflow-worker", "sandbox"])
def test_production_shape_has_service(service: str) -> None:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert service in doc["services"]
    if service.startswith("airflow-"):
        env = doc["services"][service]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert "/opt/synchub" in doc["services"][service]["volumes"][0]


def test_the_init_step_upgrades_the_hub_store_before_any_task_runs() -> None:
    """Tasks only check the store's revision: the deploy migrates it once, here."""
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    steps = [s.strip() for s in " ".join(doc["services"]["airflow-init"]["command"]).split("&&")]
    assert "synchub db upgrade --config /opt/synchub/hub.yaml" in steps
    for service in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor"):
        assert doc["services"][service]["depends_on"]["airflow-init"] == {
            "condition": "service_completed_successfully"}
