"""Login with Amazon (LWA): a refresh-token grant whose access token travels as
``x-amz-access-token`` (the Selling Partner API needs no request signing since 2023)."""

from __future__ import annotations

import json
from typing import Any, Literal

import requests
from pydantic import Field

from synchub.config.connector_parts import StrictModel
from synchub.runtime.auth import OAuth2RefreshTokenAuth, connection_secret
from synchub.runtime.connection import ConnectionInfo

HEADER = "x-amz-access-token"
# the error codes with which the API refuses an access token it no longer takes
TOKEN_REFUSED = frozenset({"Unauthorized", "InvalidToken", "InvalidAccessToken",
                           "ExpiredToken"})


class LwaAuthSpec(StrictModel):
    """LWA refresh-token grant; credentials from the Connection (login, password, extra)."""

    type: Literal["lwa_refresh_token"]
    token_url: str = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - an endpoint
    client_id_field: str = Field(default="login", description="Connection field: LWA client id.")
    client_secret_field: str = Field(
        default="password", description="Connection field: LWA client secret.")
    refresh_token_field: str = Field(
        default="extra.refresh_token", description="Connection field: the seller's refresh "
                                                   "token from authorizing the app.")
    token_url_field: str | None = Field(
        default="extra.token_url", description="Connection field that, when set, replaces "
                                               "token_url (a sandbox, a proxy).")
    expiry_margin_seconds: float = Field(default=120, ge=0)


def token_url(spec: LwaAuthSpec, conn: ConnectionInfo) -> str:
    """The token endpoint: the Connection's, when it names one, else the declared one."""
    field = spec.token_url_field
    if field and field.startswith("extra."):
        named = conn.extra.get(field[6:])
    elif field:
        named = getattr(conn, field, None)
    else:
        named = None
    return str(named) if named else spec.token_url


def refused_token(resp: requests.Response) -> bool:
    """A 401, or a 403 whose ``errors[]`` say the access token was refused."""
    if resp.status_code == 401:
        return True
    if resp.status_code != 403:
        return False
    try:
        body: Any = json.loads(resp.content or b"{}")
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return any(isinstance(e, dict) and e.get("code") in TOKEN_REFUSED for e in errors or ())


class LwaAuth(OAuth2RefreshTokenAuth):
    """The LWA access token in ``x-amz-access-token``, refreshed before it expires and once
    more when the API refuses it (401, or 403 ``Unauthorized``/``InvalidToken``)."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url == self.token_url:
            # the grant itself goes through the same session: it carries no access token
            return r
        r.headers[HEADER] = self.token()
        r.register_hook("response", self._retry_refused)  # type: ignore[no-untyped-call]
        return r

    def _retry_refused(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        if not refused_token(resp) or getattr(resp.request, "_synchub_refreshed", False):
            return resp
        token = self.token(force=True, stale=resp.request.headers.get(HEADER))
        resp.content  # noqa: B018 - drain the body so the connection returns to the pool
        resp.close()
        retry = resp.request.copy()
        retry.headers[HEADER] = token
        retry._synchub_refreshed = True  # type: ignore[attr-defined]
        retry.hooks = {"response": []}
        new = resp.connection.send(retry, **kwargs)
        new.history.append(resp)
        new.request = retry
        return new

    @classmethod
    def from_spec(cls, spec: LwaAuthSpec, conn: ConnectionInfo,  # type: ignore[override]
                  session: requests.Session, timeout: float) -> LwaAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(token_url(spec, conn), connection_secret(conn, spec.client_id_field),
                   connection_secret(conn, spec.client_secret_field),
                   connection_secret(conn, spec.refresh_token_field), session, timeout,
                   expiry_margin=spec.expiry_margin_seconds)
