"""Poison records in a page of good ones: quarantined, the rest stored, the cursor moves on.

Each case runs ``sync_stream`` twice against the Shopify connector over ``responses`` (the
same page both times), on SQLite and PostgreSQL: the first run stores the good records,
dead-letters the poison with its reason and field and advances the cursor; the second run
does not fail on it again.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from synchub.errors import FatalAPIError
from synchub.pipeline import sync_stream
from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo
from synchub.store import DeadLetterIn, Store
from tests.e2e.conftest import write_hub

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://poison.example.com"
ORDERS_URL = f"{HOST}/admin/api/2025-07/orders.json"
GRAPHQL_URL = f"{HOST}/admin/api/2025-07/graphql.json"
WINDOW_END = datetime(2025, 6, 2, tzinfo=UTC)
GOOD = json.loads((ROOT / "tests/mapping/fixtures/shopify/orders.json").read_text())["orders"][:3]
# the newest updated_at of the three good orders, as the stored cursor spells it
GOOD_CURSOR = "2025-03-03T07:00:00Z"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return load_hub(write_hub(tmp_path, {"shop": {"connector": "shopify", "conn_id": "shop"}}))


def sync_page(hub: Hub, store: Store, page: list[Any]) -> Any:
    """One run of the orders stream whose API answers ``page`` (JSON text, escapes kept)."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(GRAPHQL_URL, json={"data": {"shop": {"currencyCode": "EUR"}}})
        mock.get(ORDERS_URL, body=json.dumps({"orders": page}),
                 content_type="application/json")
        return sync_stream(hub, "shop", "orders", store=store, window_end=WINDOW_END,
                           workers=0, conn_info=ConnectionInfo(
                               conn_id="shop", conn_type="http", host=HOST, password="tok-1"))


def with_poison(poison: Any) -> list[Any]:
    """The three good orders with ``poison`` second."""
    good = copy.deepcopy(GOOD)
    return [good[0], poison, *good[1:]]


def assert_quarantined(hub: Hub, store: Store, page: list[Any], letters: int = 1
                       ) -> dict[str, Any]:
    """Run twice; the good orders stored, the poison's dead letter(s), the cursor past the
    page. Returns the dead letter of the order (the refunds mapping may add its own)."""
    first = sync_page(hub, store, page)
    assert first.status == "success"
    assert store.count("order", "shop") == 3
    assert first.quarantined == letters
    assert store.get_state("shop", "orders") == {"cursor": GOOD_CURSOR}
    again = sync_page(hub, store, page)
    assert again.status == "success"
    assert store.count("order", "shop") == 3
    found = store.dead_letters(connection="shop")
    assert len(found) == letters
    for letter in found:
        assert letter["stream"] == "orders"
        assert letter["attempts"] == 2    # the same problem with the same record, seen again
    (order,) = [d for d in found if d["entity"] == "order"]
    return order


@pytest.mark.parametrize("value, problem", [
    ("2025-06-01T11:00:05", "has no offset"),
    ("not a date", "not an ISO 8601 time"),
])
def test_a_bad_cursor_value_quarantines_the_record(hub: Hub, store: Store, value: str,
                                                   problem: str) -> None:
    poison = copy.deepcopy(GOOD[0])
    poison["id"], poison["name"], poison["updated_at"] = 777, "#777", value
    letter = assert_quarantined(hub, store, with_poison(poison))
    assert letter["record_id"] == "777"
    assert letter["field"] == "updated_at"
    assert problem in letter["reason"]
    assert letter["entity"] == "order"
    assert letter["raw"]["updated_at"] == value
    # the rejected record's time (2025-06-01) is later than every good one: it did not
    # move the cursor
    assert store.get_state("shop", "orders") == {"cursor": GOOD_CURSOR}


