"""``inputs:`` of a stream: the hub's own store says what to ask the API about.

A courier's tracking endpoint cannot list "my parcels"; it answers about one tracking number
at a time. Such a stream declares where its inputs come from (a named store query) and the
pipeline runs one request series per input, filling ``{input.<name>}`` placeholders in
the path and params (see :mod:`synchub.pipeline.source`).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from synchub.config.connector_parts import Duration, StrictModel


class StoreInputsSpec(StrictModel):
    """Feed a stream from the store: one request series per open parcel of these carriers."""

    from_store: str = Field(
        description="Registered source (kind source). open_parcels: shipments with a "
                    "tracking number whose "
                    "carrier matches, seen within max_age, not yet delivered, returned or "
                    "expired; one input per tracking number with tracking_number, carrier, "
                    "order_connection, order_external_id, shipment_id.")
    carriers: list[str] = Field(
        min_length=1, description="Words matched case-insensitively in the parcel's carrier "
                                  "name ('acme' matches 'ACME Express' and 'Acme Parcel').")
    max_age: Duration = Field(
        default=timedelta(days=30),
        description="Parcels whose shipment record has not changed for longer are not asked.")
    not_found: list[int] = Field(
        default_factory=lambda: [404],
        description="HTTP statuses meaning 'the API does not know this input': the stream "
                    "gets a record {_input, _not_found: true} instead of failing.")
    match_field: str | None = Field(
        default=None, description="Keep one record per input: the one whose top-level field "
                                  "equals the tracking number, else the first.")
    batch_size: int = Field(
        default=1, ge=1,
        description="Inputs asked about in one request series (an API taking up to N "
                    "numbers a call). Above 1, {input.<name>} is the inputs' values joined "
                    "with commas, a body's {for_each_input: ...} is repeated per input, and "
                    "match_field gives each record its input; an input no record matches "
                    "is not found.")

    @model_validator(mode="after")
    def _batch_needs_match(self) -> StoreInputsSpec:
        if self.batch_size > 1 and not self.match_field:
            raise ValueError("batch_size above 1 needs match_field: the field that tells "
                             "which input a record answers")
        return self
