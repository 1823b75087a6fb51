"""Magento 2 REST authentication, the scheme chosen in the Connection.

- ``bearer``: the integration's access token sent as ``Authorization: Bearer``. Since
  2.4.4 a store accepts that only with "Allow OAuth Access Tokens to be used as standalone
  Bearer tokens" switched on; otherwise the token must sign requests (``oauth1``).
- ``oauth1``: OAuth 1.0a (RFC 5849) with HMAC-SHA256, the integration's consumer key and
  secret and its access token and secret. Every request is signed as it is prepared, over
  its method, its URL without the query and every query parameter (``searchCriteria[...]``
  included: leaving them out is the classic "invalid signature"), so a retry is signed
  afresh with a new nonce and timestamp. A JSON body is not signed (RFC 5849 3.4.1.3 signs
  form bodies only).
- ``admin_token``: an admin user's name and password exchanged at
  ``POST /rest/V1/integration/admin/token`` for a token that lives 4 hours, renewed before
  then and once more on a 401. For stores that offer neither of the above.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from synchub.errors import ConfigError, FatalAPIError, register_secret
from synchub.runtime.auth import BearerAuth, OAuth2RefreshTokenAuth, connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.magento.specs import MagentoAuthSpec

SCHEMES = ("bearer", "oauth1", "admin_token")
DIGESTS = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}


def pct(value: str) -> str:
    """RFC 5849 3.6 percent-encoding: everything but ``A-Z a-z 0-9 - . _ ~``."""
    return quote(value, safe="-._~")


def base_string_uri(url: str) -> str:
    """RFC 5849 3.4.1.2: scheme and host lower-case, default port dropped, no query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    scheme = parts.scheme.lower()
    if port and (scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def normalized_params(pairs: list[tuple[str, str]]) -> str:
    """RFC 5849 3.4.1.3.2: encode, sort by name then value, join with ``&``."""
    encoded = sorted((pct(k), pct(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def signature_base_string(method: str, url: str, oauth: dict[str, str],
                          form: list[tuple[str, str]] | None = None) -> str:
    """RFC 5849 3.4.1: method, base URI and every parameter but the signature itself."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    params = query + [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
    params += form or []
    return "&".join((pct(method.upper()), pct(base_string_uri(url)),
                     pct(normalized_params(params))))


def sign(base: str, consumer_secret: str, token_secret: str,
         method: str = "HMAC-SHA256") -> str:
    """RFC 5849 3.4.2: HMAC over the base string, key ``secret&token_secret``, base64."""
    key = f"{pct(consumer_secret)}&{pct(token_secret)}".encode()
    digest = hmac.new(key, base.encode(), DIGESTS[method]).digest()
    return base64.b64encode(digest).decode("ascii")


class OAuth1Auth(AuthBase):
    """Signs each request with OAuth 1.0a in the ``Authorization`` header."""

    def __init__(self, consumer_key: str, consumer_secret: str, token: str,
                 token_secret: str, *, method: str = "HMAC-SHA256",
                 clock: Callable[[], float] = time.time,
                 new_nonce: Callable[[], str] = lambda: secrets.token_hex(16)) -> None:
        self.consumer_key, self._consumer_secret = consumer_key, consumer_secret
        self.token, self._token_secret, self.method = token, token_secret, method
        self.clock, self.new_nonce = clock, new_nonce

    def header(self, method: str, url: str, form: list[tuple[str, str]] | None = None) -> str:
        """The ``Authorization`` value for one request."""
        oauth = {"oauth_consumer_key": self.consumer_key, "oauth_nonce": self.new_nonce(),
                 "oauth_signature_method": self.method,
                 "oauth_timestamp": str(int(self.clock())), "oauth_token": self.token,
                 "oauth_version": "1.0"}
        base = signature_base_string(method, url, oauth, form)
        oauth["oauth_signature"] = sign(base, self._consumer_secret, self._token_secret,
                                        self.method)
        return "OAuth " + ",".join(f'{k}="{pct(v)}"' for k, v in oauth.items())

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        form = None
        if (r.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded") and r.body:
            body = r.body.decode() if isinstance(r.body, bytes) else str(r.body)
            form = parse_qsl(body, keep_blank_values=True)
        r.headers["Authorization"] = self.header(r.method or "GET", r.url or "", form)
        return r


class AdminTokenAuth(OAuth2RefreshTokenAuth):
    """An admin token from ``POST /V1/integration/admin/token``, cached until it expires.

    Reuses the engine's refresh-token auth for what it shares (the lock, the expiry, one
    renewal on a 401); only how a token is fetched differs: a JSON body of user name and
    password, answered by the token as a bare JSON string.
    """

    def __init__(self, token_url: str, username: str, password: str,
                 session: requests.Session, timeout: float, lifetime: float) -> None:
        super().__init__(token_url, username, password, "", session, timeout,
                         expiry_margin=300)
        self.lifetime = lifetime

    def _refresh(self) -> None:
        resp = self.session.post(self.token_url, timeout=self.timeout,
                                 json={"username": self.client_id,
                                       "password": self.client_secret},
                                 auth=lambda r: r)
        body: Any = classify(resp)
        if not isinstance(body, str) or not body:
            raise FatalAPIError(f"{self.token_url} answered without a token",
                                status=resp.status_code, url=self.token_url)
        register_secret(body)
        self.access_token = body
        self.refreshes += 1
        self.expires_at = self.clock() + max(0.0, self.lifetime - self.margin)


def build(spec: MagentoAuthSpec, conn: ConnectionInfo, session: requests.Session,
          timeout: float) -> AuthBase:
    """The auth the Connection's ``auth_scheme`` asks for (``bearer`` when it names none)."""
    try:
        scheme = str(conn.field(spec.scheme_field)).strip()
    except ConfigError:
        scheme = "bearer"
    if scheme == "bearer":
        return BearerAuth(connection_secret(conn, spec.token_field))
    if scheme == "oauth1":
        return OAuth1Auth(connection_secret(conn, spec.consumer_key_field),
                          connection_secret(conn, spec.consumer_secret_field),
                          connection_secret(conn, spec.access_token_field),
                          connection_secret(conn, spec.access_token_secret_field))
    if scheme == "admin_token":
        host = str(conn.field("host")).rstrip("/")
        return AdminTokenAuth(host + spec.admin_token_path, str(conn.field(spec.username_field)),
                              connection_secret(conn, spec.password_field), session, timeout,
                              lifetime=spec.admin_token_hours * 3600)
    raise ConfigError(f"connection {conn.conn_id!r}: {spec.scheme_field} is {scheme!r}; "
                      f"use one of {', '.join(SCHEMES)}", key=spec.scheme_field)