@pytest.mark.parametrize("item, kind", [
    ("#1001", "a string"), (1001, "a number"), (None, "a null"), ([1, 2], "an array"),
    (True, "a boolean"),
])
def test_an_item_that_is_not_an_object_is_quarantined(hub: Hub, store: Store, item: Any,
                                                      kind: str) -> None:
    letter = assert_quarantined(hub, store, with_poison(item))
    assert letter["reason"] == f"page item 2 is {kind}, not an object"
    assert letter["raw"] == {"value": item}
    assert letter["record_id"] is None


def test_a_lone_surrogate_in_a_mapped_string_quarantines_the_record(hub: Hub,
                                                                    store: Store) -> None:
    poison = copy.deepcopy(GOOD[0])
    poison["id"] = 778
    poison["line_items"][0]["name"] = "Mug \ud800 blue"
    letter = assert_quarantined(hub, store, with_poison(poison))
    assert letter["record_id"] == "778"
    assert letter["field"] == "line_items[0].name"
    assert "surrogate" in letter["reason"]
    assert letter["raw"]["line_items"][0]["name"] == "Mug \ufffd blue"


def test_a_lone_surrogate_in_a_record_id_quarantines_the_record(hub: Hub, store: Store) -> None:
    poison = copy.deepcopy(GOOD[0])
    poison["id"] = "77\udc009"
    # the order's refund cannot be named either: a dead letter of its own
    letter = assert_quarantined(hub, store, with_poison(poison), letters=2)
    assert letter["record_id"] == "77\ufffd9"
    assert letter["field"] == "id"
    assert letter["raw"]["id"] == "77\ufffd9"


def test_a_dead_letter_keeps_a_raw_record_holding_a_lone_surrogate(hub: Hub,
                                                                  store: Store) -> None:
    poison = copy.deepcopy(GOOD[0])
    poison["id"], poison["updated_at"], poison["note"] = 779, "not a date", "bad \udfff"
    letter = assert_quarantined(hub, store, with_poison(poison))
    assert letter["field"] == "updated_at"
    assert letter["raw"]["note"] == "bad \ufffd"


def test_a_dead_letter_with_surrogates_and_nul_anywhere_can_be_written(store: Store) -> None:
    letter = DeadLetterIn(entity="order", record_id="9\ud8009", field="na\udc00me",
                          reason="value 'x\ud800' is \x00 bad",
                          raw={"k\ud800": ["\udfff", {"n": "a\x00b"}], "ok": 1.5})
    result = store.write_page(connection="shop", stream="orders", records=[],
                              dead_letters=[letter])
    assert result.quarantined == 1
    (row,) = store.dead_letters(connection="shop")
    assert row["record_id"] == "9\ufffd9"
    assert row["field"] == "na\ufffdme"
    assert row["reason"] == "value 'x\ufffd' is \ufffd bad"
    assert row["raw"] == {"k\ufffd": ["\ufffd", {"n": "a\ufffdb"}], "ok": 1.5}


@pytest.mark.parametrize("body, words", [
    (b'{"orders": [{"id": 1, "name": "caf\xe9"}]}', "not valid UTF-8 at byte 34 of 39"),
    (b"[" * 100_000 + b"]" * 100_000, "response nested 100,000 levels deep"),
])
def test_a_page_that_cannot_be_read_fails_the_run_at_the_first_attempt(
        hub: Hub, store: Store, body: bytes, words: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(GRAPHQL_URL, json={"data": {"shop": {"currencyCode": "EUR"}}})
        orders = mock.get(ORDERS_URL, body=body, content_type="application/json")
        with pytest.raises(FatalAPIError, match=words):
            sync_stream(hub, "shop", "orders", store=store, window_end=WINDOW_END, workers=0,
                        conn_info=ConnectionInfo(conn_id="shop", conn_type="http", host=HOST,
                                                 password="tok-1"))
        assert orders.call_count == 1   # not retried: the same bytes would come back
    (run,) = store.runs("shop")
    assert run["status"] == "failed" and words in run["error"]
    assert store.get_state("shop", "orders") is None
