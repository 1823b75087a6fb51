"""Delivery: drain the outbox to each sink, exactly once in effect, in dependency order."""
