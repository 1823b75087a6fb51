"""Connector models of SF Express's standard service (``POST /std/service``).

Every call is one form POST to one URL: ``partnerID``, ``requestID``, ``serviceCode``,
``timestamp``, ``msgData`` (the business request as JSON text) and ``msgDigest``. The
``sf_digest`` auth adds the credentials, the request id, the timestamp and the digest; the
``sf_service`` transport sends a stream's ``msg_data`` (``{input.x}`` placeholders filled
for store-fed streams) under its ``service_code`` and opens the answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from synchub.config.connector_inputs import StoreInputsSpec
from synchub.config.connector_parts import JMESPath, SinglePaginatorSpec, StrictModel


class SfDigestAuthSpec(StrictModel):
    """SF's customer code and check word from the Connection (``*_field``: a Connection field)."""

    type: Literal["sf_digest"]
    partner_id_field: str = Field(default="login", description="The customer code (顾客编码).")
    checkword_field: str = Field(default="password", description="The check word (校验码).")


class SfServiceStreamSpec(StrictModel):
    """A stream read through SF's standard service: one service code, one JSON request."""

    transport: Literal["sf_service"]
    path: str = Field(default="/std/service", description="Appended to base_url.")
    service_code: str = Field(description="The service, e.g. EXP_RECE_SEARCH_ROUTES.")
    msg_data: dict[str, Any] = Field(
        description="The business request sent as msgData; string values may hold "
                    "{input.x} (store-fed streams) and {conn.<field>} (a Connection field, "
                    "e.g. {conn.extra.check_phone}); a list holding one such string is "
                    "filled the same way.")
    omit_empty: list[str] = Field(
        default=[], description="Keys of msg_data left out when their value is empty.")
    record_selector: JMESPath = Field(
        description="Applied to the decoded apiResultData, e.g. msgData.routeResps.")
    primary_key: str | list[str] = "mailNo"
    paginator: SinglePaginatorSpec = SinglePaginatorSpec(type="single")
    page_size: None = None
    inputs: StoreInputsSpec | None = None
    mappings: list[str] = []
