"""The ``weidian_token`` auth scheme: the app's token, put into each call's ``public``.

``GET <host>/token?grant_type=client_credential&appkey=...&secret=...`` answers
``{"result": {"access_token", "expire_in"}, "status": {"status_code": 0, ...}}``;
``expire_in`` is seconds (90000, 25 hours). Weidian counts these fetches per day, so the
token is asked of the token cache the connector names (``auth.cache``, ADR 0020): with
``store`` every worker of the hub shares one token and one fetch. The token travels inside
the ``public`` JSON of each call, where this auth writes it (in the query of a GET, in
the form of a POST). A token an API refuses before its expiry is renewed once
(:meth:`WeidianTokenAuth.renew`, called by the transport).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from synchub.errors import FatalAPIError
from synchub.runtime.auth import connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.token_auth import KeptTokenAuth, unauthenticated
from synchub.runtime.tokens import CachedToken, TokenCache, TokenKeeper, TokenKey
from synchub.systems.weidian.errors import refusal
from synchub.systems.weidian.specs import WeidianTokenAuthSpec


def with_token(public: str, token: str) -> str:
    """The ``public`` JSON text with ``access_token`` set."""
    data = json.loads(public)
    data["access_token"] = token
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _rewrite(pairs: list[tuple[str, str]], token: str) -> list[tuple[str, str]] | None:
    if not any(k == "public" for k, _ in pairs):
        return None
    return [(k, with_token(v, token) if k == "public" else v) for k, v in pairs]


class WeidianTokenAuth(KeptTokenAuth):
    """Asks the token cache for the app's token; writes it into ``public``."""

    def __init__(self, spec: WeidianTokenAuthSpec, token_url: str, appkey: str, secret: str,
                 session: requests.Session, timeout: float, conn_id: str,
                 tokens: TokenCache, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.spec, self.token_url, self.conn_id = spec, token_url, conn_id
        self.appkey, self._secret = appkey, secret
        self.session, self.timeout, self.clock = session, timeout, clock
        # the token is the app's: the key names the token URL and the appkey (digested)
        key = TokenKey.of(conn_id, token_url, appkey)
        self.keeper = TokenKeeper(tokens, key, self._fetch, margin=spec.expiry_margin_seconds,
                                  clock=clock)

    def _fetch(self, previous: CachedToken | None = None) -> CachedToken:
        # the app's token is taken again with the app's secret: ``previous`` is not needed
        params = {"grant_type": "client_credential", "appkey": self.appkey,
                  "secret": self._secret}
        # the session carries this very auth: the token request goes without it
        resp = self.session.get(self.token_url, params=params, timeout=self.timeout,
                                auth=unauthenticated)
        body: Any = classify(resp)
        where = f"GET {self.token_url}"
        found = refusal(body)
        if found is not None:
            code, reason = found
            raise FatalAPIError(
                f"connection {self.conn_id!r}: {where} refused the app (status_code {code}: "
                f"{reason or 'no reason'}); check the appkey (login) and secret (password) "
                "of the Connection", status=resp.status_code, url=self.token_url)
        result = body.get("result") if isinstance(body, dict) else None
        token = result.get("access_token") if isinstance(result, dict) else None
        expire_in = result.get("expire_in") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalAPIError(f"{where} answered without result.access_token",
                                status=resp.status_code, url=self.token_url)
        if isinstance(expire_in, str) and expire_in.isdigit():
            expire_in = int(expire_in)
        if not isinstance(expire_in, int | float) or isinstance(expire_in, bool):
            raise FatalAPIError(f"{where} answered without a lifetime in seconds "
                                f"(result.expire_in is {type(expire_in).__name__})",
                                status=resp.status_code,
                                url=self.token_url)
        return CachedToken(token, self.clock() + float(expire_in))

    def attach(self, r: requests.PreparedRequest, token: str) -> requests.PreparedRequest:
        """The token inside ``public``: in the query of a GET, in the form of a POST."""
        parts = urlsplit(r.url or "")
        query = _rewrite(parse_qsl(parts.query, keep_blank_values=True), token)
        if query is not None:
            r.url = urlunsplit(parts._replace(query=urlencode(query)))
            return r
        body = r.body.decode() if isinstance(r.body, bytes) else r.body
        if isinstance(body, str) and "public=" in body:
            form = _rewrite(parse_qsl(body, keep_blank_values=True), token)
            if form is not None:
                r.prepare_body(urlencode(form), None)
        return r

    @classmethod
    def from_spec(cls, spec: WeidianTokenAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float, *,
                  tokens: TokenCache) -> WeidianTokenAuth:
        """Build from the YAML declaration, the Connection and the token cache."""
        return cls(spec, conn.base_url.rstrip("/") + spec.token_path,
                   connection_secret(conn, spec.appkey_field),
                   connection_secret(conn, spec.secret_field), session, timeout,
                   conn.conn_id, tokens)
