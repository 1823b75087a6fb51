"""Credential checks the vendors use: a token in a header, HTTP Basic or query-string key
pairs, bearer tokens. Every comparison takes constant time. (No simulated vendor has an
OAuth2 token endpoint yet; a bearer token is checked as a fixed private-app token.)"""

from __future__ import annotations

import base64
import hmac

from starlette.requests import Request


def same_secret(given: str, expected: str) -> bool:
    """True when ``given`` equals ``expected``, compared in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def header_token(request: Request, header: str, expected: str) -> bool:
    """True when the request's ``header`` (``X-Shopify-Access-Token``, ``DHL-API-Key``...)
    holds ``expected``."""
    return same_secret(request.headers.get(header.lower(), ""), expected)


def key_pair(request: Request, key_param: str, secret_param: str) -> tuple[str, str]:
    """The key and secret a request carries: HTTP Basic (key as user, secret as password)
    when there is an ``Authorization: Basic`` header, else the two query parameters.
    A Basic header that does not decode gives empty strings."""
    key = request.query_params.get(key_param, "")
    secret = request.query_params.get(secret_param, "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            key = secret = ""
    return key, secret


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>`` (empty without one)."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""
