"""Checks of a connector's ``gateway`` streams that span several keys."""

from __future__ import annotations

from typing import Any

from synchub.config.connector import ConnectorSpec
from synchub.config.loader import KeyPath
from synchub.registry import REGISTRY
from synchub.systems.cn_gateway.specs import GatewayStreamSpec


def check_stream(where: KeyPath, s: GatewayStreamSpec, spec: ConnectorSpec
                 ) -> list[tuple[KeyPath, str]]:
    """Signed auth, a page size for numbered pages, a detail envelope, both window bounds
    and a start."""
    out: list[tuple[KeyPath, str]] = []
    auth: Any = spec.auth  # the connector model widened by the registered auth specs
    if auth.type != "gateway_signed":
        out.append(((*where, "transport"),
                    f"transport gateway needs auth type gateway_signed, not {auth.type!r}"))
    elif not REGISTRY.has("signer", auth.signer):
        out.append((("auth", "signer"), REGISTRY.check("signer", [auth.signer])[0]))
    if s.paginator.type != "single" and not (s.page_size and s.page_size_param):
        out.append(((*where, "page_size"),
                    f"paginator {s.paginator.type!r} needs page_size and page_size_param"))
    if s.detail is not None and s.detail.response_key is None \
            and "{method}" not in s.response_key:
        out.append(((*where, "detail", "response_key"),
                    f"the stream's response_key {s.response_key!r} names no {{method}}: "
                    "give the detail call its own"))
    inc = s.incremental
    if inc is not None:
        at = (*where, "incremental")
        for key in ("start_param", "end_param"):
            if getattr(inc, key) is None:
                out.append(((*at, key), "a windowed read sends both bounds"))
        for key in ("start_template", "end_template"):
            if getattr(inc, key):
                out.append(((*at, key), "a gateway window is two parameters, not templates"))
        if inc.initial_lookback is None:
            out.append(((*at, "initial_lookback"),
                        "a first run needs a start: windows are cut from it"))
    return out
