"""Shared strategies of the Chinese marketplaces' signed gateways (Taobao TOP, JD, Pinduoduo).

Not a vendor: the pieces the three share, each selected by name in a connector file. The
signers (kind ``signer``), the ``gateway_signed`` auth scheme, the ``gateway`` transport
(one URL, the method as a parameter, envelopes and HTTP-200 errors), the
``backward_pages`` paginator, the ``datetime_space_utc8`` window format (Beijing time,
the gateways' clock) and the ``gateway_call`` writer (one signed call per record, its
parameters from the route's write mapping: shipments back to the order).
"""

from __future__ import annotations

from synchub.registry import Registry


def register(registry: Registry) -> None:
    """Register the gateway strategies."""
    here = "synchub.systems.cn_gateway"
    for name in ("top_md5", "top_hmac", "top_hmac_sha256", "jd_md5", "pdd_md5"):
        registry.add("signer", name, f"{here}.signers:{name.upper()}")
    registry.add("auth", "gateway_signed", f"{here}.auth:GatewaySignedAuth.from_spec",
                 spec=f"{here}.specs:GatewaySignedAuthSpec")
    registry.add("transport", "gateway", f"{here}.transport:GATEWAY",
                 spec=f"{here}.specs:GatewayStreamSpec",
                 stream_checks=f"{here}.checks:check_stream")
    registry.add("paginator", "backward_pages", f"{here}.paging:BackwardPagesPaginator")
    registry.add("incremental", "datetime_space_utc8", f"{here}.times:datetime_space_utc8")
    registry.add("writer", "gateway_call", f"{here}.writes:GatewayCallWriter")
