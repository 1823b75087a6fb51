"""eBay OAuth: a user access token from the seller's refresh token, the app's client id and
secret sent as HTTP Basic (``POST /identity/v1/oauth2/token``)."""

from __future__ import annotations

from typing import Any, Literal

import requests
from pydantic import Field
from requests.auth import HTTPBasicAuth

from synchub.config.connector_parts import StrictModel
from synchub.errors import FatalAPIError, register_secret
from synchub.runtime.auth import OAuth2RefreshTokenAuth, connection_secret
from synchub.runtime.classify import classify
from synchub.runtime.connection import ConnectionInfo

TOKEN_URL = "https://api.ebay.com/identity/v1/oauth2/token"  # noqa: S105 - an endpoint
# the scopes the hub's streams and writes need (fulfillment, inventory, finances)
SCOPES = ("https://api.ebay.com/oauth/api_scope/sell.fulfillment "
          "https://api.ebay.com/oauth/api_scope/sell.inventory "
          "https://api.ebay.com/oauth/api_scope/sell.finances")


class EbayAuthSpec(StrictModel):
    """eBay's refresh-token grant; credentials from the Connection (login, password, extra)."""

    type: Literal["ebay_refresh_token"]
    token_url: str = TOKEN_URL
    client_id_field: str = Field(default="login", description="Connection field: the app's "
                                                              "client id (App ID).")
    client_secret_field: str = Field(
        default="password", description="Connection field: the app's client secret "
                                        "(Cert ID).")
    refresh_token_field: str = Field(
        default="extra.refresh_token", description="Connection field: the seller's refresh "
                                                   "token (about 18 months).")
    token_url_field: str | None = Field(
        default="extra.token_url", description="Connection field that, when set, replaces "
                                               "token_url (eBay's sandbox, the hub's).")
    scope: str = Field(default=SCOPES, description="Space-separated scopes: those the "
                                                   "refresh token was granted, or fewer.")
    expiry_margin_seconds: float = Field(default=300, ge=0)


def token_url(spec: EbayAuthSpec, conn: ConnectionInfo) -> str:
    """The token endpoint: the Connection's, when it names one, else the declared one."""
    field = spec.token_url_field
    named: Any = None
    if field and field.startswith("extra."):
        named = conn.extra.get(field[6:])
    elif field:
        named = getattr(conn, field, None)
    return str(named) if named else spec.token_url


class EbayAuth(OAuth2RefreshTokenAuth):
    """The user token as ``Authorization: Bearer``, refreshed before it expires (about
    7,200 s) and once more on a 401; the grant itself carries the app's credentials as HTTP
    Basic, which is how eBay's token endpoint takes them."""

    def _refresh(self) -> None:
        data = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        if self.scope:
            data["scope"] = self.scope
        # basic auth replaces the session's own (this very object): no lock taken twice
        resp = self.session.post(self.token_url, data=data, timeout=self.timeout,
                                 auth=HTTPBasicAuth(self.client_id, self.client_secret))
        body: Any = classify(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise FatalAPIError(f"token endpoint {self.token_url} answered without "
                                "access_token", status=resp.status_code, url=self.token_url)
        register_secret(token)
        self.access_token = token
        self.refreshes += 1
        expires_in = float(body.get("expires_in") or 7200)
        self.expires_at = self.clock() + max(0.0, expires_in - self.margin)

    @classmethod
    def from_spec(cls, spec: EbayAuthSpec, conn: ConnectionInfo,  # type: ignore[override]
                  session: requests.Session, timeout: float) -> EbayAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(token_url(spec, conn), connection_secret(conn, spec.client_id_field),
                   connection_secret(conn, spec.client_secret_field),
                   connection_secret(conn, spec.refresh_token_field), session, timeout,
                   scope=spec.scope, expiry_margin=spec.expiry_margin_seconds)
