"""write_page: change detection, change numbers, bindings, mixed entities, atomicity."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from synchub.store import Store
from synchub.store.tables import bindings, change_counters, entity_table
from tests.store.conftest import make_customer, make_level, make_order, make_product


def changes(store: Store, entity: str = "order") -> int:
    """Change numbers handed out for an entity: one per stored change (the outbox, ADR 0007)."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(change_counters.c.value)
                                .where(change_counters.c.entity == entity)).scalar_one())


def seqs(store: Store, entity: str = "order") -> dict[str, int]:
    """The change_seq of every stored record of an entity, by hub id."""
    table = entity_table(entity)
    with store.engine.connect() as conn:
        return {r.id: r.change_seq for r in conn.execute(sa.select(table.c.id,
                                                                    table.c.change_seq))}


def test_stores_then_identical_page_is_all_unchanged(store: Store) -> None:
    orders = [make_order(i) for i in range(1, 6)]
    first = store.write_page(connection="shop", stream="orders", records=orders,
                             state={"cursor": "2025-03-01T00:00:00Z"})
    assert (first.stored, first.unchanged, first.quarantined) == (5, 0, 0)
    assert sorted(first.changed_ids["order"]) == sorted(o.id for o in orders)
    assert store.count("order") == 5
    assert store.get("order", orders[0].id) == orders[0].model_dump(mode="json")
    assert changes(store) == 5
    first_seqs = seqs(store)
    assert sorted(first_seqs.values()) == [1, 2, 3, 4, 5]

    second = store.write_page(connection="shop", stream="orders", records=orders, state=None)
    assert (second.stored, second.unchanged) == (0, 5)
    assert second.changed_ids["order"] == []
    assert changes(store) == 5 and seqs(store) == first_seqs
    assert store.get_state("shop", "orders") == {"cursor": "2025-03-01T00:00:00Z"}


def test_changed_record_is_updated_with_one_new_change_number(store: Store) -> None:
    store.write_page(connection="shop", stream="orders", records=[make_order(1), make_order(2)])
    before = seqs(store)
    changed = make_order(1, total="25.50")
    res = store.write_page(connection="shop", stream="orders",
                           records=[changed, make_order(2)])
    assert (res.stored, res.unchanged) == (1, 1)
    assert res.changed_ids == {"order": [changed.id]}
    assert store.get("order", changed.id)["total"] == {"amount": "25.50", "currency": "EUR"}
    # the changed record alone gets the next number; the unchanged one keeps its own
    assert changes(store) == 3
    after = seqs(store)
    assert after[changed.id] == 3 > before[changed.id]
    assert after[make_order(2).id] == before[make_order(2).id]
    with store.engine.connect() as conn:
        total = conn.execute(sa.text("select total_amount from orders where id = :i"),
                             {"i": changed.id}).scalar()
    assert str(total).startswith("25.5")


def test_same_id_twice_in_a_page_last_wins(store: Store) -> None:
    res = store.write_page(connection="shop", stream="orders",
                           records=[make_order(7, total="1.00"), make_order(7, total="2.00")])
    assert (res.stored, res.unchanged) == (1, 0)
    assert store.get("order", make_order(7).id)["total"]["amount"] == "2.00"
    assert changes(store) == 1


def test_mixed_entities_in_one_page(store: Store) -> None:
    records = [make_product(1, "SKU-1"), make_level(1, 10, 5), make_level(1, 11, 0),
               make_customer(3, "a@example.test")]
    res = store.write_page(connection="shop", stream="products", records=records)
    assert res.stored == 4
    assert {e: len(ids) for e, ids in res.changed_ids.items()} == {
        "product": 1, "inventory_level": 2, "customer": 1}
    assert (store.count("product"), store.count("inventory_level"), store.count("customer")) \
        == (1, 2, 1)
    assert store.count("inventory_level", connection="other") == 0
    with store.engine.connect() as conn:
        avail = conn.execute(sa.text(
            "select location_external_id, available from inventory_levels order by 1")).all()
        n_bindings = conn.execute(sa.select(sa.func.count()).select_from(bindings)).scalar()
    assert [tuple(r) for r in avail] == [("10", 5), ("11", 0)]
    assert n_bindings == 4
    assert [len(store.read_feed(e).records) for e in ("product", "inventory_level", "order")] \
        == [1, 2, 0]


def test_bindings_unique_is_enforced_by_the_database(store: Store) -> None:
    order = make_order(1)
    store.write_page(connection="shop", stream="orders", records=[order])
    row = {"connection": "shop", "entity": "order", "external_id": "1",
           "canonical_id": "another-id", "first_seen_at": sa.func.now()}
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(bindings).values(**row))
    with store.engine.connect() as conn:
        ids = conn.execute(sa.select(bindings.c.canonical_id)).scalars().all()
    assert ids == [order.id]


@pytest.mark.parametrize("state", [None, {"cursor": "2025-04-01T00:00:00Z"}])
def test_failure_before_commit_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, state: dict | None
) -> None:
    store.write_page(connection="shop", stream="orders", records=[make_order(1)],
                     state={"cursor": "2025-03-01T00:00:00Z"})
    before = (changes(store), seqs(store))

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    # fails at the very last step, after every other statement of the page ran
    monkeypatch.setattr("synchub.store.writer.assign_change_seq", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        store.write_page(connection="shop", stream="orders",
                         records=[make_order(1, total="99.00"), make_order(2)],
                         state=state, dead_letters=[])
    assert store.get_state("shop", "orders") == {"cursor": "2025-03-01T00:00:00Z"}
    assert store.count("order") == 1
    assert store.get("order", make_order(1).id)["total"]["amount"] == "10.00"
    assert (changes(store), seqs(store)) == before
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(bindings)).scalar() == 1


def test_record_the_database_refuses_rolls_back_the_page(store: Store) -> None:
    first = make_order(1)
    store.write_page(connection="shop", stream="orders", records=[first],
                     state={"cursor": "a"})
    good = make_order(2)
    # same source (connection, external id) under another hub id: the unique key refuses it
    clash = make_order(1, total="5.00").model_copy(update={"id": "another-id"})
    with pytest.raises(sa.exc.IntegrityError):
        store.write_page(connection="shop", stream="orders", records=[good, clash],
                         state={"cursor": "b"})
    assert store.get_state("shop", "orders") == {"cursor": "a"}
    assert store.count("order") == 1
    assert store.get("order", good.id) is None
    assert store.get("order", first.id)["total"]["amount"] == "10.00"
    assert changes(store) == 1


def test_a_record_changing_back_and_forth_gets_a_number_per_change(store: Store) -> None:
    """A -> B -> A -> B: four versions, four change numbers (none swallowed as a duplicate)."""
    versions = [make_order("77", status="open"), make_order("77", status="completed")]
    record_id = versions[0].id
    numbers = []
    for n in range(4):
        store.write_page(connection="shop", stream="orders", records=[versions[n % 2]])
        numbers.append(seqs(store)[record_id])
    assert numbers == [1, 2, 3, 4]
    # a reader behind each earlier number sees the record again, at its latest version
    for seen in numbers[:-1]:
        page = store.read_feed("order", since=seen)
        assert [r["status"] for r in page.records] == ["completed"]
