"""Schedules are checked by `synchub validate` with Airflow's own rules, before any DAG parses.

Airflow turns a schedule string into a timetable: ``@once`` / ``@continuous`` are their own
timetables, anything else is one of its cron presets or a cron expression parsed by croniter.
The hub applies the same rules without Airflow installed; the differential test below runs
both on one table when Airflow is there.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from synchub.cli import main

ROOT = Path(__file__).resolve().parents[2]

BAD = [
    # (schedule, what the message must say)
    ("every hour", r"2 fields; a cron expression has 5"),
    ("61 * * * *", r"minute '61' is out of range \(0-59\)"),
    ("*/15 * * *", r"4 fields; a cron expression has 5"),
    ("@hourlyy", r"unknown preset '@hourlyy' \(did you mean '@hourly'\?\)"),
    ("30 16 * * 1-8", r"day of week '1-8' is out of range \(0-7"),
    ("0 24 * * *", r"hour '24' is out of range \(0-23\)"),
    ("0 0 0 * *", r"day of month '0' is out of range \(1-31\)"),
    ("0 0 * 13 *", r"month '13' is out of range \(1-12"),
    ("*/0 * * * *", r"minute '\*/0'"),
    ("H * * * *", r"minute 'H'"),
    ("", r"empty; write null for no schedule"),
    ("None", r"write null \(without quotes\) for no schedule"),
]
GOOD = ["@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "*/15 * * * *",
        "0 2 * * 1-5", "30 16 * * 1-5", "0 */3 * * *", "0 6 * * *", "0 0 1 */3 *",
        "0 0 * * mon-fri", "15 8 1,15 * *", "0 0 * * 7", "0 0 L * *"]


@pytest.mark.parametrize(("value", "reason"), BAD, ids=[v or "empty" for v, _ in BAD])
def test_a_bad_schedule_is_refused_with_its_reason(value: str, reason: str) -> None:
    from synchub.config.schedules import schedule_problem

    problem = schedule_problem(value)
    assert problem is not None
    assert re.search(reason, problem), problem


@pytest.mark.parametrize("value", GOOD)
def test_a_good_schedule_passes(value: str) -> None:
    from synchub.config.schedules import schedule_problem

    assert schedule_problem(value) is None
    assert schedule_problem(value, cron_only=True) is None


@pytest.mark.parametrize("value", ["@once", "@continuous"])
def test_dag_only_presets_are_refused_where_the_schedule_becomes_a_cron(value: str) -> None:
    from synchub.config.schedules import schedule_problem

    assert schedule_problem(value) is None
    problem = schedule_problem(value, cron_only=True)
    assert problem is not None and "cron" in problem


# --- the same verdicts as Airflow ---------------------------------------------------------

TABLE = [v for v, _ in BAD] + GOOD + ["@midnight", "@annually", "@reboot", "0 0 * * * *",
                                      "1-70/5 * * * *", "a b c d e", "0 0 * * 5#3"]


@pytest.mark.parametrize("value", TABLE, ids=[v or "empty" for v in TABLE])
def test_the_verdict_is_airflows(value: str) -> None:
    pytest.importorskip("airflow")
    from airflow.exceptions import AirflowTimetableInvalid
    from airflow.timetables.trigger import CronTriggerTimetable

    from synchub.config.schedules import schedule_problem

    try:
        CronTriggerTimetable(value, timezone="UTC").validate()
        airflow_accepts = True
    except AirflowTimetableInvalid:
        airflow_accepts = False
    assert (schedule_problem(value, cron_only=True) is None) == airflow_accepts


def test_the_presets_are_airflows() -> None:
    pytest.importorskip("airflow")
    from airflow.utils.dates import cron_presets

    from synchub.config.schedules import CRON_PRESETS

    assert cron_presets == CRON_PRESETS


# --- through `synchub validate`: file, line, key and reason of every bad schedule ---------

def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "connectors", tmp_path / "connectors")
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    return tmp_path / "hub.yaml"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_validate_reports_every_bad_schedule_with_file_line_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = project_copy(tmp_path)
    text = (ROOT / "hub.yaml").read_text()
    edits = [
        ('  schedule: "@hourly"\n', '  schedule: "every hour"\n', "defaults.schedule"),
        ('    schedule: "*/15 * * * *"\n    streams: [orders, customers',
         '    schedule: "61 * * * *"\n    streams: [orders, customers',
         "connections.shopify_demo.schedule"),
        ('  schedule: "*/30 * * * *"', '  schedule: "*/15 * * *"', "stock.schedule"),
        ('  schedule: "@daily"\n  channels:', '  schedule: "@hourlyy"\n  channels:',
         "ledger.schedule"),
        ('"30 16 * * 1-5"', '"30 16 * * 1-8"', "connections.ecb_rates.schedule"),
        ("      export: {to: var/exports/bi, formats: [jsonl, csv]}\n",
         "      export: {to: var/exports/bi, formats: [jsonl, csv]}\n      schedule: '@once'\n",
         "feeds.consumers.bi.schedule"),
    ]
    for old, new, _ in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    hub.write_text(text)
    expected = [(line_of(text, next(x for x in new.splitlines() if "schedule" in x or
                                    "1-8" in x)), key) for _, new, key in edits]

    code = main(["validate", "--config", str(hub)])

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2
    for line, key in expected:
        assert any(f"hub.yaml:{line}: {key}: " in e for e in errors), (line, key, errors)
    assert len(errors) == len(edits), errors


def test_a_schedule_in_a_ledger_file_is_checked_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = project_copy(tmp_path)
    hub.write_text((ROOT / "hub.yaml").read_text().replace(
        '  schedule: "@daily"\n  channels:', "  channels:"))
    chart = tmp_path / "mappings/ledger/chart.yaml"
    chart.write_text("schedule: '0 25 * * *'\n" + chart.read_text())

    code = main(["validate", "--config", str(hub)])

    err = capsys.readouterr().err
    assert code == 2
    assert re.search(r"chart\.yaml:1: ledger\.schedule: .*hour '25' is out of range", err), err


def test_the_project_hub_and_dag_only_presets_on_a_connection_validate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub = project_copy(tmp_path)
    hub.write_text((ROOT / "hub.yaml").read_text().replace('"0 */3 * * *"', '"@once"'))

    assert main(["validate", "--config", str(hub)]) == 0, capsys.readouterr().err
