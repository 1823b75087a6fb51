"""API keys: shown once, stored as a hash, refused when revoked, expired or orphaned."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from synchub.errors import ConfigError
from synchub.feeds.api import consumers_of
from synchub.feeds.keys import (
    InvalidKeyError,
    hash_key,
    issue_key,
    list_keys,
    revoke_key,
    verify_key,
)
from synchub.plan import Hub
from synchub.store import Store
from synchub.store.delivery_tables import api_keys

from .conftest import write_hub


def test_a_key_is_shown_once_and_only_its_hash_is_kept(store: Store, hub: Hub) -> None:
    issued = issue_key(store, "erp", consumers_of(hub), label="ERP prod")
    assert re.fullmatch(r"shk_[0-9a-f]{8}_[A-Za-z0-9_-]{32}", issued.key)
    assert issued.key.split("_")[1] == issued.prefix
    with store.engine.connect() as conn:
        (row,) = conn.execute(sa.select(api_keys)).all()
    assert row.key_hash == hash_key(issued.key) and row.prefix == issued.prefix
    secret = issued.key[len("shk_") + 9:]
    assert not any(isinstance(v, str) and secret in v for v in row)

    ident = verify_key(store, issued.key, consumers_of(hub))
    assert (ident.consumer, ident.prefix) == ("erp", issued.prefix)
    assert ident.config.connections == ["shop"]
    (listed,) = list_keys(store)
    assert listed["last_used_at"] is not None and listed["label"] == "ERP prod"
    assert "key_hash" not in listed


def test_unknown_consumer_cannot_get_a_key(store: Store, hub: Hub) -> None:
    with pytest.raises(ConfigError, match="unknown feed consumer 'crm'; configured: bi, erp"):
        issue_key(store, "crm", consumers_of(hub))


@pytest.mark.parametrize("presented, reason", [
    ("", "malformed"),
    ("shk_0000000_short", "malformed"),
    ("shk_00000000_" + "A" * 32, "unknown"),
])
def test_keys_that_are_not_ours(store: Store, hub: Hub, presented: str, reason: str) -> None:
    issue_key(store, "erp", consumers_of(hub))
    with pytest.raises(InvalidKeyError, match=reason):
        verify_key(store, presented, consumers_of(hub))


def test_revoked_expired_and_orphaned_keys_are_refused(store: Store, hub: Hub,
                                                       tmp_path: Path) -> None:
    consumers = consumers_of(hub)
    revoked = issue_key(store, "erp", consumers)
    assert revoke_key(store, revoked.prefix) == "erp"
    with pytest.raises(InvalidKeyError, match="revoked"):
        verify_key(store, revoked.key, consumers)

    past = datetime.now(UTC) - timedelta(seconds=1)
    expired = issue_key(store, "erp", consumers, expires_at=past)
    with pytest.raises(InvalidKeyError, match="expired"):
        verify_key(store, expired.key, consumers)

    orphan = issue_key(store, "bi", consumers)
    verify_key(store, orphan.key, consumers)
    # the consumer is taken out of hub.yaml: its keys stop working with it
    (tmp_path / "narrowed").mkdir()
    narrowed = write_hub(tmp_path / "narrowed", "    erp: {entities: [order]}\n")
    with pytest.raises(InvalidKeyError, match=r"no longer in hub\.yaml"):
        verify_key(store, orphan.key, consumers_of(narrowed))

    with pytest.raises(ConfigError, match="no API key with prefix 'ffffffff'"):
        revoke_key(store, "ffffffff")
    assert {r["prefix"]: r["revoked_at"] is not None for r in list_keys(store)} == {
        revoked.prefix: True, expired.prefix: False, orphan.prefix: False}
