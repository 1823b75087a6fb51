"""Replay: dead deliveries go out again once; quarantined records are re-ingested."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from synchub.delivery.replay import parse_id, replay, replay_deliveries
from synchub.errors import ConfigError
from synchub.store import DeadLetterIn
from synchub.store.tables import dead_letters
from tests.delivery.conftest import PushWorld
from tests.store.conftest import make_order

ERP = {"erp": {"orders": {"from": ["shop"], "max_attempts": 2, "backoff": "1s"}}}


def contact(cid: str, created: str = "2025-03-01T10:00:00Z") -> dict[str, Any]:
    return {"id": cid, "createdAt": created, "updatedAt": "2025-03-02T10:00:00Z",
            "properties": {"email": f"c{cid}@example.com", "firstname": "Ada",
                           "lastname": "L", "lifecyclestage": "customer"}}


def test_dead_deliveries_replay_once_and_delivered_ones_are_never_resent(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(make_order(1))
    w.put(make_order(2))
    w.sink().refuse = {make_order(2).id}
    w.push()
    rows = w.rows()
    assert (rows[make_order(1).id].status, rows[make_order(2).id].status) == \
        ("delivered", "dead")
    dead_id = rows[make_order(2).id].id
    # the sink is fixed; replaying everything of the sink touches only the dead row
    w.sink().refuse = set()
    result = replay(w.store, w.hub, connection="erp", now=w.now)
    assert result.deliveries == 1
    again = w.push()
    assert (again["delivered"], again["dead"]) == (1, 0)
    assert w.sink().creates == 2 and w.sink().updates == 0
    assert w.rows()[make_order(2).id].status == "delivered"
    # replaying a delivered row is refused, naming it
    with pytest.raises(ConfigError, match=f"d-{dead_id} is delivered"):
        replay(w.store, w.hub, target=f"d-{dead_id}")
    assert w.push()["delivered"] == 0


def test_dead_after_retries_then_replay_by_id_succeeds(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(make_order(1))
    w.sink().script = ["5xx", "5xx"]
    w.push()
    w.later(2)
    assert w.push()["dead"] == 1
    row = w.rows()[make_order(1).id]
    assert (row.status, row.attempts) == ("dead", 2)
    assert replay(w.store, w.hub, target=f"d-{row.id}", now=w.now).deliveries == 1
    assert w.rows()[make_order(1).id].attempts == 0
    assert w.push()["delivered"] == 1
    assert w.sink().creates == 1


def test_a_new_version_revives_a_dead_delivery(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.put(make_order(1))
    w.sink().refuse = {make_order(1).id}
    w.push()
    w.sink().refuse = set()
    w.put(make_order(1, total="11.00"))
    assert w.push()["delivered"] == 1


def test_unknown_ids_are_clear_errors(push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    with pytest.raises(ConfigError, match="no delivery d-999"):
        replay_deliveries(w.store, ids=[999])
    with pytest.raises(ConfigError, match="no unresolved dead letter dl-5"):
        replay(w.store, w.hub, target="dl-5")
    with pytest.raises(ConfigError, match="unknown id"):
        parse_id("34")
    with pytest.raises(ConfigError, match="unknown connection or sink 'nope'"):
        replay(w.store, w.hub, connection="nope")


def test_quarantined_records_are_remapped_and_kept_when_still_broken(
        push_world: Callable[..., PushWorld]) -> None:
    w = push_world(ERP)
    w.store.write_page(connection="crm", stream="contacts", records=[], dead_letters=[
        DeadLetterIn(entity="customer", record_id="501", reason="old mapping bug",
                     raw=contact("501")),
        DeadLetterIn(entity="customer", record_id="502", reason="bad date",
                     raw=contact("502", created="yesterday")),
    ])
    ids = {r["record_id"]: r["id"] for r in w.store.dead_letters()}
    result = replay(w.store, w.hub, connection="crm")
    assert (result.resolved, result.still_failing) == (1, 1)
    assert w.store.count("customer", "crm") == 1
    left = w.store.dead_letters()
    assert [r["record_id"] for r in left] == ["502"]
    assert left[0]["attempts"] == 2 and "created_at" in left[0]["reason"]
    with w.store.engine.connect() as c:
        resolved = c.execute(sa.select(dead_letters.c.resolved_at)
                             .where(dead_letters.c.id == ids["501"])).scalar_one()
    assert resolved is not None
    # a resolved record is not ingested again
    assert replay(w.store, w.hub, connection="crm").resolved == 0
