"""load_page: a page the database or its encoder refuses is searched, its unstorable records
quarantined naming the field, and written again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from synchub.pipeline.load import load_page
from synchub.pipeline.mapper import MappedPage
from synchub.runtime import Page
from synchub.store import Store, StoredRecord, to_stored
from tests.store.conftest import make_order


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.upgrade()
    yield s
    s.dispose()


def poisoned(record: StoredRecord, good: str, bad: str) -> StoredRecord:
    assert good in record.document
    return dataclasses.replace(record, document=record.document.replace(good, bad),
                               typed={**record.typed, "number": bad.strip('"')})


def test_a_document_holding_a_lone_surrogate_is_quarantined_naming_the_field(
        store: Store) -> None:
    rows = [to_stored(make_order(n)) for n in (1, 2, 3)]
    rows[1] = poisoned(rows[1], '"#2"', '"#\ud8002"')
    raw = [{"id": 1, "name": "#1"}, {"id": 2, "name": "#\ud8002", "tags": ["a"]},
           {"id": 3, "name": "#3"}]
    page = Page(raw, {"cursor": "2025-06-01T00:00:00Z"}, 1)
    result = load_page(store, "shop", "orders", page, MappedPage(rows, [], 0, [0, 1, 2]))
    assert (result.stored, result.quarantined) == (2, 1)
    assert store.count("order", "shop") == 2
    assert store.get_state("shop", "orders") == {"cursor": "2025-06-01T00:00:00Z"}
    (letter,) = store.dead_letters(connection="shop")
    assert (letter["record_id"], letter["field"]) == ("2", "name")
    assert letter["reason"].startswith("name: holds a lone surrogate (\\ud800)")
    assert letter["raw"] == {"id": 2, "name": "#\ufffd2", "tags": ["a"]}

