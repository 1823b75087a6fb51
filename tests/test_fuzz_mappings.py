"""Fuzz every shipped mapping with JSON-shaped junk: a record maps, or is a RecordError.

For each mapping file under ``mappings/`` (inbound ones and ``*.export.yaml`` write
mappings, which read stored canonical documents), hypothesis builds records two ways:

- objects shaped by the mapping's own paths (``line_items[].price``, ``$root.currency``...)
  whose values are random JSON: wrong types, huge and negative numbers, NaN-like strings,
  nulls, lists, nested objects, unicode with lone surrogates;
- the mapping's real fixture records with one to three values replaced by such junk.

Every record must either map to canonical records that serialize and validate again, or
raise the mapping's ``RecordError`` with a reason: never any other exception, which would
fail a whole page and stop its stream. Examples per mapping are few (the whole file runs in
well under a minute on one core); each run draws new ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synchub.config.loader import load_yaml, parse_model
from synchub.config.mapping import ExportMappingSpec, FieldSpec, MappingSpec
from synchub.errors import RecordError
from synchub.mapping import MappingContext, load_mapping
from synchub.mapping.export import load_export_mapping
from tests.mapping import test_export_golden, test_golden
from tests.mapping.conftest import CONTEXTS, GOLDEN, MAPPINGS, load_fixture

FUZZ = settings(max_examples=60, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INBOUND = sorted(p for p in MAPPINGS.glob("*/*.yaml")
                 if not p.name.endswith(".export.yaml") and p.parent.name != "ledger")
EXPORTS = sorted(MAPPINGS.glob("*/*.export.yaml"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.yaml')}"


# -- the shape a mapping reads: the keys its paths name, nested as they are ---------------------

@dataclass
class Shape:
    """Keys read below one object; ``many``: the value is a list of such objects."""

    keys: dict[str, Shape] = field(default_factory=dict)
    many: bool = False

    def at(self, key: str, many: bool = False) -> Shape:
        child = self.keys.setdefault(key, Shape())
        child.many = child.many or many
        return child


_QUOTED = re.compile(r"'[^']*'|`[^`]*`|\"[^\"]*\"")
_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\[[^\]]*\])?(?:\.[A-Za-z_]\w*(?:\[[^\]]*\])?)*")
_SCOPES = ("$root", "$parent", "$")


@dataclass
class Scope:
    cur: Shape
    parent: Shape
    root: Shape

    def path(self, expr: str) -> Shape:
        """The shape at the end of a path (its chains added), creating what it names."""
        text = expr.strip()
        base = self.cur
        for prefix, node in (("$root", self.root), ("$parent", self.parent), ("$", self.cur)):
            if text == prefix:
                return node
            if text.startswith(prefix + "."):
                base, text = node, text[len(prefix) + 1:]
                break
        chains = _CHAIN.findall(_QUOTED.sub(" ", text))
        if len(chains) == 1 and chains[0] == text:
            return self._chain(base, text)
        for chain in chains:   # a JMESPath expression: every plain chain in it is read
            if chain not in ("unnest", "length", "to_string", "to_number", "join"):
                self._chain(base, chain)
        return Shape()

    @staticmethod
    def _chain(node: Shape, chain: str) -> Shape:
        for part in chain.split("."):
            key, _, index = part.partition("[")
            node = node.at(key, many=bool(index))
        return node


def _read(spec: FieldSpec | None, scope: Scope) -> None:
    if spec is None:
        return
    given_ = spec.model_fields_set
    if spec.money is not None:
        _read(spec.money.amount, scope)
        _read(spec.money.currency, scope)
    for arg in [*(spec.args or ()), *(spec.coalesce or ())]:
        _read(arg, scope)
    for case in spec.cases or ():
        scope.path(case.when)
        _read(case.value, scope)
    if spec.match is not None:
        items = scope.path(spec.match.items)
        items.many = True
        for key, value in spec.match.where.items():
            Scope(items, scope.cur, scope.root).path(key)
            _read(value, scope)
        if spec.match.value:
            Scope(items, scope.cur, scope.root).path(spec.match.value)
    if spec.each is not None:
        items = scope.path(spec.each)
        items.many = True
        _fields(spec.fields, Scope(items, scope.cur, scope.root))
    elif spec.fields is not None:
        inner = scope.path(spec.path) if spec.path is not None else scope.cur
        _fields(spec.fields, Scope(inner, scope.cur, scope.root))
    elif "path" in given_ and spec.path is not None:
        scope.path(spec.path)


def _fields(fields: dict[str, FieldSpec] | None, scope: Scope) -> None:
    for spec in (fields or {}).values():
        _read(spec, scope)


def inbound_shape(spec: MappingSpec) -> Shape:
    root = Shape()
    top = Scope(root, root, root)
    _read(spec.id, top)
    _read(spec.currency, top)
    if spec.when:
        top.path(spec.when)
    scope = top
    if spec.explode is not None:
        items = top.path(spec.explode.path)
        items.many = True
        scope = Scope(items, root, root)
        _read(spec.explode.id, scope)
    _fields(spec.fields, scope)
    return root


def export_shape(spec: ExportMappingSpec) -> Shape:
    root = Shape()
    top = Scope(root, root, root)
    if spec.when:
        top.path(spec.when)
    _fields(spec.fields, top)
    return root


# -- junk: JSON values of every wrong kind -----------------------------------------------------

NASTY = st.sampled_from([
    "", " ", "NaN", "nan", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "1E+30",
    "1" + "0" * 30, "100000000000000000", "-1e17", "-3", "0", "0.1", "2.5", "12,50", "0x10",
    "true", "false", "null", "2025-06-01T11:00:05", "2025-06-01T11:00:05Z", "2025-06-01",
    "not a date", "0000-00-00", "9999-12-31T23:59:59+14:00", "\ud800", "a\udfffb", "\x00",
    "gid://shopify/Order/", "gid://x/Y/1", "[x] y", "[SKU-1] Mug", "shop:1001", "x" * 300,
    "€", "ÄÖÜ", "EUR", "eur", "usd ", "restock", "refund", "success", "paid", "cancelled",
])
NUMBERS = st.sampled_from([
    10**30, -10**30, 2**63, -2**63 - 1, 2**53 + 1, 2**31 - 1, -1, -3, 0, 1, 1e308, -1e308,
    5e-324, 1e30, -0.0, 0.1, 2.5, float("nan"), float("inf"), float("-inf"),
])
# what a number's place gets most: extremes of its own kind, as numbers and as strings
NUMERIC = NUMBERS | st.sampled_from([
    "1e400", "-1e400", "1e-400", "1E+30", "-1E+30", "1" + "0" * 30, "100000000000000000",
    "-1e17", "NaN", "Infinity", "-Infinity", "-3", "0E-400", "1e999999", "sNaN",
])
SCALARS = st.one_of(
    NASTY, NUMBERS, st.none(), st.booleans(),
    st.integers(min_value=-10**40, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(exclude_categories=()), max_size=12),
)


def junk(names: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON value; objects keyed by the mapping's own names as often as not."""
    keys = st.sampled_from(names) | st.text(max_size=6) if names else st.text(max_size=6)
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=10)


