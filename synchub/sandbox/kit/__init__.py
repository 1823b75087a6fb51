"""The simulator kit: what every vendor simulator of the sandbox is built from.

A vendor simulator is a store (its seeded data, built with :mod:`.seed`, :mod:`.pools`,
:mod:`.table` and :mod:`.store`) plus a route table (:mod:`.routes`) whose handlers answer
with :class:`.http.Reply`. The kit runs every request through the same pipeline
(:func:`.http.serve`: fault injection, the vendor's auth check and rate limit, the handler,
the request log) and wires the vendors' tables into one app (:mod:`.registry`, :mod:`.app`,
:mod:`.server`). Paging styles live in :mod:`.paging`, :mod:`.relay` and
:mod:`.time_windows`; auth checks in :mod:`.auth`; limits in :mod:`.limits` and
:mod:`.graphql_cost`; error envelopes in :mod:`.errors`; the single-URL signed gateway in
:mod:`.gateway`; control endpoints in :mod:`.control`; outgoing webhooks in
:mod:`.webhooks`; courier parcel journeys in :mod:`.parcels`. Nothing here imports a vendor
package; vendors appear in docstrings only as examples.
"""
