"""Checks of a connector's ``sf_service`` streams that span several keys."""

from __future__ import annotations

from typing import Any

from synchub.config.connector import ConnectorSpec
from synchub.config.loader import KeyPath
from synchub.systems.sf_express.specs import SfServiceStreamSpec


def check_stream(where: KeyPath, s: SfServiceStreamSpec, spec: ConnectorSpec
                 ) -> list[tuple[KeyPath, str]]:
    """The digest auth, and input placeholders only in a store-fed stream."""
    out: list[tuple[KeyPath, str]] = []
    auth: Any = spec.auth  # the connector model widened by the registered auth specs
    if auth.type != "sf_digest":
        out.append(((*where, "transport"),
                    f"transport sf_service needs auth type sf_digest, not {auth.type!r}"))
    if s.inputs is None and "{input." in repr(s.msg_data):
        out.append(((*where, "msg_data"),
                    "{input.x} placeholders need inputs: (a store-fed stream)"))
    for key in s.omit_empty:
        if key not in s.msg_data:
            out.append(((*where, "omit_empty"), f"{key!r} is not a key of msg_data"))
    return out
