"""Connector model of Magento's auth (``auth: {type: magento}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synchub.config.connector_parts import StrictModel


class MagentoAuthSpec(StrictModel):
    """Which Connection fields hold what; the scheme itself is chosen in the Connection.

    The Connection's ``extra.auth_scheme`` says how this store is reached: ``bearer`` (the
    integration's access token as a Bearer token, for stores that allow it), ``oauth1``
    (the integration's four keys, every request signed with HMAC-SHA256), or
    ``admin_token`` (an admin user's name and password exchanged for a 4-hour token).
    """

    type: Literal["magento"]
    scheme_field: str = Field(default="extra.auth_scheme",
                              description="bearer (default), oauth1 or admin_token.")
    token_field: str = Field(default="password",
                             description="bearer: the integration's access token.")
    consumer_key_field: str = "extra.consumer_key"
    consumer_secret_field: str = "extra.consumer_secret"  # noqa: S105 - a field name
    access_token_field: str = "extra.access_token"  # noqa: S105 - a field name
    access_token_secret_field: str = "extra.access_token_secret"  # noqa: S105 - a field name
    username_field: str = Field(default="login", description="admin_token: the admin user.")
    password_field: str = Field(default="password",
                                description="admin_token: the admin user's password.")
    admin_token_path: str = Field(default="/rest/V1/integration/admin/token",
                                  description="Relative to the Connection's host.")
    admin_token_hours: float = Field(default=4, gt=0, description="Magento's default "
                                     "admin token lifetime; renewed a few minutes before.")
