"""Connector models of Salesforce's auth (``salesforce_oauth``) and SOQL streams."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synchub.config.connector import RestStreamSpec
from synchub.config.connector_parts import StrictModel


class SalesforceAuthSpec(StrictModel):
    """OAuth 2.0 for a connected app: the JWT bearer flow, or a refresh token.

    The token request goes to the Connection's host (``https://login.salesforce.com``,
    ``https://test.salesforce.com`` for a sandbox org, or the org's My Domain); the answer's
    ``instance_url`` is where every data call goes.
    """

    type: Literal["salesforce_oauth"]
    flow: Literal["jwt_bearer", "refresh_token"] = Field(
        default="jwt_bearer", description="jwt_bearer: an RS256 assertion signed with the "
                                          "private key; refresh_token: a stored refresh token.")
    token_path: str = Field(default="/services/oauth2/token",
                            description="Token endpoint relative to the Connection host.")
    client_id_field: str = Field(default="extra.client_id",
                                 description="The connected app's consumer key.")
    username_field: str = Field(default="login",
                                description="jwt_bearer: the Salesforce username (sub).")
    private_key_field: str = Field(
        default="extra.private_key",
        description="jwt_bearer: the PEM private key whose certificate the app holds.")
    audience: str | None = Field(
        default=None, description="jwt_bearer: the assertion's aud (default: the Connection "
                                  "host, e.g. https://login.salesforce.com).")
    assertion_seconds: int = Field(default=180, gt=0, le=300,
                                   description="jwt_bearer: the assertion's lifetime (exp).")
    client_secret_field: str | None = Field(
        default="extra.client_secret",
        description="refresh_token: the consumer secret (null when the app needs none).")
    refresh_token_field: str = Field(default="password",
                                     description="refresh_token: the refresh token.")


class SoqlStreamSpec(RestStreamSpec):
    """A SOQL query read page by page (``transport: salesforce_soql``).

    ``path`` is the query resource (``/services/data/v62.0/query``) on the instance URL;
    ``soql`` is ``SELECT <fields> FROM <object>``; the transport adds the window on the
    incremental cursor (``SystemModstamp``) and orders by it.
    """

    transport: Literal["salesforce_soql"]  # type: ignore[assignment]
    soql: str = Field(pattern=r"(?is)^\s*SELECT\s.+\sFROM\s+\w+\s*$",
                      description="SELECT <fields> FROM <object>, without WHERE or ORDER BY.")
    where: str | None = Field(default=None,
                              description="A fixed condition ANDed to the window, e.g. "
                                          "IsPersonAccount = true.")
