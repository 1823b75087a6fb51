"""The ``youzan_token`` auth scheme: a shop's token from ``/auth/token``, in the query.

A self-built app (自用型应用) asks for its shop's token with ``POST /auth/token`` and the
JSON ``{client_id, client_secret, authorize_type: "silent", grant_id: <kdt_id>, refresh:
false}``; the answer's ``data`` holds ``access_token`` and ``expires``, the moment it
lapses in epoch milliseconds. The token is cached and taken anew ``expiry_margin_seconds``
before that moment, or when an API refuses it (:meth:`YouzanTokenAuth.renew`, called by
the transport once per refusal). Every call carries it as ``?access_token=``.
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
from synchub.runtime.token_auth import RenewingTokenAuth, token_in_query, unauthenticated
from synchub.systems.youzan.errors import refusal
from synchub.systems.youzan.specs import YouzanTokenAuthSpec


class YouzanTokenAuth(RenewingTokenAuth):
    """Caches the shop's token; adds it to every request's query."""

    def __init__(self, spec: YouzanTokenAuthSpec, token_url: str, client_id: str,
                 client_secret: str, grant_id: str, session: requests.Session,
                 timeout: float, conn_id: str,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.spec, self.token_url, self.conn_id = spec, token_url, conn_id
        self.client_id, self._secret, self.grant_id = client_id, client_secret, grant_id
        self.session, self.timeout, self.clock = session, timeout, clock
        self.access_token: str | None = None
        self.expires_at = 0.0        # epoch seconds
        self.fetches = 0
        self._lock = threading.Lock()

    def token(self) -> str:
        """The cached token, taken anew when it is missing or about to lapse."""
        with self._lock:
            if self.access_token is None or \
                    self.clock() >= self.expires_at - self.spec.expiry_margin_seconds:
                self._fetch()
            return self.access_token  # type: ignore[return-value]

    def renew_stale(self, stale: str | None) -> str:
        """A new token unless another thread already replaced ``stale``."""
        with self._lock:
            if self.access_token is None or self.access_token == stale:
                self._fetch()
            return self.access_token  # type: ignore[return-value]

    def _fetch(self) -> None:
        payload = {"client_id": self.client_id, "client_secret": self._secret,
                   "authorize_type": "silent", "grant_id": self.grant_id, "refresh": False}
        # the session carries this very auth: the token request goes without it
        resp = self.session.post(self.token_url, json=payload, timeout=self.timeout,
                                 auth=unauthenticated)
        body: Any = classify(resp)
        where = f"POST {self.token_url}"
        found = refusal(body)
        if found is not None:
            code, message = found
            raise FatalAPIError(
                f"connection {self.conn_id!r}: {where} refused the app (code {code or '-'}: "
                f"{message or 'no message'}); check client_id, client_secret and extra "
                "kdt_id of the Connection", status=resp.status_code, url=self.token_url)
        data = body.get("data") if isinstance(body, dict) else None
        token = data.get("access_token") if isinstance(data, dict) else None
        expires = data.get("expires") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalAPIError(f"{where}: the answer has no data.access_token",
                                status=resp.status_code, url=self.token_url)
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise FatalAPIError(f"{where}: data.expires is not epoch milliseconds "
                                f"({type(expires).__name__})", status=resp.status_code,
                                url=self.token_url)
        register_secret(token)
        self.access_token, self.expires_at = token, float(expires) / 1000
        self.fetches += 1

    def attach(self, r: requests.PreparedRequest, token: str) -> requests.PreparedRequest:
        """The token as ``?access_token=``."""
        return token_in_query(r, self.spec.token_param, token)

    @classmethod
    def from_spec(cls, spec: YouzanTokenAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> YouzanTokenAuth:
        """Build from the YAML declaration and the Connection (every value a secret)."""
        return cls(spec, conn.base_url.rstrip("/") + spec.token_path,
                   connection_secret(conn, spec.client_id_field),
                   connection_secret(conn, spec.client_secret_field),
                   str(conn.field(spec.grant_id_field)), session, timeout, conn.conn_id)
