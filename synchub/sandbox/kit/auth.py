"""Credential checks the vendors use: a token in a header, HTTP Basic or query-string key
pairs, bearer tokens. Every comparison takes constant time. (No simulated vendor has an
OAuth2 token endpoint yet; a bearer token is checked as a fixed private-app token.)
:class:`IssuedTokens` keeps the access tokens a simulated token endpoint issues."""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time

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


class IssuedTokens:
    """The access tokens a store's token endpoint issued, each with its expiry.

    Mixed into a store beside :class:`~synchub.sandbox.kit.store.BaseStore` (whose
    ``lock`` guards them); the store calls :meth:`init_tokens` in its ``__init__`` and
    words the token endpoint's answer around :meth:`mint_token`. A test shortens
    ``token_seconds`` or lapses every token with :meth:`expire_tokens`.
    """

    lock: threading.RLock

    def init_tokens(self, seconds: int) -> None:
        """No token issued yet; new ones last ``seconds``."""
        self.token_seconds = seconds
        self.tokens: dict[str, float] = {}          # token -> expiry, epoch seconds

    def mint_token(self) -> tuple[str, float]:
        """A new token and its expiry in epoch seconds."""
        token = secrets.token_hex(16)
        expires = time.time() + self.token_seconds
        self.tokens[token] = expires
        return token, expires

    def token_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not lapsed."""
        expires = self.tokens.get(token)
        return expires is not None and time.time() < expires

    def expire_tokens(self) -> None:
        """Every token issued so far lapses now (the next call needs a new one)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0
