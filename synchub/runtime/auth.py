"""Auth strategies: one small ``requests.auth.AuthBase`` per scheme, chosen by name.

Credentials come only from named Connection fields; every secret is registered for
redaction the moment it is read.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from synchub.config.connector import (
    BasicAuthSpec,
    BearerAuthSpec,
    HeaderTokenAuthSpec,
    NoAuthSpec,
    OAuth2ClientCredentialsAuthSpec,
    OAuth2RefreshTokenAuthSpec,
    QueryParamsAuthSpec,
)
from synchub.errors import ConfigError, FatalAPIError, register_secret
from synchub.registry import REGISTRY
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.token_auth import unauthenticated as _unauthenticated
from synchub.runtime.tokens import PROCESS_TOKENS, TokenCache


def connection_secret(conn: ConnectionInfo, field: str) -> str:
    value = str(conn.field(field))
    register_secret(value)
    return value


class HeaderTokenAuth(AuthBase):
    """Send a token in a named header."""

    def __init__(self, header: str, token: str, prefix: str = "") -> None:
        self.header, self.value = header, f"{prefix}{token}"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers[self.header] = self.value
        return r

    @classmethod
    def from_spec(cls, spec: HeaderTokenAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> HeaderTokenAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(spec.header, connection_secret(conn, spec.secret_field), spec.prefix)


class BasicAuth(AuthBase):
    """HTTP Basic; the header is computed once, not per request."""

    def __init__(self, login: str, password: str) -> None:
        token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        register_secret(token)
        self.value = f"Basic {token}"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self.value
        return r

    @classmethod
    def from_spec(cls, spec: BasicAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> BasicAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(connection_secret(conn, spec.login_field),
                   connection_secret(conn, spec.secret_field))


class BearerAuth(HeaderTokenAuth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        super().__init__("Authorization", token, "Bearer ")

    @classmethod
    def from_spec(cls, spec: BearerAuthSpec, conn: ConnectionInfo,  # type: ignore[override]
                  session: requests.Session, timeout: float) -> BearerAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(connection_secret(conn, spec.secret_field))


class QueryParamsAuth(AuthBase):
    """Credentials as query parameters (e.g. a consumer key and secret)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.prepare_url(r.url, self.params)
        return r

    @classmethod
    def from_spec(cls, spec: QueryParamsAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> QueryParamsAuth:
        """Build from the YAML declaration and the Connection."""
        return cls({param: connection_secret(conn, field) for param, field in spec.params.items()})


class OAuth2RefreshTokenAuth(AuthBase):
    """OAuth2 refresh-token grant: cache the access token until it expires; on 401 refresh once."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, refresh_token: str,
                 session: requests.Session, timeout: float, scope: str | None = None,
                 expiry_margin: float = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url, self.client_id, self.client_secret = token_url, client_id, client_secret
        self.refresh_token, self.scope, self.margin = refresh_token, scope, expiry_margin
        self.session, self.timeout, self.clock = session, timeout, clock
        self.access_token: str | None = None
        self.expires_at = 0.0
        self.refreshes = 0
        self._lock = threading.Lock()

    def token(self, *, force: bool = False, stale: str | None = None) -> str:
        """The cached access token, refreshed when expired (or when ``force``)."""
        with self._lock:
            # another thread may already have replaced the token that got the 401
            if force and stale is not None and self.access_token not in (None, stale):
                return self.access_token
            if force or self.access_token is None or self.clock() >= self.expires_at:
                self._refresh()
            return self.access_token  # type: ignore[return-value]

    def _refresh(self) -> None:
        data = {"grant_type": "refresh_token", "refresh_token": self.refresh_token,
                "client_id": self.client_id, "client_secret": self.client_secret}
        if self.scope:
            data["scope"] = self.scope
        # the session may carry this very auth (the HTTP client sets it): the token request
        # goes without it, or it would wait on the lock its caller holds
        resp = self.session.post(self.token_url, data=data, timeout=self.timeout,
                                 auth=_unauthenticated)
        body: Any = classify(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise FatalAPIError(f"token endpoint {self.token_url} answered without access_token",
                                status=resp.status_code, url=self.token_url)
        register_secret(token)
        self.access_token = token
        self.refreshes += 1
        expires_in = float(body.get("expires_in") or 3600)
        self.expires_at = self.clock() + max(0.0, expires_in - self.margin)
        if body.get("refresh_token"):  # rotating refresh tokens
            self.refresh_token = body["refresh_token"]
            register_secret(self.refresh_token)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token()}"
        r.register_hook("response", self._retry_on_401)  # type: ignore[no-untyped-call]
        return r

    def _retry_on_401(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        if resp.status_code != 401 or getattr(resp.request, "_synchub_refreshed", False):
            return resp
        stale = (resp.request.headers.get("Authorization") or "").removeprefix("Bearer ")
        token = self.token(force=True, stale=stale)
        resp.content  # noqa: B018 - drain the body so the connection returns to the pool
        resp.close()
        retry = resp.request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        retry._synchub_refreshed = True  # type: ignore[attr-defined]
        retry.hooks = {"response": []}
        new = resp.connection.send(retry, **kwargs)
        new.history.append(resp)
        new.request = retry
        return new

    @classmethod
    def from_spec(cls, spec: OAuth2RefreshTokenAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> OAuth2RefreshTokenAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(spec.token_url, str(conn.field(spec.client_id_field)),
                   connection_secret(conn, spec.client_secret_field),
                   connection_secret(conn, spec.refresh_token_field), session, timeout,
                   scope=spec.scope, expiry_margin=spec.expiry_margin_seconds)


class OAuth2ClientCredentialsAuth(OAuth2RefreshTokenAuth):
    """OAuth2 client-credentials grant: the app's token, fetched again before it expires.

    The token is cached until ``expires_in`` (less the margin) and fetched again once when
    the API answers 401 before then (a token revoked or expired early): the refresh-token
    scheme's loop, with a grant that needs nothing but the app's credentials. Vendors write
    ``expires_in`` as a number or as text (``"14399"``); both are read.
    """

    def __init__(self, token_url: str, client_id: str, client_secret: str,
                 session: requests.Session, timeout: float, *, client_auth: str = "body",
                 scope: str | None = None, default_expires_in: float = 3600,
                 expiry_margin: float = 60, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(token_url, client_id, client_secret, "", session, timeout,
                         scope=scope, expiry_margin=expiry_margin, clock=clock)
        self.client_auth, self.default_expires_in = client_auth, default_expires_in

    def _refresh(self) -> None:
        data = {"grant_type": "client_credentials"}
        auth: Any = _unauthenticated
        if self.client_auth == "basic":
            # replaces the session's own auth (this very object): no lock taken twice
            auth = HTTPBasicAuth(self.client_id, self.client_secret)
        else:
            data.update(client_id=self.client_id, client_secret=self.client_secret)
        if self.scope:
            data["scope"] = self.scope
        resp = self.session.post(self.token_url, data=data, timeout=self.timeout, auth=auth)
        body: Any = classify(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalAPIError(f"token endpoint {self.token_url} answered without "
                                "access_token", status=resp.status_code, url=self.token_url)
        register_secret(token)
        self.access_token = token
        self.refreshes += 1
        self.expires_at = self.clock() + max(0.0, _seconds(body.get("expires_in"),
                                                           self.default_expires_in)
                                             - self.margin)

    @classmethod
    def from_spec(cls, spec: OAuth2ClientCredentialsAuthSpec,  # type: ignore[override]
                  conn: ConnectionInfo, session: requests.Session,
                  timeout: float) -> OAuth2ClientCredentialsAuth:
        """Build from the YAML declaration and the Connection."""
        url = spec.token_url.replace("{host}", conn.base_url.rstrip("/"))
        return cls(url, connection_secret(conn, spec.client_id_field),
                   connection_secret(conn, spec.client_secret_field), session, timeout,
                   client_auth=spec.client_auth, scope=spec.scope,
                   default_expires_in=spec.default_expires_in,
                   expiry_margin=spec.expiry_margin_seconds)


def _seconds(value: Any, default: float) -> float:
    """A lifetime in seconds written as a number or as digits; ``default`` otherwise."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value.strip())
    return default


class NoAuth(AuthBase):
    """Sends no credentials (file streams: storage keys travel in the fsspec options)."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r

    @classmethod
    def from_spec(cls, spec: NoAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> NoAuth:
        """Build from the YAML declaration (nothing to read from the Connection)."""
        return cls()


AuthFactory = Callable[[Any, ConnectionInfo, requests.Session, float], AuthBase]
# the generic schemes, registered by the engine's ``core`` entry point; systems add their own
GENERIC_AUTH: dict[str, AuthFactory] = {
    "header_token": HeaderTokenAuth.from_spec,
    "basic": BasicAuth.from_spec,
    "bearer": BearerAuth.from_spec,
    "query_params": QueryParamsAuth.from_spec,
    "oauth2_refresh_token": OAuth2RefreshTokenAuth.from_spec,
    "oauth2_client_credentials": OAuth2ClientCredentialsAuth.from_spec,
    "none": NoAuth.from_spec,
}


def token_cache(spec: Any, conn: ConnectionInfo, tokens: TokenCache | None) -> TokenCache:
    """The cache ``auth.cache`` names: this process's, or the store's the caller handed in."""
    if spec.cache == "memory":
        return PROCESS_TOKENS
    if tokens is None:
        raise ConfigError(f"connection {conn.conn_id!r}: auth.cache is 'store' but this client "
                          "was opened without the hub's store; open it with tokens=...",
                          key="auth.cache")
    return tokens


def build_auth(spec: Any, conn: ConnectionInfo, session: requests.Session,
               timeout: float, tokens: TokenCache | None = None) -> AuthBase:
    """The auth object for a connector's ``auth`` declaration (a registered scheme).

    A scheme whose declaration has ``cache`` (a token fetched and shared) is also given the
    token cache it names, as ``tokens=``.
    """
    factory: AuthFactory = REGISTRY.get("auth", spec.type, key="auth.type")
    if hasattr(spec, "cache"):
        return factory(spec, conn, session, timeout,  # type: ignore[call-arg]
                       tokens=token_cache(spec, conn, tokens))
    return factory(spec, conn, session, timeout)
