"""Frappe's token auth: ``Authorization: token <api_key>:<api_secret>``."""

from __future__ import annotations

import requests
from requests.auth import AuthBase

from synchub.errors import register_secret
from synchub.runtime.auth import connection_secret
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.erpnext.specs import FrappeTokenAuthSpec


class FrappeTokenAuth(AuthBase):
    """The key pair of the sync user, sent on every request (no session, no cookie)."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.header = f"token {api_key}:{api_secret}"
        register_secret(self.header)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self.header
        return r

    @classmethod
    def from_spec(cls, spec: FrappeTokenAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> FrappeTokenAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(connection_secret(conn, spec.key_field),
                   connection_secret(conn, spec.secret_field))