def shaped(shape: Shape, names: list[str], *, top: bool = False) -> st.SearchStrategy[Any]:
    """An object with (some of) the keys the shape names, each holding junk or its own shape;
    below the top, junk of any kind in its place as often as not."""
    if shape.keys:
        obj: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={k: shaped(child, names) for k, child in shape.keys.items()})
        one = obj if top else obj | junk(names)
    else:
        one = junk(names)
    return st.lists(one, max_size=3) | junk(names) if shape.many and not top else one


def all_names(shape: Shape) -> list[str]:
    out = set(shape.keys)
    for child in shape.keys.values():
        out.update(all_names(child))
    return sorted(out)


Location = tuple[str | int, ...]
_NUMBER = re.compile(r"^\s*-?\d+(\.\d*)?\s*$")


def read_locations(record: Any, shape: Shape, at: Location = ()) -> list[Location]:
    """Where in a record the mapping reads: every key its paths name, present or not, and
    every element of the lists it reads."""
    out: list[Location] = []
    if not isinstance(record, dict):
        return out
    for key, child in shape.keys.items():
        here = (*at, key)
        out.append(here)
        value = record.get(key)
        if isinstance(value, list):
            for i, item in enumerate(value):
                out.append((*here, i))
                out += read_locations(item, child, (*here, i))
        else:
            out += read_locations(value, child, here)
    return out


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any], shape: Shape, names: list[str]) -> Any:
    """A real record with one to four of the values the mapping reads replaced by junk
    (a number mostly by an extreme number, or a string that looks like one)."""
    record = json.loads(json.dumps(draw(st.sampled_from(seeds))))
    places = read_locations(record, shape)
    if not places:
        return record
    for _ in range(draw(st.integers(1, 4))):
        *parents, last = draw(st.sampled_from(places))
        node = record
        for key in (*parents, last):   # an earlier replacement may have cut the way
            if not _has(node, key, key is last):
                break
            if key is last:
                was = node[key] if isinstance(node, list) else node.get(key)
                numeric = (isinstance(was, int | float) and not isinstance(was, bool)) \
                    or (isinstance(was, str) and _NUMBER.match(was))
                node[key] = draw(NUMERIC | junk(names) if numeric else junk(names))
            else:
                node = node[key]
    return record


