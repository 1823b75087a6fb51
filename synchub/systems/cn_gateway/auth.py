"""The ``gateway_signed`` auth scheme: credentials, a timestamp and a signature as form fields.

The transport sends the method, the fixed system parameters and the business parameters
as a form body; this scheme adds the app key, the session, the timestamp (taken when the
request is prepared, so a retry is signed afresh) and the signer's method name, then signs
every field with the registered signer. The secret never travels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import requests
from requests.auth import AuthBase

from synchub.registry import REGISTRY
from synchub.runtime.auth import connection_secret
from synchub.runtime.connection import ConnectionInfo
from synchub.systems.cn_gateway.signers import Signer
from synchub.systems.cn_gateway.specs import GatewaySignedAuthSpec


class GatewaySignedAuth(AuthBase):
    """Adds the system parameters to a form body and signs it."""

    def __init__(self, spec: GatewaySignedAuthSpec, signer: Signer, app_key: str, secret: str,
                 session: str | None, clock: Callable[[], float] = time.time) -> None:
        self.spec, self.signer, self.clock = spec, signer, clock
        self.app_key, self._secret, self.session = app_key, secret, session
        self.zone = ZoneInfo(spec.timestamp_timezone)

    def timestamp(self) -> str:
        """Now, as the API wants its timestamp."""
        now = self.clock()
        if self.spec.timestamp_format == "epoch_s":
            return str(int(now))
        if self.spec.timestamp_format == "epoch_ms":
            return str(int(now * 1000))
        return datetime.fromtimestamp(now, self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def sign(self, fields: dict[str, str]) -> dict[str, str]:
        """``fields`` with the credentials, timestamp, sign method and signature added."""
        spec = self.spec
        out = {k: v for k, v in fields.items() if k != spec.sign_param}
        out[spec.app_key_param] = self.app_key
        if spec.session_param and self.session is not None:
            out[spec.session_param] = self.session
        out[spec.timestamp_param] = self.timestamp()
        if spec.sign_method_param and self.signer.sign_method:
            out[spec.sign_method_param] = self.signer.sign_method
        out[spec.sign_param] = self.signer.sign(out, self._secret, sign_param=spec.sign_param)
        return out

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body.decode() if isinstance(r.body, bytes) else (r.body or "")
        fields = dict(parse_qsl(body, keep_blank_values=True))
        r.headers.pop("Content-Length", None)
        r.prepare_body(self.sign(fields), None)
        return r

    @classmethod
    def from_spec(cls, spec: GatewaySignedAuthSpec, conn: ConnectionInfo,
                  session: requests.Session, timeout: float) -> GatewaySignedAuth:
        """Build from the YAML declaration and the Connection (every value a secret)."""
        signer: Signer = REGISTRY.get("signer", spec.signer, key="auth.signer")
        token = connection_secret(conn, spec.session_field) if spec.session_param else None
        return cls(spec, signer, connection_secret(conn, spec.app_key_field),
                   connection_secret(conn, spec.secret_field), token)
