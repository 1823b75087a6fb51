"""``python -m synchub.sandbox`` for the delivery benchmark, with two sandbox costs taken out.

Two per-call costs of the sandbox grow with the records it holds, so a push of N records
costs the *sandbox* O(N^2) and hides what the hub spends (measured as shipped: see
bench/README.md). Here, in the benchmark's sandbox process only:

- Odoo: every write call works on a copy of all writable models so that a refused call
  leaves nothing behind; the copy is deep (every record). Here it is one level deep (the
  model's id -> record dict), which keeps created records out of the store on refusal but
  not in-place edits of existing ones. The benchmark's calls are never refused (the run
  checks that every delivery succeeded and what Odoo holds), so the answers are the same.
- HubSpot: an upsert finds each input's contact by scanning every contact. Here the unique
  properties (``email``, ``synchub_id``) are looked up in an index kept on insert and update.

``--as-shipped`` runs the sandbox unchanged.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _patch() -> None:
    from synchub.sandbox.hubspot.store import HubSpotStore
    from synchub.sandbox.odoo import writes as odoo_writes

    odoo_writes.copy = types.SimpleNamespace(deepcopy=dict)  # type: ignore[assignment]

    indexed = ("email", "synchub_id")
    insert, update, find = HubSpotStore._insert, HubSpotStore._update, HubSpotStore.find

    def key(prop: str, value: Any) -> tuple[str, str]:
        text = str(value)
        return prop, text.lower() if prop == "email" else text

    def index(store: HubSpotStore) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = store.__dict__.setdefault("_bench_index", {})
        return found

    def add(store: HubSpotStore, contact: dict[str, Any]) -> None:
        for prop in indexed:
            value = contact["properties"].get(prop)
            if value is not None:
                index(store).setdefault(key(prop, value), int(contact["id"]))

    def drop(store: HubSpotStore, contact: dict[str, Any]) -> None:
        for prop in indexed:
            value = contact["properties"].get(prop)
            if value is not None and index(store).get(key(prop, value)) == int(contact["id"]):
                del index(store)[key(prop, value)]

    def indexed_insert(self: HubSpotStore, props: dict[str, Any], ts: float) -> dict[str, Any]:
        contact = insert(self, props, ts)
        add(self, contact)
        return contact

    def indexed_update(self: HubSpotStore, contact: dict[str, Any], props: dict[str, Any],
                       ts: float) -> None:
        drop(self, contact)
        update(self, contact, props, ts)
        add(self, contact)

    def indexed_find(self: HubSpotStore, prop: str, value: Any) -> dict[str, Any] | None:
        if prop not in indexed:
            return find(self, prop, value)
        cid = index(self).get(key(prop, value))
        return self.contacts.get(cid) if cid is not None else None

    HubSpotStore._insert = indexed_insert  # type: ignore[method-assign]
    HubSpotStore._update = indexed_update  # type: ignore[method-assign]
    HubSpotStore.find = indexed_find  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    """Patch (unless ``--as-shipped``), then run the sandbox's own command line."""
    from synchub.sandbox.cli import main as sandbox_main

    if "--as-shipped" in argv:
        argv = [a for a in argv if a != "--as-shipped"]
    else:
        _patch()
    return sandbox_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
