"""Odoo, the ERP: JSON-RPC external API (login, ``search_read`` streams), sales orders,
refunds and journal entries written back, and its record transforms."""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register Odoo's strategies."""
    from synchub.systems.odoo.transforms import TRANSFORMS

    here = "synchub.systems.odoo"
    registry.add("auth", "odoo_jsonrpc", f"{here}.auth:OdooJsonRpcAuth.from_spec",
                 spec=f"{here}.specs:OdooJsonRpcAuthSpec")
    registry.add("transport", "jsonrpc", f"{here}.transport:JSONRPC",
                 spec=f"{here}.specs:JsonRpcStreamSpec",
                 context_spec=f"{here}.specs:JsonRpcContextSpec",
                 stream_checks=f"{here}.checks:check_stream",
                 context_checks=f"{here}.checks:check_context")
    registry.add("writer", "odoo_sale_order", f"{here}.sale_order:OdooSaleOrderWriter")
    registry.add("writer", "odoo_refund", f"{here}.refund:OdooRefundWriter")
    registry.add("writer", "odoo_journal_entry", f"{here}.journal:OdooJournalEntryWriter")
    TRANSFORMS.register_all(registry)
