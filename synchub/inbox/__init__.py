"""Webhook intake: verify and store what a system pushes, then turn it into canonical records.

:mod:`synchub.inbox.receive` answers the vendor (verify the signature, dedupe by the event
id, store the raw body); :mod:`synchub.inbox.process` maps pending events into the store in
the connection's sync DAG. Polling stays the catch-up net for anything never delivered.
"""

from __future__ import annotations

from synchub.inbox.process import InboxSummary, process_inbox
from synchub.inbox.receive import Receipt, WebhookReceiver, inbox_asset_uri, sign_body

__all__ = ["InboxSummary", "Receipt", "WebhookReceiver", "inbox_asset_uri", "process_inbox",
           "sign_body"]
