"""What a Weimob connector file may say: the OAuth2 auth, the streams, the answer's errors.

Weimob's WOS APIs live at ``/apigw/<product>/<version>/<action>?accesstoken=...``, each a
JSON POST whose answer is ``{code: {errcode, errmsg}, data}``. A token comes from
``/fuwu/b/oauth2/token`` (OAuth 2.0): a self-built app takes one with its client
credentials for one shop; a listed app trades the merchant's authorization code once and
then refreshes (docs/systems/weimob.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from synchub.config.connector_parts import JMESPath, StrictModel, TokenCacheSpec
from synchub.systems.cn_gateway.specs import StorefrontStreamSpec


class WeimobAuthSpec(TokenCacheSpec):
    """``weimob_oauth2``: an access token in the ``accesstoken`` query parameter.

    ``grant`` says how a token is taken: ``client_credentials`` (a self-built app, 自有型应用:
    ``shop_id``/``shop_type`` name the shop) or ``authorization_code`` (a listed app: the
    code is traded once, then ``refresh_token`` grants renew it; a refresh token the
    Connection holds is used first). Each ``*_field`` names a Connection field; every value
    read is registered as a secret. ``cache`` is where the tokens live (ADR 0020); a listed
    app needs ``store``, its refresh token rotating.
    """

    type: Literal["weimob_oauth2"]
    token_path: str = Field(default="/fuwu/b/oauth2/token", description="Appended to the host.")
    grant: Literal["client_credentials", "authorization_code"] = "client_credentials"
    client_id_field: str = Field(default="login", description="The app's client_id.")
    client_secret_field: str = Field(default="password", description="The app's client_secret.")
    shop_id_field: str | None = Field(
        default="extra.shop_id", description="client_credentials: the shop's id (bosId).")
    shop_type_field: str | None = Field(
        default="extra.shop_type", description="client_credentials: its type, e.g. "
                                               "business_operation_system_id.")
    code_field: str = Field(default="extra.code",
                            description="authorization_code: the code from the redirect.")
    redirect_uri_field: str = Field(default="extra.redirect_uri",
                                    description="authorization_code: the app's redirect_uri.")
    refresh_token_field: str = Field(
        default="extra.refresh_token", description="authorization_code: a refresh token "
                                                   "already held (used before the code).")
    token_param: str = Field(default="accesstoken",
                             description="The query parameter carrying the token.")
    expiry_margin_seconds: float = Field(
        default=300, ge=0, description="A token is renewed this long before it expires.")

    @model_validator(mode="after")
    def _listed_apps_keep_tokens_in_the_store(self) -> WeimobAuthSpec:
        # each refresh retires the refresh token presented: one kept in a process's memory
        # is lost with it, and the next task, holding only a used code, is locked out
        if self.grant == "authorization_code" and self.cache != "store":
            raise ValueError("grant 'authorization_code' needs cache: store (the refresh "
                             "token rotates and must outlive the task that received it)")
        return self


class WeimobErrorsSpec(StrictModel):
    """Which ``code.errcode`` values are retried and which say the token is no good.

    Weimob does not publish its codes on one page: the defaults are the sandbox's
    (docs/systems/weimob.md); set them when the vendor answers others.
    """

    retriable_codes: list[str] = Field(
        default=["80001001000128"], description="Codes retried after a backoff (call rate).")
    auth_codes: list[str] = Field(
        default=["80001001000119"], description="Codes that say the token is expired or "
                                                "invalid: a new one is taken once.")


class WeimobDetailSpec(StrictModel):
    """A detail API called per listed record that lacks ``missing`` (its lines)."""

    path: str = Field(description="The detail API, e.g. "
                                  "/apigw/weimob_shop/v2.0/order/detail/get.")
    key: JMESPath = Field(description="The listed record's id, e.g. "
                                      "orderInfo.orderBaseInfo.orderNo.")
    key_param: str = Field(description="The body key the id goes in, e.g. orderNo.")
    missing: JMESPath = Field(description="Where the record holds what the list may leave "
                                          "out.")


class WeimobStreamSpec(StorefrontStreamSpec):
    """A stream read from one WOS API: a JSON POST to ``path``.

    ``body`` is the fixed part of the JSON (strings ``{connection.<field>}`` filled from the
    Connection); the page, its size and the window are set at dotted paths into it
    (``incremental.start_param: queryParameter.queryTime.startTime``).
    """

    transport: Literal["weimob"]
    path: str = Field(description="e.g. /apigw/weimob_shop/v2.0/order/list/search.")
    body: dict[str, Any] = Field(default={}, description="The fixed JSON body.")
    detail: WeimobDetailSpec | None = None
    errors: WeimobErrorsSpec = WeimobErrorsSpec()
