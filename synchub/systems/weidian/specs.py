"""What a Weidian connector file may say: the token auth, the streams, the answer's errors.

Weidian (微店) has one API URL, ``/api``, taking two JSON texts: ``public`` (the method,
its version, the format and the access token) and ``param`` (the business parameters).
The token comes from ``GET /token?grant_type=client_credential&appkey=...&secret=...``
and lives about 25 hours; its fetches are counted per day, so it is shared through a
token cache (``cache``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synchub.config.connector_parts import JMESPath, StrictModel, TokenCacheSpec
from synchub.systems.cn_gateway.specs import StorefrontStreamSpec

ParamValue = str | int | float | bool


class WeidianTokenAuthSpec(TokenCacheSpec):
    """``weidian_token``: the app's token (``grant_type=client_credential``).

    Each ``*_field`` names a Connection field; every value read is registered as a secret.
    """

    type: Literal["weidian_token"]
    token_path: str = Field(default="/token", description="Appended to the host.")
    appkey_field: str = Field(default="login", description="The app's appkey.")
    secret_field: str = Field(default="password", description="The app's secret.")
    expiry_margin_seconds: float = Field(
        default=600, ge=0, description="A token is renewed this long before it expires.")


class WeidianErrorsSpec(StrictModel):
    """Which ``status_code`` values are retried and which say the token is no good."""

    retriable_codes: list[str] = Field(
        default=["10029"], description="Codes retried after a backoff (calls too frequent).")
    auth_codes: list[str] = Field(
        default=["10013", "10016", "10026"],
        description="Codes that say the token is expired or invalid: a new one is taken "
                    "once, then the call fails.")


class WeidianStreamSpec(StorefrontStreamSpec):
    """A stream read from one Weidian API: ``GET /api?public=...&param=...``."""

    transport: Literal["weidian"]
    path: str = Field(default="/api", description="Appended to base_url.")
    method: str = Field(description="The API name, e.g. vdian.order.list.get.")
    version: str = Field(description="The API version, e.g. 1.5.")
    params: dict[str, ParamValue] = Field(default={}, description="Business parameters.")
    record_selector: JMESPath = Field(description="Applied inside the answer's result.")
    errors: WeidianErrorsSpec = WeidianErrorsSpec()
