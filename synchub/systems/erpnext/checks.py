"""Checks of a connector's ``frappe_rest`` streams that span several keys."""

from __future__ import annotations

from synchub.config.connector import ConnectorSpec
from synchub.config.connector_checks import nested_context_refs
from synchub.config.loader import KeyPath
from synchub.systems.erpnext.specs import FrappeStreamSpec


def check_stream(where: KeyPath, s: FrappeStreamSpec, spec: ConnectorSpec
                 ) -> list[tuple[KeyPath, str]]:
    """Token auth, a declared site timezone, filter placeholders, the window's field."""
    out: list[tuple[KeyPath, str]] = []
    auth_type: str = spec.auth.type
    if auth_type != "frappe_token":
        out.append(((*where, "transport"), "transport frappe_rest needs auth type "
                                           f"frappe_token, not {spec.auth.type!r}"))
    if s.incremental is not None and s.timezone_context not in spec.context:
        out.append(((*where, "timezone_context"),
                    f"context {s.timezone_context!r} (the site's time zone, System Settings "
                    f"time_zone) is not declared; declared: {sorted(spec.context) or 'none'}"))
    for ref in nested_context_refs(s.filters):
        if ref not in spec.context:
            out.append(((*where, "filters"),
                        f"unknown context {ref!r}; declared: {sorted(spec.context) or 'none'}"))
    if s.paginator.total_path is not None:
        out.append(((*where, "paginator", "total_path"),
                    "Frappe's list answers no total: a short page ends the stream"))
    inc = s.incremental
    if inc is not None:
        at = (*where, "incremental")
        for key in ("start_template", "end_template", "cursor_timezone"):
            if getattr(inc, key):
                out.append(((*at, key), "a frappe_rest window is filter terms in the site's "
                                        "time zone; leave this out"))
        if inc.cursor_field not in s.fields:
            out.append(((*at, "cursor_field"), f"{inc.cursor_field!r} must be in fields"))
    return out
