"""`synchub validate` reports every mistake of a mapping file in one run, not one per run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from synchub.config.loader import ConfigErrors
from synchub.mapping.export import load_export_mapping
from tests.config.test_validate import HUB, project_copy, run_validate

# (text in mappings/shopify/orders.yaml, its replacement, key path, message)
MISTAKES = [
    ("  number: name\n", "  numbr: name\n", "fields.numbr", "unknown field 'numbr' of Order"),
    ("  total: {money: total_price}\n", "  total: {mony: total_price}\n", "fields.total.mony",
     "unknown key"),
    ("{path: updated_at, transform: parse_datetime}",
     "{path: updated_at, transform: parse_datetim}", "fields.updated_at.transform",
     "unknown transform 'parse_datetim'"),
    ('  discount_codes: "discount_codes[].code"\n', '  discount_codes: "discount_codes[[]"\n',
     "fields.discount_codes", "invalid path 'discount_codes[[]'"),
]


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def test_every_mistake_of_a_mapping_file_in_one_validate_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project_copy(tmp_path)
    mapping = root / "mappings/shopify/orders.yaml"
    text = mapping.read_text()
    for old, new, _key, _message in MISTAKES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    mapping.write_text(text)

    code, errors = run_validate(HUB, root, capsys)

    assert code == 2
    for _old, new, key, message in MISTAKES:
        line = _line_of(text, new)
        expected = re.compile(rf"orders\.yaml:{line}: {re.escape(key)}: .*{re.escape(message)}")
        assert any(expected.search(e) for e in errors), (key, errors)
    assert all("\n" not in e for e in errors)
    # a field left out as invalid is not also reported as missing
    assert not any("needs field(s)" in e for e in errors), errors


def test_every_mistake_of_a_write_mapping_at_once(tmp_path: Path) -> None:
    path = tmp_path / "x.export.yaml"
    path.write_text("entity: shipment\n"
                    "only_create: [nope]\n"
                    "fields:\n"
                    "  a: {path: x, transform: snek}\n"
                    "  b: {path: y, const: 1}\n"
                    "  c: \"z[[\"\n")
    with pytest.raises(ConfigErrors) as info:
        load_export_mapping(path)
    shown = [str(e) for e in info.value.errors]
    assert len(shown) == 4, shown
    assert any(s.startswith(f"{path}:2: only_create: ") for s in shown), shown
    assert any(s.startswith(f"{path}:4: fields.a.transform: unknown transform") for s in shown)
    assert any(s.startswith(f"{path}:5: fields.b: ") and "give only one of" in s for s in shown)
    assert any(s.startswith(f"{path}:6: fields.c: invalid path") for s in shown), shown
