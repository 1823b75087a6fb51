"""The ``weimob_oauth2`` auth scheme: a token from ``/fuwu/b/oauth2/token``, in the query.

``POST <host>/fuwu/b/oauth2/token?grant_type=...&client_id=...&client_secret=...`` with an
empty JSON body (as Weimob's own SDK sends it) answers ``{access_token, expires_in (seconds),
token_type, scope, business_id, public_account_id, ...}``; the authorization-code and
refresh grants add ``refresh_token`` and ``refresh_token_expires_in``. Grants:

- ``client_credentials`` (``shop_id``, ``shop_type``): a self-built app, no refresh token;
  a new token is simply taken again;
- ``authorization_code`` (``code``, ``redirect_uri``): traded once; afterwards
  ``refresh_token`` grants renew the token. A listed app's refresh token rotates: each
  refresh retires the one presented and hands back a new one.

The tokens live in the token cache ``auth.cache`` names (ADR 0020), the refresh token
beside the access token: with ``store`` (required for ``authorization_code``) the first
code exchange seeds the store's row, and every later task on any worker refreshes with the
newest refresh token found there, the row locked meanwhile, so none presents one the vendor
already retired. The token is taken anew ``expiry_margin_seconds`` before it lapses, or when
an API refuses it (:meth:`WeimobAuth.renew`, called by the transport once per refusal).
Every API call carries it as ``?accesstoken=``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from synchub.errors import FatalAPIError, register_secret
from synchub.runtime.auth import connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.token_auth import KeptTokenAuth, token_in_query, unauthenticated
from synchub.runtime.tokens import CachedToken, TokenCache, TokenKeeper, TokenKey
from synchub.systems.weimob.errors import refusal
from synchub.systems.weimob.specs import WeimobAuthSpec


def _seconds(value: Any) -> bool:
    """Whether ``value`` is a number of seconds (a JSON number, not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional(conn: ConnectionInfo, field: str | None, *, secret: bool = False) -> str | None:
    """A Connection field that may be empty (None then)."""
    if not field:
        return None
    value = conn.extra.get(field[6:]) if field.startswith("extra.") else getattr(conn, field, None)
    if value in (None, ""):
        return None
    if secret:
        register_secret(str(value))
    return str(value)


class WeimobAuth(KeptTokenAuth):
    """Asks the token cache for the token, renewing it by the grant that applies; adds it to
    every request's query."""

    def __init__(self, spec: WeimobAuthSpec, token_url: str, client_id: str,
                 client_secret: str, session: requests.Session, timeout: float, conn_id: str,
                 tokens: TokenCache, *, shop_id: str | None = None,
                 shop_type: str | None = None, code: str | None = None,
                 redirect_uri: str | None = None, refresh_token: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.spec, self.token_url, self.conn_id = spec, token_url, conn_id
        self.client_id, self._secret = client_id, client_secret
        self.shop_id, self.shop_type = shop_id, shop_type
        self._code, self.redirect_uri = code, redirect_uri
        self._given_refresh = refresh_token
        self.session, self.timeout, self.clock = session, timeout, clock
        # the token is the app's for one shop (or merchant): digested, never the values
        self.key = TokenKey.of(conn_id, token_url, spec.grant, client_id, shop_id or "")
        self.keeper = TokenKeeper(tokens, self.key, self._fetch,
                                  margin=spec.expiry_margin_seconds, clock=clock)
        self._code_lock = threading.Lock()

    # --- the token ------------------------------------------------------------------------
    def _fetch(self, held: CachedToken | None) -> CachedToken:
        """A new token by the grant that applies (the cache keeps it, and its refresh token,
        before any request uses it)."""
        params = self._grant(held)
        try:
            body = self._post(params)
        except FatalAPIError:
            code = self._take_code() if params["grant_type"] == "refresh_token" else None
            if code is None:
                raise
            # the refresh token was refused (the merchant authorized the app again, which
            # retires it): the new code the Connection holds is traded instead
            params, held = self._code_grant(code), None
            body = self._post(params)
        return self._parse(body, held if params["grant_type"] == "refresh_token" else None)

    def _grant(self, held: CachedToken | None) -> dict[str, str]:
        """The grant's parameters: refresh with the cached refresh token while it lives;
        with none cached, the Connection's refresh token, else its code (once); for a
        self-built app, the client credentials."""
        if self.spec.grant == "client_credentials":
            shop = {k: v for k, v in (("shop_id", self.shop_id), ("shop_type", self.shop_type))
                    if v}
            return {"grant_type": "client_credentials", **self._client(), **shop}
        refresh = self._refresh_token(held)
        if refresh:
            return {"grant_type": "refresh_token", **self._client(), "refresh_token": refresh}
        code = self._take_code()
        if code is not None:
            return self._code_grant(code)
        raise FatalAPIError(
            f"connection {self.conn_id!r}: no live refresh token and no authorization code "
            f"left to take a Weimob token with; authorize the app again and put the new code "
            f"in {self.spec.code_field} of the Connection", url=self.token_url)

    def _refresh_token(self, held: CachedToken | None) -> str | None:
        """The refresh token to present: the cached one (the newest: the vendor retires
        each one it renews with); the Connection's only seeds a cache that holds none,
        since once the cache has one, the Connection's is retired."""
        if held is None or held.refresh is None:
            return self._given_refresh
        if held.refresh_expires_at is not None and self.clock() >= held.refresh_expires_at:
            return None
        return held.refresh

    def _take_code(self) -> str | None:
        """The Connection's authorization code, handed out once (a code trades once)."""
        with self._code_lock:
            code, self._code = self._code, None
            return code

    def _code_grant(self, code: str) -> dict[str, str]:
        grant = {"grant_type": "authorization_code", **self._client(), "code": code}
        if self.redirect_uri:
            grant["redirect_uri"] = self.redirect_uri
        return grant

    def _client(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self._secret}

    def _post(self, params: dict[str, str]) -> Any:
        # the session carries this very auth: the token request goes without it
        resp = self.session.post(self.token_url, params=params, json={}, timeout=self.timeout,
                                 auth=unauthenticated)
        if resp.status_code in (400, 401, 403):
            raise FatalAPIError(self._refused(resp, params["grant_type"]),
                                status=resp.status_code, url=self.token_url)
        body = classify(resp)
        if isinstance(body, dict) and not body.get("access_token") and (
                body.get("error") or refusal(body) is not None):
            # a refusal answered with HTTP 200 (an OAuth error or Weimob's envelope)
            raise FatalAPIError(self._refused(resp, params["grant_type"], body),
                                status=resp.status_code, url=self.token_url)
        return body

    def _refused(self, resp: requests.Response, grant: str, body: Any = None) -> str:
        if body is None:
            try:
                body = resp.json()
            except ValueError:
                body = {}
        body = body if isinstance(body, dict) else {}
        found = refusal(body)
        error = body.get("error") or (found and found[0]) or resp.status_code
        detail = body.get("error_description") or (found and found[1]) or resp.reason
        hint = {"client_credentials": "check client_id, client_secret, extra shop_id and "
                                      "shop_type of the Connection",
                "authorization_code": "the code may be used or expired: authorize again",
                "refresh_token": "the refresh token may have expired or been replaced: "
                                 f"authorize again and put the new code in "
                                 f"{self.spec.code_field}"}[grant]
        return (f"connection {self.conn_id!r}: POST {self.token_url} refused the {grant} "
                f"grant ({error}: {detail}); {hint}")

    def _parse(self, body: Any, held: CachedToken | None) -> CachedToken:
        """The answer as a cached token; ``held`` is the token a refresh renewed, whose
        refresh token stays in force when the answer hands back none."""
        where = f"POST {self.token_url}"
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalAPIError(f"{where}: the answer has no access_token", url=self.token_url)
        expires_in = body.get("expires_in")
        if not _seconds(expires_in):
            raise FatalAPIError(f"{where}: expires_in is not a number of seconds "
                                f"({type(expires_in).__name__})", url=self.token_url)
        now = self.clock()
        register_secret(token)
        refresh = body.get("refresh_token") or None
        refresh_in = body.get("refresh_token_expires_in")
        if refresh:
            register_secret(str(refresh))
            refresh_at = now + float(refresh_in) if _seconds(refresh_in) else None
        elif held is not None:
            refresh, refresh_at = held.refresh, held.refresh_expires_at
        else:
            refresh_at = None
        return CachedToken(token, now + float(expires_in), refresh and str(refresh), refresh_at)

    def attach(self, r: requests.PreparedRequest, token: str) -> requests.PreparedRequest:
        """The token as ``?accesstoken=``."""
        return token_in_query(r, self.spec.token_param, token)

    @classmethod
    def from_spec(cls, spec: WeimobAuthSpec, conn: ConnectionInfo, session: requests.Session,
                  timeout: float, *, tokens: TokenCache) -> WeimobAuth:
        """Build from the YAML declaration, the Connection (every value a secret) and the
        token cache ``auth.cache`` names."""
        code = redirect = refresh = shop_id = shop_type = None
        if spec.grant == "client_credentials":
            shop_id = _optional(conn, spec.shop_id_field)
            shop_type = _optional(conn, spec.shop_type_field)
        else:
            code = _optional(conn, spec.code_field, secret=True)
            redirect = _optional(conn, spec.redirect_uri_field)
            refresh = _optional(conn, spec.refresh_token_field, secret=True)
        return cls(spec, conn.base_url.rstrip("/") + spec.token_path,
                   connection_secret(conn, spec.client_id_field),
                   connection_secret(conn, spec.client_secret_field), session, timeout,
                   conn.conn_id, tokens, shop_id=shop_id, shop_type=shop_type, code=code,
                   redirect_uri=redirect, refresh_token=refresh)
