"""Connector models of ERPNext's auth and of the ``frappe_rest`` transport.

A stream lists one DocType: ``GET /api/resource/<DocType>`` with ``fields`` (a JSON list),
``filters`` (a JSON list of ``[field, operator, value]``), ``order_by`` and
``limit_start``/``limit_page_length``. Frappe answers ``{"data": [...]}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from synchub.config.connector_parts import (
    IncrementalSpec,
    JMESPath,
    OffsetPaginatorSpec,
    StrictModel,
)

DOCTYPE = r"^[A-Za-z][A-Za-z0-9 _-]*$"


class FrappeTokenAuthSpec(StrictModel):
    """``Authorization: token <api_key>:<api_secret>`` (a Frappe user's API key pair)."""

    type: Literal["frappe_token"]
    key_field: str = Field(default="login", description="Connection field with the API key.")
    secret_field: str = Field(default="password",
                              description="Connection field with the API secret.")


class FrappeStreamSpec(StrictModel):
    """A DocType listed through Frappe's REST API (``transport: frappe_rest``)."""

    transport: Literal["frappe_rest"]
    doctype: str = Field(pattern=DOCTYPE, description="e.g. Item, Bin, Delivery Note")
    fields: list[str] = Field(min_length=1, description="Always named: Frappe sends only "
                                                         "`name` when none are asked.")
    filters: list[list[Any]] = Field(
        default=[], description="[field, operator, value] terms; the window's are added.")
    order_by: str = Field(default="modified asc, name asc",
                          description="Deterministic order for offset paging.")
    record_selector: JMESPath = "data"
    primary_key: str | list[str] = "name"
    paginator: OffsetPaginatorSpec = OffsetPaginatorSpec(type="offset",
                                                         offset_param="limit_start")
    page_size: int = Field(default=500, gt=0, le=5000,
                           description="Sent as limit_page_length (Frappe's default is 20).")
    incremental: IncrementalSpec | None = None
    timezone_context: str = Field(
        default="site_timezone",
        description="Context value holding the site's IANA zone (System Settings "
                    "time_zone): the zone of `modified` and of the window sent.")
    mappings: list[str] = []
