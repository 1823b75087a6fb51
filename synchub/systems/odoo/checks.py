"""Checks of a connector's ``jsonrpc`` streams and context values that span several keys."""

from __future__ import annotations

from synchub.config.connector import ConnectorSpec, OffsetPaginatorSpec
from synchub.config.connector_checks import nested_context_refs, placeholders
from synchub.config.loader import KeyPath
from synchub.systems.odoo.specs import RESERVED_KWARGS, JsonRpcContextSpec, JsonRpcStreamSpec

_PAGINATORS = frozenset({"offset", "single"})


def _check_auth(where: KeyPath, spec: ConnectorSpec) -> list[tuple[KeyPath, str]]:
    auth_type: str = spec.auth.type
    if auth_type == "odoo_jsonrpc":
        return []
    return [(where, f"transport jsonrpc needs auth type odoo_jsonrpc, not {spec.auth.type!r}")]


def check_stream(where: KeyPath, s: JsonRpcStreamSpec, spec: ConnectorSpec
                 ) -> list[tuple[KeyPath, str]]:
    """A jsonrpc stream: Odoo auth, offset/limit paging, domain placeholders, window terms."""
    out = _check_auth((*where, "transport"), spec)
    ptype = s.paginator.type
    if ptype not in _PAGINATORS:
        out.append(((*where, "paginator", "type"),
                    f"paginator {ptype!r} does not fit transport 'jsonrpc'; use one of "
                    f"{sorted(_PAGINATORS)}"))
    elif isinstance(s.paginator, OffsetPaginatorSpec):
        if s.page_size is None:
            out.append(((*where, "page_size"), "paginator 'offset' needs page_size (the limit)"))
        if s.paginator.offset_param != "offset":
            out.append(((*where, "paginator", "offset_param"),
                        "a jsonrpc stream pages with the offset keyword argument"))
        if s.paginator.total_path is not None:
            out.append(((*where, "paginator", "total_path"),
                        "search_read answers a bare list: there is no total to read"))
    for ref in nested_context_refs(s.domain):
        if ref not in spec.context:
            out.append(((*where, "domain"),
                        f"unknown context {ref!r}; declared: {sorted(spec.context) or 'none'}"))
    for key in sorted(set(s.kwargs) & RESERVED_KWARGS):
        out.append(((*where, "kwargs", key), f"{key!r} is set by the stream's own keys"))
    if placeholders(s.path):
        out.append(((*where, "path"), "a jsonrpc path takes no placeholders"))
    inc = s.incremental
    if inc is not None:
        at = (*where, "incremental")
        if inc.start_param is None:
            out.append(((*at, "start_param"), "an incremental stream needs start_param "
                                              "(the field compared with '>', e.g. write_date)"))
        for key in ("start_template", "end_template"):
            if getattr(inc, key):
                out.append(((*at, key), "a jsonrpc window is domain terms, not text templates"))
        if inc.param_format != "naive":
            out.append(((*at, "param_format"), "Odoo compares naive UTC times: set "
                                               "param_format: naive"))
        if inc.cursor_timezone is None:
            out.append(((*at, "cursor_timezone"), "Odoo times have no offset: set "
                                                  "cursor_timezone: UTC"))
        if s.fields and inc.cursor_field not in s.fields:
            out.append(((*at, "cursor_field"), f"{inc.cursor_field!r} must be in fields"))
    return out


def check_context(where: KeyPath, ctx: JsonRpcContextSpec, spec: ConnectorSpec
                  ) -> list[tuple[KeyPath, str]]:
    """A jsonrpc context value: Odoo auth, and no context placeholders in its own domain."""
    out = _check_auth((*where, "transport"), spec)
    out += [((*where, "domain"), f"a context value cannot use context {ref!r}")
            for ref in nested_context_refs(ctx.domain)]
    return out
