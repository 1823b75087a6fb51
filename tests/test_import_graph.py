"""The shape of the code, read from its syntax trees.

- ``synchub.cli`` and ``synchub.jobs``: no module imports one that imports it back (directly
  or through others), counting imports inside functions; ``cli.common`` imports no command.
- ``dags/``: the DAG files take only public names from each other, and build no
  ConnectionInfo themselves (one conversion, in ``synchub.jobs.connections``).
- ``synchub/``: nothing imports Airflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.importgraph import ROOT, cycles, import_graph, imported, package_modules


@pytest.mark.parametrize("package", ["synchub.cli", "synchub.jobs"])
def test_no_module_imports_one_that_imports_it_back(package: str) -> None:
    assert cycles(import_graph(package, type_checking=True)) == []


def test_cli_common_imports_no_command_module() -> None:
    modules = package_modules("synchub.cli")
    assert {m for m in imported(modules["synchub.cli.common"], set(modules))
            if m.startswith("synchub.cli")} == set()


def test_the_check_counts_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f() -> None:\n    from synchub.cli import run\n")
    assert imported(probe, {"synchub.cli.run"}) == {"synchub.cli.run"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
DAG_MODULES = {p.stem for p in DAG_FILES}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_take_only_public_names_from_each_other(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    bound: set[str] = set()
    private: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in DAG_MODULES:
            private += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            bound.update(a.asname or a.name for a in node.names if a.name in DAG_MODULES)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and node.attr.startswith("_")):
            private.append(f"{node.value.id}.{node.attr}")
    assert private == []


@pytest.mark.parametrize("path", [*DAG_FILES, *sorted((ROOT / "plugins").glob("*.py"))],
                         ids=lambda p: p.name)
def test_dags_and_plugins_build_no_connection_info_themselves(path: Path) -> None:
    calls = [n for n in ast.walk(ast.parse(path.read_text(), str(path)))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)
             and getattr(n.func, "id", getattr(n.func, "attr", "")) == "ConnectionInfo"]
    assert calls == []


def test_the_engine_never_imports_airflow() -> None:
    modules = package_modules("synchub")
    offenders = sorted(name for name, path in modules.items()
                       if any(m == "airflow" or m.startswith("airflow.")
                              for m in imported(path, set(modules))))
    assert offenders == []
