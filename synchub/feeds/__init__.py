"""Unified feeds: SQL views, the change-feed API with scoped keys, file exports, webhooks."""

from __future__ import annotations
