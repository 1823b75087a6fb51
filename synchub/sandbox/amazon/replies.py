"""The SP-API's error envelope and list parameters, as every simulated operation answers."""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.http import Reply


def errors(status: int, code: str, message: str, details: str = "",
           headers: dict[str, str] | None = None) -> Reply:
    """The SP-API error envelope."""
    return Reply(status, {"errors": [{"code": code, "message": message, "details": details}]},
                 dict(headers or {}))


def invalid(message: str, details: str = "") -> Reply:
    """A 400 ``InvalidInput``."""
    return errors(400, "InvalidInput", message, details)


def list_of(query: Any, name: str) -> list[str]:
    """A comma-delimited (or repeated) list parameter."""
    return [v for raw in query.getlist(name) for v in raw.split(",") if v]
