"""TOP's refusals and parameters as the sandbox's Taobao gateway reads them.

Shared by the trade, stock and catalogue handlers (:mod:`.system`, :mod:`.items`): every
error is HTTP 200 with ``{"error_response": {code, msg, sub_code, sub_msg, request_id}}``.
"""

from __future__ import annotations

import itertools
from typing import Any

from synchub.sandbox.kit.http import Reply

_request_ids = itertools.count(1)


class TopError(Exception):
    """A refusal in TOP's words."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None,
                 sub_msg: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg

    def reply(self) -> Reply:
        """``{"error_response": ...}`` with HTTP 200, as TOP answers every error."""
        body: dict[str, Any] = {"code": self.code, "msg": self.msg,
                                "request_id": f"sbx{next(_request_ids):010d}"}
        if self.sub_code:
            body["sub_code"] = self.sub_code
        if self.sub_msg:
            body["sub_msg"] = self.sub_msg
        return Reply(200, {"error_response": body})


def int_param(p: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter from ``low`` to ``high`` (``default`` when absent), else 41."""
    raw = p.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise TopError(41, "Invalid arguments:" + name, "isv.invalid-parameter",
                       f"{name} must be from {low} to {high}")
    return int(raw)
