"""What a Youzan connector file may say: the token auth, the streams, the answer's errors.

Youzan Cloud (有赞云) is no signed gateway: a token is taken from ``/auth/token`` with the
app's credentials and the shop's id, and every API is its own URL,
``/api/<method>/<version>?access_token=...``, with the business parameters as a JSON body.
The answers are an envelope whose shape follows the API's version (:mod:`.errors`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synchub.config.connector_parts import StrictModel
from synchub.systems.cn_gateway.specs import DetailSpec, StorefrontStreamSpec

ParamValue = str | int | float | bool


class YouzanTokenAuthSpec(StrictModel):
    """``youzan_token``: a self-built app's token for one shop (``authorize_type: silent``).

    Each ``*_field`` names a Connection field; every value read is registered as a secret.
    """

    type: Literal["youzan_token"]
    token_path: str = Field(default="/auth/token", description="Appended to the host.")
    client_id_field: str = Field(default="login", description="The app's client_id.")
    client_secret_field: str = Field(default="password",
                                     description="The app's client_secret.")
    grant_id_field: str = Field(default="extra.kdt_id",
                                description="The shop's kdt_id, sent as grant_id.")
    token_param: str = Field(default="access_token",
                             description="The query parameter carrying the token.")
    expiry_margin_seconds: float = Field(
        default=300, ge=0, description="A token is renewed this long before it expires.")


class YouzanErrorsSpec(StrictModel):
    """Which error codes are retried and which say the token is no good."""

    retriable_codes: list[str] = Field(
        default=["20001"], description="Codes retried after a backoff (call rate exceeded).")
    auth_codes: list[str] = Field(
        default=["10003"], description="Codes that say the token is expired or invalid: "
                                       "a new one is taken once, then the call fails.")


class YouzanDetailSpec(DetailSpec):
    """A second call per page through another API (``youzan.item.get`` for the SKUs the
    item list leaves out); its own URL, ``/api/<method>/<version>``."""

    version: str = Field(description="The detail API's version, e.g. 3.0.0.")


class YouzanStreamSpec(StorefrontStreamSpec):
    """A stream read from one Youzan API: POST JSON to ``/api/<method>/<version>``."""

    transport: Literal["youzan"]
    method: str = Field(description="The API name, e.g. youzan.trades.sold.get.")
    version: str = Field(description="The API version, e.g. 4.0.4.")
    params: dict[str, ParamValue] = Field(default={}, description="Business parameters.")
    errors: YouzanErrorsSpec = YouzanErrorsSpec()
    detail: YouzanDetailSpec | None = Field(
        default=None, description="Each page's records read again through a detail API, "
                                  "batch_size ids a call; its records are handed on.")
