"""Udesk Open API v2 authentication: five query parameters on every request.

``email``, ``timestamp`` (unix seconds), ``nonce`` (a fresh UUID: Udesk refuses a nonce used
within 15 minutes), ``sign_version=v2`` and ``sign = SHA256("email&open_api_token&timestamp
&nonce&sign_version")`` as lower-case hex. They are added when a request is prepared, so a
retry carries a new nonce and timestamp (a repeated nonce would be refused with 20623).
The token never travels.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

import requests
from requests.auth import AuthBase

from synchub.runtime.auth import connection_secret
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.udesk.specs import UdeskSignAuthSpec

SIGN_VERSION = "v2"


def udesk_sign(email: str, token: str, timestamp: str, nonce: str,
               sign_version: str = SIGN_VERSION) -> str:
    """``SHA256(email&open_api_token&timestamp&nonce&sign_version)``, lower-case hex."""
    text = "&".join((email, token, timestamp, nonce, sign_version))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class UdeskSignAuth(AuthBase):
    """Adds email, timestamp, nonce, sign_version and sign to the query."""

    def __init__(self, email: str, token: str, clock: Callable[[], float] = time.time,
                 new_nonce: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.email, self._token = email, token
        self.clock, self.new_nonce = clock, new_nonce

    def params(self) -> dict[str, str]:
        """The five authentication parameters of one request."""
        timestamp, nonce = str(int(self.clock())), self.new_nonce()
        return {"email": self.email, "timestamp": timestamp, "nonce": nonce,
                "sign_version": SIGN_VERSION,
                "sign": udesk_sign(self.email, self._token, timestamp, nonce)}

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.prepare_url(r.url, self.params())
        return r

    @classmethod
    def from_spec(cls, spec: UdeskSignAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> UdeskSignAuth:
        """Build from the YAML declaration and the Connection.

        The email is registered for redaction too: it rides in every query string, so a
        transport error quoting the URL would otherwise log an administrator's address.
        """
        return cls(connection_secret(conn, spec.email_field),
                   connection_secret(conn, spec.token_field))
