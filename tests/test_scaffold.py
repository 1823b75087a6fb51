"""``synchub.scaffold``: a new system's files, written into a copy of the project, pass their
own contract test; the simulator is registered once, in sorted order; nothing that exists is
ever overwritten.

The generated contract test runs in a fresh interpreter whose ``PYTHONPATH`` puts the copy
first, so ``synchub`` (and with it the new simulator) is imported from the copy, not from
the worktree the tests run in.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synchub.errors import ConfigError
from synchub.mapping import MappingContext, load_mapping
from synchub.scaffold import entry_point_line, files, main_hint, new_system, with_simulator

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {
    "connectors/acme_shop/connector.yaml", "mappings/acme_shop/orders.yaml",
    "synchub/systems/acme_shop/__init__.py", "synchub/sandbox/acme_shop/__init__.py",
    "synchub/sandbox/acme_shop/store.py", "synchub/sandbox/acme_shop/system.py",
    "tests/systems/acme_shop/__init__.py", "tests/systems/acme_shop/test_contract.py",
    "docs/systems/acme_shop.md",
}


def project_copy(target: Path, *, whole: bool = True) -> Path:
    """The parts of the project a system's contract test needs (compiled modules too)."""
    if whole:
        shutil.copytree(ROOT / "synchub", target / "synchub")
        shutil.copytree(ROOT / "mappings", target / "mappings")
    else:
        (target / "synchub" / "sandbox").mkdir(parents=True)
        shutil.copy(ROOT / "synchub" / "sandbox" / "sandbox.py",
                    target / "synchub" / "sandbox" / "sandbox.py")
    shutil.copytree(ROOT / "connectors", target / "connectors")
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    (target / "tests" / "systems").mkdir(parents=True)
    for rel in ("tests/__init__.py", "tests/conftest.py", "tests/systems/__init__.py"):
        shutil.copy(ROOT / rel, target / rel)
    return target


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_a_new_system_passes_its_contract_test_and_is_never_overwritten(
        tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project")
    # as a user would: the command line, run in the project folder
    made = run(["-m", "synchub.cli", "new-system", "acme_shop", "--title", "ACME Shop"], root)
    assert made.returncode == 0, made.stdout + made.stderr
    listed = [ln.strip() for ln in made.stdout.split("\nNext:")[0].splitlines()[1:]]
    assert set(listed) == GENERATED | {"synchub/sandbox/sandbox.py"}
    assert listed[-1] == "synchub/sandbox/sandbox.py"
    assert "tests/systems/acme_shop/test_contract.py" in made.stdout.split("Next:")[1]
    assert "title: \"ACME Shop\"" in (root / "connectors/acme_shop/connector.yaml").read_text()

    found = run(["-c", "import synchub; print(synchub.__file__)"], root)
    assert found.stdout.strip() == str(root / "synchub" / "__init__.py"), found.stderr
    test = run(["-m", "pytest", "-q", "-p", "no:cacheprovider",
                "tests/systems/acme_shop/test_contract.py"], root)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    assert "1 passed" in test.stdout

    # a second run writes nothing and names everything in the way
    before = snapshot(root)
    with pytest.raises(ConfigError) as err:
        new_system("acme_shop", root)
    message = str(err.value)
    assert "nothing was written" in message
    for rel in ("connectors/acme_shop", "mappings/acme_shop/orders.yaml",
                "synchub/sandbox/acme_shop/store.py", "tests/systems/acme_shop",
                "docs/systems/acme_shop.md"):
        assert rel in message
    assert snapshot(root) == before


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mapping_skeleton_maps_every_simulated_order_and_they_reconcile(
        tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project", whole=False)
    new_system("acme_shop", root)
    store_module = _load(root / "synchub/sandbox/acme_shop/store.py", "scaffolded_acme_store")
    account = store_module.AcmeShopStore(7, "demo", orders=40, customers=10, products=5)
    account.mutate(orders_created=2, orders_updated=2)
    mapping = load_mapping(root / "mappings/acme_shop/orders.yaml")
    ctx = MappingContext(connection="acme_main", system="acme_shop", values={})
    docs = [rec.to_json_dict() for order in account.records.values()
            for rec in mapping.apply({k: v for k, v in order.items() if k[0] != "_"}, ctx)]
    assert len(docs) == 42
    assert [d["warnings"] for d in docs] == [[]] * 42       # totals and subtotals add up
    assert {d["status"] for d in docs} <= {"open", "completed", "cancelled"}
    assert all(d["lines"] and d["customer"]["email"] for d in docs)


@pytest.mark.parametrize("name", ["acme_shop", "zeta", "kit_b"])
def test_generated_python_is_lint_clean_wherever_the_name_sorts(tmp_path: Path,
                                                                name: str) -> None:
    root = project_copy(tmp_path / "project")   # the linter sorts imports by what exists
    written = new_system(name, root)
    python = [str(p) for p in written if p.suffix == ".py"]
    lint = run(["-m", "ruff", "check", "--no-cache", *python], root)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    table = ast.parse((root / "synchub/sandbox/sandbox.py").read_text())
    simulated = next(n for n in table.body if isinstance(n, ast.AnnAssign)
                     and ast.unparse(n.target) == "SIMULATED")
    assert ast.unparse(simulated.value).count(name.upper()) == 1


def test_registering_the_simulator_is_idempotent_and_refuses_odd_layouts() -> None:
    text = (ROOT / "synchub/sandbox/sandbox.py").read_text()
    once = with_simulator(text, "acme")
    assert once is not None and once != text
    assert with_simulator(once, "acme") == once
    added = set(once.splitlines()) - set(text.splitlines())
    assert added == {"from synchub.sandbox.acme.system import SYSTEM as ACME", "    ACME,"}
    one_line = "from synchub.sandbox.dhl.system import SYSTEM as DHL\nSIMULATED = (DHL,)\n"
    assert with_simulator(one_line, "acme") is None
    taken = "from synchub.sandbox.dhl.system import SYSTEM as ACME\nSIMULATED = (\n    ACME2,\n)\n"
    assert with_simulator(taken, "acme") is None
    assert with_simulator("SIMULATED = (\n    X,\n)\n", "acme") is None    # no imports


def test_the_hint_gives_the_lines_left_to_add(tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project", whole=False)
    new_system("acme_shop", root)
    hint = main_hint("acme_shop", root)
    assert "Register the simulator" not in hint
    assert entry_point_line("acme_shop") == 'acme_shop = "synchub.systems.acme_shop:register"'
    assert entry_point_line("acme_shop") in hint
    assert "tests/systems/acme_shop/test_contract.py" in hint

    # a SIMULATED table laid out otherwise is left alone; the hint says what to add
    odd = project_copy(tmp_path / "odd", whole=False)
    table = odd / "synchub/sandbox/sandbox.py"
    text = table.read_text()
    end = text.index("\n)", text.index("SIMULATED"))     # close the tuple on its last line
    table.write_text(text[:end] + ")" + text[end + 2:])
    before = table.read_text()
    written = new_system("acme_shop", odd)
    assert table not in written and table.read_text() == before
    assert "from synchub.sandbox.acme_shop.system import SYSTEM as ACME_SHOP" in main_hint(
        "acme_shop", odd)


@pytest.mark.parametrize(("name", "title", "message"), [
    ("Acme", None, "must match"), ("1acme", None, "must match"), ("acme-shop", None, "must match"),
    ("class", None, "not a Python keyword"), ("a" * 41, None, "at most 40"),
    ("acme", 'ACME "Shop"', "without quotes"), ("acme", "  ", "one line"),
])
def test_names_and_titles_are_checked(name: str, title: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        files(name, title)


@pytest.mark.parametrize("name", ["kit", "cli", "dhl", "sandbox"])
def test_a_name_taken_by_a_module_or_system_is_refused(tmp_path: Path, name: str) -> None:
    root = tmp_path / "project"
    for rel in ("synchub/sandbox/kit/__init__.py", "synchub/sandbox/cli.py",
                "connectors/dhl/connector.yaml", "synchub/sandbox/sandbox.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    with pytest.raises(ConfigError, match="exists already; nothing was written"):
        new_system(name, root)
    assert not (root / "mappings").exists()


def test_a_folder_that_is_not_the_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a synchub source tree"):
        new_system("acme", tmp_path)
    assert list(tmp_path.iterdir()) == []
