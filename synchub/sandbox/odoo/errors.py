"""Odoo exceptions as the server reports them over JSON-RPC, and the ones a test can inject."""

from __future__ import annotations

FAULT_MESSAGES = {
    "psycopg2.errors.SerializationFailure":
        "could not serialize access due to concurrent update",
    "psycopg2.errors.DeadlockDetected": "deadlock detected",
    "odoo.exceptions.AccessError": "You are not allowed to access this document.",
    "odoo.exceptions.AccessDenied": "Access Denied",
    "odoo.exceptions.UserError": "The operation cannot be completed.",
    "odoo.exceptions.ValidationError": "The operation cannot be completed.",
    "odoo.exceptions.MissingError": "Record does not exist or has been deleted.",
}


class RpcFault(Exception):
    """An Odoo exception as the server reports it: its qualified class name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


def invalid(message: str) -> RpcFault:
    """Odoo raises ValueError for a malformed domain, field, order or value."""
    return RpcFault("builtins.ValueError", message)


def validation(message: str) -> RpcFault:
    """``odoo.exceptions.ValidationError``."""
    return RpcFault("odoo.exceptions.ValidationError", message)


def user_error(message: str) -> RpcFault:
    """``odoo.exceptions.UserError``."""
    return RpcFault("odoo.exceptions.UserError", message)
