"""Connector model of Udesk's Open API v2 signature (``auth: {type: udesk_v2}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synchub.config.connector_parts import StrictModel


class UdeskSignAuthSpec(StrictModel):
    """The super administrator's email and open_api_token from the Connection."""

    type: Literal["udesk_v2"]
    email_field: str = Field(default="login", description="The super administrator's email.")
    token_field: str = Field(default="password", description="The open_api_token (from "
                                                              "POST /log_in).")
