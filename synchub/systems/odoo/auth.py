"""Odoo's login: ``common.login`` once per client, then db, uid and password in each call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase

from synchub.errors import ConfigError, FatalAPIError
from synchub.runtime.auth import connection_secret
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.odoo.specs import OdooJsonRpcAuthSpec


class OdooJsonRpcAuth(AuthBase):
    """Odoo's external API: credentials travel in each call's arguments, not in headers.

    ``common.login(db, login, password)`` runs once per client and its uid is cached;
    every ``object.execute_kw`` call then starts with :meth:`execute_args`. Odoo answers a
    wrong login or password with ``false``, a configuration error that is never retried.
    """

    def __init__(self, db: str, login: str, password: str, path: str = "/jsonrpc",
                 conn_id: str = "") -> None:
        self.db, self.login, self.password = db, login, password
        self.path, self.conn_id = path, conn_id
        self.uid: int | None = None
        self.logins = 0
        self._lock = threading.Lock()

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r  # nothing in headers: the body carries the credentials

    def execute_args(self, login_call: Callable[[list[Any]], Any]) -> list[Any]:
        """``[db, uid, password]`` for ``execute_kw``; logs in through ``login_call`` once."""
        with self._lock:
            if self.uid is None:
                uid = login_call([self.db, self.login, self.password])
                if uid is False or uid is None:
                    raise ConfigError(
                        f"connection {self.conn_id!r}: Odoo refused the login {self.login!r} "
                        f"on database {self.db!r} (wrong login, password or API key)")
                if not isinstance(uid, int) or isinstance(uid, bool):
                    raise FatalAPIError(f"Odoo common.login answered {str(uid)[:60]!r}, "
                                        "not a user id")
                self.uid = uid
                self.logins += 1
            return [self.db, self.uid, self.password]

    @classmethod
    def from_spec(cls, spec: OdooJsonRpcAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> OdooJsonRpcAuth:
        """Build from the YAML declaration and the Connection."""
        return cls(str(conn.field(spec.db_field)), str(conn.field(spec.login_field)),
                   connection_secret(conn, spec.secret_field), spec.path, conn.conn_id)
