"""The shape of the engine: no import cycles, no vendor in the generic layers, one registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from synchub.registry import KINDS, REGISTRY, Registry
from tests.importgraph import cycles, import_graph, imported, type_checking_nodes

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "synchub"
SYSTEMS = ("shopify", "woocommerce", "woo", "odoo", "hubspot", "dhl", "aftership",
           "squarespace", "amazon", "ebay", "taobao", "tmall", "jd", "jingdong", "pdd",
           "pinduoduo", "youzan", "weimob", "sf_express", "sfexpress", "udesk", "weidian",
           "vdian", "erpnext", "frappe", "salesforce", "ecshop", "ecs", "ups", "fedex",
           "magento")
GENERIC_LAYERS = ("runtime", "delivery", "stock", "mapping", "config", "pipeline", "plan",
                  "store", "inbox", "ledger", "couriers", "api")


def test_the_cycle_finder_finds_a_deferred_import_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_an_import_inside_a_function_counts_and_type_checking_does_not(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nif TYPE_CHECKING:\n    from synchub import plan\n"
                     "def f():\n    from synchub import store\n")
    tree = ast.parse(probe.read_text())
    skip = type_checking_nodes(tree)
    seen = [ast.unparse(n) for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and id(n) not in skip]
    assert seen == ["from synchub import store"]
    known = {"synchub.plan", "synchub.store"}
    assert imported(probe, known, type_checking=False) == {"os", "synchub.store"}
    assert imported(probe, known) == {"os", "synchub.plan", "synchub.store"}


def test_no_import_cycle_among_synchub_modules() -> None:
    found = cycles(import_graph("synchub", type_checking=False))
    assert found == [], "import cycles (a deferred import that closes a loop is still one):\n" \
        + "\n".join(" <-> ".join(c) for c in found)


def _code_words(path: Path) -> list[tuple[int, str]]:
    """Identifiers and string constants of a module, docstrings and comments left out."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.alias):
            out.append((getattr(node, "lineno", 0), node.name))
    return out


@pytest.mark.parametrize("layer", GENERIC_LAYERS)
def test_no_vendor_is_named_in_the_generic_layers(layer: str) -> None:
    vendor = re.compile(rf"(?i)(?<![a-z])({'|'.join(SYSTEMS)})(?![a-z])")
    found = [f"{path.relative_to(ROOT)}:{line}: {word!r}"
             for path in sorted((PACKAGE / layer).rglob("*.py"))
             for line, word in _code_words(path) if vendor.search(word)]
    assert found == [], "vendor code belongs in synchub/systems/<system>/:\n" + "\n".join(found)


def test_every_bundled_system_registers_through_its_entry_point() -> None:
    assert {e.kind for e in REGISTRY.entries()} <= set(KINDS)
    assert {e.package for e in REGISTRY.entries()} == {"synchub"}
    by_module = {e.where.split(":")[0].split(".")[2] for e in REGISTRY.entries()
                 if e.where.startswith("synchub.systems.")}
    packages = {p.name for p in (PACKAGE / "systems").iterdir() if (p / "__init__.py").is_file()}
    assert by_module == packages, (
        f"systems packages that register nothing: {sorted(packages - by_module)} (fill "
        "register() and add the entry point, or delete the package: a YAML-only system "
        f"needs none); registered from no package: {sorted(by_module - packages)}")
    assert REGISTRY.load_errors == []


def test_every_registered_target_imports() -> None:
    for entry in REGISTRY.entries():
        assert REGISTRY.get(entry.kind, entry.name) is not None, entry
        for slot in entry.specs:
            REGISTRY.spec(entry.kind, entry.name, slot)


def test_registry_names_what_exists_when_a_name_is_unknown() -> None:
    registry = Registry(group=None)
    registry.add("writer", "a_writer", "json:dumps")
    with pytest.raises(Exception, match=r"unknown writer 'b_writer'; registered: a_writer"):
        registry.get("writer", "b_writer")
    with pytest.raises(ValueError, match="already registered"):
        registry.add("writer", "a_writer", "json:loads")
    with pytest.raises(ValueError, match="unknown strategy kind"):
        registry.add("gizmo", "x", "json:dumps")
    registry.add("writer", "broken", "json:no_such_thing")
    with pytest.raises(Exception, match="cannot be loaded from 'json:no_such_thing'"):
        registry.get("writer", "broken")
    import json
    assert registry.get("writer", "a_writer") is json.dumps


def test_a_thread_asking_while_another_loads_waits_for_every_system(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time as _time
    from importlib import metadata

    started = threading.Event()

    def slow(registry: Registry) -> None:
        registry.add("writer", "first", "json:dumps")
        started.set()
        _time.sleep(0.3)                  # the other thread asks meanwhile
        assert registry.names("writer") == ["first"]  # the loading thread itself gets in
        registry.add("writer", "second", "json:loads")

    class FakeEntryPoint:
        name, value, module, dist = "slow", "x:y", "x", None

        def load(self) -> object:
            return slow

    monkeypatch.setattr(metadata, "entry_points", lambda group: [FakeEntryPoint()])
    registry = Registry(group="synchub.test")
    loader = threading.Thread(target=registry.load)
    loader.start()
    started.wait(5)
    assert registry.names("writer") == ["first", "second"]
    loader.join(5)


def test_a_plugin_that_fails_while_registering_is_reported_and_the_others_load(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def good(registry: Registry) -> None:
        registry.add("writer", "good", "json:dumps")

    def clashing(registry: Registry) -> None:
        registry.add("writer", "good", "json:loads")   # a name another package took

    class FakeEntryPoint:
        module, dist = "x", None

        def __init__(self, name: str, fn: object) -> None:
            self.name, self.value, self.fn = name, f"x:{name}", fn

        def load(self) -> object:
            return self.fn

    monkeypatch.setattr(metadata, "entry_points", lambda group: [
        FakeEntryPoint("a_good", good), FakeEntryPoint("b_clash", clashing)])
    registry = Registry(group="synchub.test")
    assert registry.names("writer") == ["good"]
    assert registry.get("writer", "good") is __import__("json").dumps
    assert len(registry.load_errors) == 1
    assert "'b_clash'" in registry.load_errors[0] and "already registered" in \
        registry.load_errors[0]
