"""Salesforce OAuth 2.0: an access token and the instance it is valid on.

``jwt_bearer``: ``POST <login host>/services/oauth2/token`` with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and a fresh RS256 assertion
(:mod:`.assertion`); no refresh token comes back, a new assertion gets a new token.
``refresh_token``: the same endpoint with ``grant_type=refresh_token``. Both answers carry
``access_token`` and ``instance_url`` (the org's own host, where the data API lives) but no
lifetime: the token is kept until Salesforce refuses it with 401 ``INVALID_SESSION_ID``
(the session timed out), then fetched again and the request sent once more.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.auth import AuthBase

from synchub.errors import ConfigError, FatalAPIError, register_secret
from synchub.runtime.auth import connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.salesforce.assertion import jwt_assertion, load_private_key
from synchub.systems.salesforce.specs import SalesforceAuthSpec

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _bare(r: requests.PreparedRequest) -> requests.PreparedRequest:
    """No auth for the token request itself (the session carries this very auth)."""
    return r


class SalesforceAuth(AuthBase):
    """Bearer token from the JWT or refresh-token grant; knows the org's instance URL."""

    def __init__(self, token_url: str, form: Callable[[], dict[str, str]],
                 session: requests.Session, timeout: float) -> None:
        self.token_url, self._form = token_url, form
        self.session, self.timeout = session, timeout
        self.access_token: str | None = None
        self._instance: str | None = None
        self.fetches = 0
        self._lock = threading.Lock()

    def instance_url(self) -> str:
        """The org's instance (``https://<domain>.my.salesforce.com``), fetched with a token."""
        self.token()
        assert self._instance is not None
        return self._instance

    def token(self, *, stale: str | None = None) -> str:
        """The held access token; a new one when none is held or ``stale`` was refused."""
        with self._lock:
            if self.access_token is None or (stale is not None
                                             and self.access_token == stale):
                self._fetch()
            assert self.access_token is not None
            return self.access_token

    def _fetch(self) -> None:
        resp = self.session.post(self.token_url, data=self._form(), timeout=self.timeout,
                                 auth=_bare)
        body: Any = classify(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        instance = body.get("instance_url") if isinstance(body, dict) else None
        if not token or not instance:
            raise FatalAPIError(f"token endpoint {self.token_url} answered without "
                                "access_token and instance_url", status=resp.status_code,
                                url=self.token_url)
        register_secret(token)
        self.access_token, self._instance = token, str(instance).rstrip("/")
        self.fetches += 1

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token()}"
        r.register_hook("response", self._again_on_expired)  # type: ignore[no-untyped-call]
        return r

    def _again_on_expired(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        """A 401 (INVALID_SESSION_ID): a new token, the request sent once more."""
        if resp.status_code != 401 or getattr(resp.request, "_synchub_renewed", False):
            return resp
        stale = (resp.request.headers.get("Authorization") or "").removeprefix("Bearer ")
        token = self.token(stale=stale)
        resp.content  # noqa: B018 - drain the body so the connection returns to the pool
        resp.close()
        again = resp.request.copy()
        again.headers["Authorization"] = f"Bearer {token}"
        again._synchub_renewed = True  # type: ignore[attr-defined]
        again.hooks = {"response": []}
        new = resp.connection.send(again, **kwargs)
        new.history.append(resp)
        new.request = again
        return new

    @classmethod
    def from_spec(cls, spec: SalesforceAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> SalesforceAuth:
        """Build from the YAML declaration and the Connection (secrets registered)."""
        host = conn.base_url.rstrip("/")
        client_id = str(conn.field(spec.client_id_field))
        if spec.flow == "jwt_bearer":
            form = _jwt_form(spec, conn, host, client_id)
        else:
            form = _refresh_form(spec, conn, client_id)
        return cls(host + spec.token_path, form, session, timeout)


def _jwt_form(spec: SalesforceAuthSpec, conn: ConnectionInfo, host: str,
              client_id: str) -> Callable[[], dict[str, str]]:
    username = str(conn.field(spec.username_field))
    pem = connection_secret(conn, spec.private_key_field)
    try:
        key: rsa.RSAPrivateKey = load_private_key(pem)
    except ValueError as exc:
        raise ConfigError(f"connection {conn.conn_id!r}: {spec.private_key_field}: {exc}",
                          key="auth.private_key_field") from None
    audience = spec.audience or host

    def form() -> dict[str, str]:
        assertion = jwt_assertion(client_id=client_id, username=username, audience=audience,
                                  issued_at=time.time(), lifetime=spec.assertion_seconds,
                                  key=key)
        return {"grant_type": JWT_GRANT, "assertion": assertion}
    return form


def _refresh_form(spec: SalesforceAuthSpec, conn: ConnectionInfo,
                  client_id: str) -> Callable[[], dict[str, str]]:
    data = {"grant_type": "refresh_token", "client_id": client_id,
            "refresh_token": connection_secret(conn, spec.refresh_token_field)}
    if spec.client_secret_field:
        # an app may require no secret for the refresh token flow
        with contextlib.suppress(ConfigError):
            data["client_secret"] = connection_secret(conn, spec.client_secret_field)
    return lambda: dict(data)


def salesforce_auth(auth: object) -> SalesforceAuth:
    """The client's auth as a :class:`SalesforceAuth` (the transport and writer need its
    instance URL)."""
    if not isinstance(auth, SalesforceAuth):
        raise ConfigError("Salesforce streams and writers need auth type salesforce_oauth",
                          key="auth.type")
    return auth
