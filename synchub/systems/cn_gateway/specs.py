"""Connector models of the signed single-URL gateways (Taobao TOP, JD JOS, Pinduoduo).

One URL; the API's method is a parameter; system parameters (app key, session, timestamp,
signature) travel beside the business parameters as form fields, or (JD) the business
parameters as one JSON text parameter. Every name is a key here, so the three vendors share
one transport (``gateway``) and one auth scheme (``gateway_signed``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator

from synchub.config.connector_parts import (
    Duration,
    IncrementalSpec,
    JMESPath,
    PageNumberPaginatorSpec,
    SinglePaginatorSpec,
    StrictModel,
)

ParamValue = str | int | float | bool


class GatewaySignedAuthSpec(StrictModel):
    """Credentials and a signature as request parameters (``*_field``: a Connection field)."""

    type: Literal["gateway_signed"]
    signer: str = Field(description="A registered signer: top_md5, top_hmac, "
                                     "top_hmac_sha256, jd_md5, pdd_md5.")
    app_key_param: str = Field(default="app_key", description="PDD: client_id.")
    app_key_field: str = "login"
    secret_field: str = Field(default="password", description="The app secret.")
    session_param: str | None = Field(
        default="session", description="The seller's token parameter (JD, PDD: access_token).")
    session_field: str = "extra.session"
    timestamp_param: str = "timestamp"
    timestamp_format: Literal["datetime", "epoch_s", "epoch_ms"] = Field(
        default="datetime", description="datetime: YYYY-MM-DD HH:MM:SS in timestamp_timezone "
                                        "(TOP, JD); epoch_s: unix seconds (PDD).")
    timestamp_timezone: str = "Asia/Shanghai"
    sign_param: str = "sign"
    sign_method_param: str | None = Field(
        default="sign_method", description="Sent with the signer's method name (md5, hmac, "
                                           "hmac-sha256); null when the API has none (PDD).")


class BackwardPagesPaginatorSpec(StrictModel):
    """Numbered pages read from the last back to the first.

    The first request (page ``start_page``) tells the total at ``total_path``; when more
    pages follow, it is read again last, after the pages from the last one down.
    """

    type: Literal["backward_pages"]
    page_param: str = "page_no"
    start_page: int = 1
    total_path: JMESPath = Field(description="Where the answer holds the record count.")


GatewayPaginatorSpec = Annotated[
    BackwardPagesPaginatorSpec | PageNumberPaginatorSpec | SinglePaginatorSpec,
    Field(discriminator="type"),
]


class WindowedIncrementalSpec(IncrementalSpec):
    """An incremental window cut into windows of at most ``window_size``, each read whole."""

    window_size: Duration = Field(description="The longest window the API takes (e.g. 30m; "
                                              "Taobao: at most 1d).")

    @field_validator("window_size")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("must be longer than zero")
        return v


class StorefrontStreamSpec(StrictModel):
    """What a stream of a token-authorized storefront API (Youzan, Weidian, Weimob) says
    beside how its calls are addressed: where the records are, their id, the pages and the
    window. Each transport adds its address and its errors."""

    record_selector: JMESPath = Field(description="Applied inside the answer's data.")
    primary_key: str = Field(
        default="id", description="JMESPath of a record's id (repeats in a window dropped).")
    paginator: GatewayPaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: WindowedIncrementalSpec | None = None
    mappings: list[str] = []


class GatewayErrorsSpec(StrictModel):
    """Where the error envelope holds what, and which errors are retried or are auth errors."""

    envelope: str = Field(default="error_response", description="The error envelope's key.")
    code: str = "code"
    message: str = "msg"
    sub_code: str = "sub_code"
    sub_message: str = "sub_msg"
    retriable_codes: list[str] = Field(
        default=["7", "10"], description="Codes retried (throttled, unavailable).")
    retriable_sub_codes: list[str] = Field(
        default=["accesscontrol.limited-by-*", "isv.*-service-unavailable",
                 "isp.*-service-unavailable", "isp.top-remote-connection-timeout"],
        description="Sub codes retried (shell-style patterns).")
    auth_codes: list[str] = Field(default=["26", "27"],
                                  description="Codes that say the session is missing or bad.")
    auth_sub_codes: list[str] = Field(default=["*invalid-sessionkey*", "*session-expired*"])
    ban_pattern: str = Field(
        default=r"ban will last for (\d+) more seconds",
        description="A regex whose first group is the seconds to wait, found in the messages.")
    success_path: JMESPath | None = Field(
        default=None, description="Inside the success envelope, a flag that must be true "
                                  "(JD: *.apiResult.success); false is a vendor error "
                                  "classified like an error envelope.")
    result_code_path: JMESPath | None = Field(
        default=None, description="With success_path: the result's error code.")
    result_message_path: JMESPath | None = Field(
        default=None, description="With success_path: the result's error message.")


class DetailSpec(StrictModel):
    """A second call per page: the page's records named by id, a batch a call, whose answer's
    records take the place of the page's (a list API that lacks what a detail API gives).

    What every transport's detail call says; a transport adds how its calls are addressed.
    """

    method: str = Field(description="The detail API, e.g. taobao.items.seller.list.get.")
    params: dict[str, ParamValue] = Field(default={}, description="Its business parameters.")
    id_path: JMESPath = Field(description="The id of a list record, e.g. num_iid.")
    ids_param: str = Field(description="The parameter that names the ids, e.g. num_iids.")
    separator: str = Field(default=",", description="Between the ids of one call.")
    batch_size: int = Field(gt=0, description="Ids per call: the API's maximum (TOP: 20). "
                                              "With 1 the id goes as the list gives it "
                                              "(a number stays a number).")
    record_selector: JMESPath = Field(description="Applied inside the detail's envelope.")


class GatewayDetailSpec(DetailSpec):
    """A ``gateway`` stream's detail call: the same signed URL, its own envelope."""

    response_key: str | None = Field(
        default=None, description="The detail's envelope; default the stream's "
                                  "response_key template, rendered with this method.")


class GatewayStreamSpec(StrictModel):
    """A stream read through a signed gateway: one URL, the method as a parameter."""

    transport: Literal["gateway"]
    path: str = Field(default="", description="Appended to base_url, e.g. /router/rest.")
    method: str = Field(description="The API name, e.g. taobao.trades.sold.increment.get.")
    method_param: str = Field(default="method", description="PDD: type.")
    system_params: dict[str, ParamValue] = Field(
        default={"v": "2.0", "format": "json"},
        description="Fixed system parameters (PDD: {data_type: JSON, version: V1}).")
    params: dict[str, ParamValue] = Field(default={}, description="Business parameters.")
    json_param: str | None = Field(
        default=None, description="Send the business parameters as one JSON text parameter "
                                  "of this name (JD: 360buy_param_json).")
    response_key: str = Field(
        default="{method}_response", description="The answer's envelope; {method} is the "
                                                 "method with dots as underscores.")
    response_drop_prefix: str | None = Field(
        default=None, description="Left off the method in {method} (TOP: 'taobao.': "
                                  "taobao.trade.get answers trade_get_response).")
    errors: GatewayErrorsSpec = GatewayErrorsSpec()
    record_selector: JMESPath = Field(description="Applied inside the envelope.")
    primary_key: str | list[str] = "id"
    paginator: GatewayPaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str | None = None
    incremental: WindowedIncrementalSpec | None = None
    detail: GatewayDetailSpec | None = Field(
        default=None, description="Each page's records read again through a detail API, "
                                  "batch_size ids a call; its records are handed on.")
    mappings: list[str] = []
