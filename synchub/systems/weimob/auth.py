"""The ``weimob_oauth2`` auth scheme: a token from ``/fuwu/b/oauth2/token``, in the query.

``POST <host>/fuwu/b/oauth2/token?grant_type=...&client_id=...&client_secret=...`` with an
empty JSON body (as Weimob's own SDK sends it) answers ``{access_token, expires_in (seconds),
token_type, scope, business_id, public_account_id, ...}``; the authorization-code and
refresh grants add ``refresh_token`` and ``refresh_token_expires_in``. Grants:

- ``client_credentials`` (``shop_id``, ``shop_type``): a self-built app, no refresh token;
  a new token is simply taken again;
- ``authorization_code`` (``code``, ``redirect_uri``): traded once; afterwards
  ``refresh_token`` grants renew the token, and a refresh token handed back replaces the
  old one in the :class:`~synchub.systems.weimob.tokens.TokenCache`.

The token is taken anew ``expiry_margin_seconds`` before it lapses, or when an API refuses
it (:meth:`WeimobAuth.renew`, called by the transport once per refusal). Every API call
carries it as ``?accesstoken=``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase

from synchub.errors import FatalAPIError, register_secret
from synchub.runtime.auth import connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.weimob.errors import refusal
from synchub.systems.weimob.specs import WeimobAuthSpec
from synchub.systems.weimob.tokens import MemoryTokenCache, TokenCache, TokenSet, cache_key


def _unauthenticated(r: requests.PreparedRequest) -> requests.PreparedRequest:
    return r


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


class WeimobAuth(AuthBase):
    """Takes, caches and renews the token; adds it to every request's query."""

    def __init__(self, spec: WeimobAuthSpec, token_url: str, client_id: str,
                 client_secret: str, session: requests.Session, timeout: float, conn_id: str,
                 *, shop_id: str | None = None, shop_type: str | None = None,
                 code: str | None = None, redirect_uri: str | None = None,
                 refresh_token: str | None = None, cache: TokenCache | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.spec, self.token_url, self.conn_id = spec, token_url, conn_id
        self.client_id, self._secret = client_id, client_secret
        self.shop_id, self.shop_type = shop_id, shop_type
        self._code, self.redirect_uri = code, redirect_uri
        self._given_refresh = refresh_token
        self.session, self.timeout, self.clock = session, timeout, clock
        self.cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self.key = cache_key(conn_id, client_id, shop_id)
        self.fetches = 0
        self._lock = threading.Lock()
        self._sent = threading.local()   # the token this thread's last request carried

    # --- the token ------------------------------------------------------------------------
    def token(self) -> str:
        """The cached token, taken anew when it is missing or about to lapse."""
        with self._lock:
            held = self.cache.load(self.key)
            if held is None or self.clock() >= held.expires_at - self.spec.expiry_margin_seconds:
                held = self._take(held)
            return held.access_token

    def renew(self, stale: str | None = None) -> str:
        """A new token after an API refused ``stale`` (by default the one this thread's
        last request carried); a token another thread already renewed is kept."""
        stale = stale if stale is not None else getattr(self._sent, "token", None)
        with self._lock:
            held = self.cache.load(self.key)
            if held is None or held.access_token == stale:
                held = self._take(held)
            return held.access_token

    def _take(self, held: TokenSet | None) -> TokenSet:
        """A new token by the grant that applies; saved before it is used."""
        params = self._grant(held)
        body = self._post(params)
        tokens = self._parse(body, held)
        self.cache.save(self.key, tokens)
        self.fetches += 1
        return tokens

    def _grant(self, held: TokenSet | None) -> dict[str, str]:
        """The grant's parameters: refresh when a live refresh token is held, else the
        code once, else (self-built apps) the client credentials."""
        base = {"client_id": self.client_id, "client_secret": self._secret}
        if self.spec.grant == "client_credentials":
            shop = {k: v for k, v in (("shop_id", self.shop_id), ("shop_type", self.shop_type))
                    if v}
            return {"grant_type": "client_credentials", **base, **shop}
        refresh = held.refresh_token if held is not None else None
        if refresh and held is not None and held.refresh_expires_at is not None \
                and self.clock() >= held.refresh_expires_at:
            refresh = None
        refresh = refresh or self._given_refresh
        if refresh:
            return {"grant_type": "refresh_token", **base, "refresh_token": refresh}
        if self._code:
            code, self._code = self._code, None     # a code is good for one trade only
            grant = {"grant_type": "authorization_code", **base, "code": code}
            if self.redirect_uri:
                grant["redirect_uri"] = self.redirect_uri
            return grant
        raise FatalAPIError(
            f"connection {self.conn_id!r}: no refresh token and no authorization code left "
            f"to take a Weimob token with; authorize the app again and put the new code in "
            f"{self.spec.code_field} of the Connection", url=self.token_url)

    def _post(self, params: dict[str, str]) -> Any:
        # the session carries this very auth: the token request goes without it
        resp = self.session.post(self.token_url, params=params, json={}, timeout=self.timeout,
                                 auth=_unauthenticated)
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
                                 "authorize again"}[grant]
        return (f"connection {self.conn_id!r}: POST {self.token_url} refused the {grant} "
                f"grant ({error}: {detail}); {hint}")

    def _parse(self, body: Any, held: TokenSet | None) -> TokenSet:
        where = f"POST {self.token_url}"
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalAPIError(f"{where}: the answer has no access_token", url=self.token_url)
        expires_in = body.get("expires_in")
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            raise FatalAPIError(f"{where}: expires_in is not a number of seconds "
                                f"({type(expires_in).__name__})", url=self.token_url)
        now = self.clock()
        register_secret(token)
        refresh = body.get("refresh_token") or None
        refresh_in = body.get("refresh_token_expires_in")
        if refresh:
            register_secret(str(refresh))
        elif held is not None and self.spec.grant != "client_credentials":
            # a refresh that hands back no new refresh token leaves the old one in force
            refresh, refresh_in = held.refresh_token, None
        refresh_at = now + float(refresh_in) if isinstance(refresh_in, int | float) and \
            not isinstance(refresh_in, bool) else (held.refresh_expires_at if held else None)
        return TokenSet(token, now + float(expires_in), refresh, refresh_at)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        self._sent.token = token
        r.prepare_url(r.url, {self.spec.token_param: token})
        return r

    @classmethod
    def from_spec(cls, spec: WeimobAuthSpec, conn: ConnectionInfo, session: requests.Session,
                  timeout: float, cache: TokenCache | None = None) -> WeimobAuth:
        """Build from the YAML declaration and the Connection (every value a secret)."""
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
                   conn.conn_id, shop_id=shop_id, shop_type=shop_type, code=code,
                   redirect_uri=redirect, refresh_token=refresh, cache=cache)
