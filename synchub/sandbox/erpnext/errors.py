"""Frappe's error answers as the sandbox sends them.

Frappe maps an exception class to an HTTP status (``ValidationError`` and its subclasses
417, ``PermissionError`` 403, ``AuthenticationError`` 401, ``DoesNotExistError`` 404,
``DuplicateEntryError`` 409, ``TooManyRequestsError`` 429) and answers ``exc_type``,
``exception`` and ``_server_messages``: a JSON text of a list of JSON texts, each a message
dict as ``frappe.msgprint`` leaves it.
"""

from __future__ import annotations

import json

from synchub.sandbox.kit.http import Reply

STATUS = {"ValidationError": 417, "MandatoryError": 417, "LinkValidationError": 417,
          "DataError": 417, "UpdateAfterSubmitError": 417, "PermissionError": 403,
          "AuthenticationError": 401, "DoesNotExistError": 404, "DuplicateEntryError": 409,
          "TooManyRequestsError": 429}


def frappe_error(exc_type: str, message: str, status: int | None = None) -> Reply:
    """The body Frappe answers for an exception of ``exc_type`` carrying ``message``."""
    shown = json.dumps({"message": message, "title": "Message", "indicator": "red",
                        "raise_exception": 1})
    return Reply(status or STATUS.get(exc_type, 500), {
        "exc_type": exc_type,
        "exception": f"frappe.exceptions.{exc_type}: {message}",
        "_server_messages": json.dumps([shown])})


class Refusal(Exception):
    """A handler's refusal: raised deep inside, answered as Frappe's error envelope."""

    def __init__(self, exc_type: str, message: str) -> None:
        super().__init__(message)
        self.reply = frappe_error(exc_type, message)
