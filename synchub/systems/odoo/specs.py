"""Connector models of the ``jsonrpc`` transport: Odoo's external API over JSON-RPC 2.0.

Every call is ``POST <path>`` with ``{"jsonrpc": "2.0", "method": "call", "params":
{"service": ..., "method": ..., "args": [...]}}``. Streams and context values read records
with ``object.execute_kw(db, uid, password, model, "search_read", [domain], {fields,
offset, limit, order})``; the ``odoo_jsonrpc`` auth strategy supplies ``db``, ``uid`` and
``password``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from synchub.config.connector_parts import (
    IncrementalSpec,
    JMESPath,
    PaginatorSpec,
    SinglePaginatorSpec,
    StrictModel,
)

MODEL_NAME = r"^[a-z_][a-z0-9_.]*$"
# keyword arguments the runtime sets itself; ``kwargs`` may not repeat them
RESERVED_KWARGS = frozenset({"domain", "fields", "offset", "limit", "order"})


class OdooJsonRpcAuthSpec(StrictModel):
    """Odoo login: ``common.login`` once per client, then db, uid and password in each call."""

    type: Literal["odoo_jsonrpc"]
    path: str = Field(default="/jsonrpc", description="JSON-RPC endpoint of the login call.")
    db_field: str = Field(default="schema", description="Connection field with the database.")
    login_field: str = "login"
    secret_field: str = Field(
        default="password", description="Connection field with the password or API key.")


class JsonRpcStreamSpec(StrictModel):
    """A stream read with ``object.execute_kw`` ``search_read`` calls (Odoo)."""

    transport: Literal["jsonrpc"]
    path: str = Field(default="/jsonrpc", description="The JSON-RPC endpoint.")
    model: str = Field(pattern=MODEL_NAME, description="e.g. product.product")
    method: Literal["search_read"] = "search_read"
    domain: list[Any] = Field(
        default=[], description="Odoo domain; string values may hold {context.name}.")
    fields: list[str] = Field(default=[], description="Fields to read; empty reads all.")
    order: str | None = Field(default=None, description="e.g. 'write_date asc, id asc'")
    kwargs: dict[str, Any] = Field(
        default={}, description="More keyword arguments of the call, e.g. {context: {lang: x}}.")
    record_selector: JMESPath = Field(default="@", description="Applied to the call's result.")
    primary_key: str | list[str] = "id"
    paginator: PaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: int | None = Field(default=None, gt=0, description="Sent as the limit kwarg.")
    incremental: IncrementalSpec | None = None
    mappings: list[str] = []


class JsonRpcContextSpec(StrictModel):
    """A value read once per sync with ``search_read`` (e.g. the company currency)."""

    transport: Literal["jsonrpc"]
    path: str = "/jsonrpc"
    model: str = Field(pattern=MODEL_NAME)
    method: Literal["search_read"] = "search_read"
    domain: list[Any] = []
    fields: list[str] = []
    order: str | None = None
    limit: int | None = Field(default=None, gt=0)
    select: JMESPath = Field(description="Where the value is in the call's result.")
