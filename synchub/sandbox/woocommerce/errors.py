"""WordPress REST error bodies: ``{"code", "message", "data": {"status", ...}}``."""

from __future__ import annotations

from typing import Any

from synchub.sandbox.kit.http import Reply


def wp_body(status: int, code: str, message: str, **data: Any) -> dict[str, Any]:
    """The error body (``data`` carries the status first, then e.g. ``params``)."""
    return {"code": code, "message": message, "data": {"status": status, **data}}


def wp_error(status: int, code: str, message: str, **data: Any) -> Reply:
    """A WordPress-shaped error reply."""
    return Reply(status, wp_body(status, code, message, **data))


def invalid_param(name: str, text: str) -> Reply:
    """WordPress's 400 for a bad parameter (``rest_invalid_param``)."""
    return wp_error(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                    params={name: text})


def invalid_json() -> Reply:
    """WordPress's 400 for a body that is not JSON."""
    return wp_error(400, "rest_invalid_json", "Invalid JSON body passed.")


def invalid_id(kind: str) -> Reply:
    """WooCommerce's 404 for an unknown ``kind`` (``shop_order``, ``product``...)."""
    return wp_error(404, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")
