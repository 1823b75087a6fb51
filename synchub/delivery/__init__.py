"""Delivery: route stored changes to each sink and drain them, once in effect, in order.

Routing reads each entity table's ``change_seq`` (the record of what changed) and writes one
``deliveries`` row per sink, route and record; together they are the hub's outbox
(docs/adr/0007-outbox-is-change-seq-and-deliveries.md).
"""