def _has(node: Any, key: str | int, last: bool) -> bool:
    if isinstance(node, dict):
        return isinstance(key, str) and (last or key in node)
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


# -- the property ------------------------------------------------------------------------------

def _context(path: Path) -> MappingContext:
    return CONTEXTS[path.parent.name]


def check_inbound(mapping: Any, raw: Any, ctx: MappingContext) -> None:
    try:
        records = mapping.apply(raw, ctx)
    except RecordError as exc:
        assert exc.message.strip(), "a RecordError needs a reason"
        return
    for record in records:
        # what the pipeline does next: serialize it; the document must validate again
        again = type(record).model_validate_json(record.document_json())
        assert again.content_hash == record.content_hash


def _inbound_seeds(path: Path, mapping: Any) -> list[Any]:
    system, name = path.parent.name, path.stem
    fixtures = [f for s, m, f in test_golden.CASES if (s, m) == (system, name)]
    return [r for f in fixtures for r in mapping.unwrap(load_fixture(system, f))]


@pytest.mark.parametrize("path", INBOUND, ids=[_id(p) for p in INBOUND])
def test_junk_shaped_like_its_records_maps_or_is_a_record_error(path: Path) -> None:
    mapping = load_mapping(path)
    shape = inbound_shape(parse_model(MappingSpec, load_yaml(path)))
    names, ctx = all_names(shape), _context(path)
    seeds = _inbound_seeds(path, mapping)
    assert seeds, f"{_id(path)}: no fixture records (tests/mapping/test_golden.py CASES)"
    records = shaped(shape, names, top=True) | mutated(seeds, shape, names) | junk(names)

    @FUZZ
    @given(records)
    def fuzz(raw: Any) -> None:
        check_inbound(mapping, raw, ctx)

    fuzz()


def _export_seeds(path: Path) -> list[Any]:
    system, name = path.parent.name, path.name.removesuffix(".export.yaml")
    docs: list[Any] = []
    for s, n, sources in test_export_golden.CASES:
        if (s, n) == (system, name):
            for source in sources:
                docs += json.loads((GOLDEN / f"{source}.json").read_text(encoding="utf-8"))
    return docs


@pytest.mark.parametrize("path", EXPORTS, ids=[_id(p) for p in EXPORTS])
def test_junk_documents_give_a_payload_or_a_record_error(path: Path) -> None:
    export = load_export_mapping(path)
    shape = export_shape(parse_model(ExportMappingSpec, load_yaml(path)))
    names, ctx = all_names(shape), _context(path)
    seeds = _export_seeds(path)
    assert seeds, f"{_id(path)}: no golden documents (test_export_golden.py CASES)"
    documents = shaped(shape, names, top=True) | mutated(seeds, shape, names)

    @FUZZ
    @given(documents)
    def fuzz(doc: Any) -> None:
        if not isinstance(doc, dict):
            return   # a stored document is always an object
        try:
            if export.wants(doc):
                payload = export.apply(doc, ctx, create=True)
                assert isinstance(payload, dict)
        except RecordError as exc:
            assert exc.message.strip(), "a RecordError needs a reason"

    fuzz()


@pytest.mark.parametrize("name", ["aftership/trackings", "dhl/tracking", "squarespace/orders"])
def test_a_record_whose_id_is_not_a_scalar_is_a_record_error(name: str) -> None:
    # these mappings take the id by a bare path, without a transform
    mapping = load_mapping(MAPPINGS / f"{name}.yaml")
    raw: dict[str, Any] = {"id": [1], "tracking_number": {"x": 1},
                           "_input": {"tracking_number": []}}
    with pytest.raises(RecordError, match="has no id"):
        mapping.apply(raw, CONTEXTS[name.split("/")[0]])


def test_the_shape_follows_scopes_and_lists() -> None:
    shape = inbound_shape(parse_model(MappingSpec, load_yaml(MAPPINGS / "shopify/orders.yaml")))
    lines = shape.keys["line_items"]
    assert lines.many and {"price", "quantity", "sku"} <= set(lines.keys)
    assert lines.keys["discount_allocations"].many
    assert "amount" in lines.keys["discount_allocations"].keys
    assert {"refunds", "currency", "total_price"} <= set(shape.keys)
    # `$root.refunds[].refund_line_items[]` read from inside a line lands at the root
    assert "line_item_id" in shape.keys["refunds"].keys["refund_line_items"].keys
