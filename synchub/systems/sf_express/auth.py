"""The ``sf_digest`` auth scheme: SF's system fields added to a form body, and its digest.

The transport sends ``serviceCode`` and ``msgData``; this scheme adds ``partnerID``, a fresh
``requestID`` (a UUID) and ``timestamp`` (epoch milliseconds), both taken when the request
is prepared so a retry is a new request with a new digest, then ``msgDigest``. The check
word never travels.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl

import requests
from requests.auth import AuthBase

from synchub.runtime.auth import connection_secret
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.sf_express.digest import msg_digest
from synchub.systems.sf_express.specs import SfDigestAuthSpec


class SfDigestAuth(AuthBase):
    """Adds partnerID, requestID, timestamp and msgDigest to a form body."""

    def __init__(self, partner_id: str, checkword: str,
                 clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self.partner_id, self._checkword = partner_id, checkword
        self.clock, self.new_id = clock, new_id

    def sign(self, fields: dict[str, str]) -> dict[str, str]:
        """``fields`` (serviceCode, msgData) with the system fields and the digest."""
        out = {k: v for k, v in fields.items() if k != "msgDigest"}
        out["partnerID"] = self.partner_id
        out["requestID"] = self.new_id()
        out["timestamp"] = str(int(self.clock() * 1000))
        out["msgDigest"] = msg_digest(out.get("msgData", ""), out["timestamp"],
                                      self._checkword)
        return out

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body.decode() if isinstance(r.body, bytes) else (r.body or "")
        fields = dict(parse_qsl(body, keep_blank_values=True))
        r.headers.pop("Content-Length", None)
        r.prepare_body(self.sign(fields), None)
        return r

    @classmethod
    def from_spec(cls, spec: SfDigestAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> SfDigestAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(str(conn.field(spec.partner_id_field)),
                   connection_secret(conn, spec.checkword_field))
