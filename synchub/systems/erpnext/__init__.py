"""ERPNext (Frappe) as the ERP: token auth, REST list reads in the site's timezone, sales
orders and journal entries written back.

The ``frappe_token`` auth sends ``Authorization: token <api_key>:<api_secret>``; the
``frappe_rest`` transport lists a DocType with explicit ``fields``, ``filters``,
``order_by`` and page size (Frappe answers 20 rows of ``name`` alone otherwise) and reads
the naive ``modified`` times in the site's timezone; the writers ``erpnext_sales_order``
and ``erpnext_journal_entry`` are idempotent by a custom field holding the hub's id.
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register ERPNext's strategies."""
    from synchub.systems.erpnext.transforms import TRANSFORMS

    here = "synchub.systems.erpnext"
    registry.add("auth", "frappe_token", f"{here}.auth:FrappeTokenAuth.from_spec",
                 spec=f"{here}.specs:FrappeTokenAuthSpec")
    registry.add("transport", "frappe_rest", f"{here}.transport:FRAPPE_REST",
                 spec=f"{here}.specs:FrappeStreamSpec",
                 stream_checks=f"{here}.checks:check_stream")
    registry.add("writer", "erpnext_sales_order", f"{here}.sales_order:SalesOrderWriter")
    registry.add("writer", "erpnext_journal_entry", f"{here}.journal:JournalEntryWriter")
    TRANSFORMS.register_all(registry)
