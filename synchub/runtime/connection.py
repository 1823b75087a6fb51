"""Connection details as Airflow keeps them, readable without importing Airflow.

The DAG builds a :class:`ConnectionInfo` from an Airflow Connection; the CLI and tests read
``AIRFLOW_CONN_<ID>`` with the same JSON and URI rules Airflow applies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from synchub.errors import ConfigError, is_secret_key, register_secret

ENV_PREFIX = "AIRFLOW_CONN_"
EXTRA_KEY = "__extra__"


@dataclass(frozen=True)
class ConnectionInfo:
    """The fields of one Airflow Connection; secrets are registered for redaction."""

    conn_id: str
    conn_type: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for value in self.secret_values():
            register_secret(value)

    def secret_values(self) -> list[str]:
        """Every value of this Connection that must never be shown, for the log maskers.

        The password; the credentials written into the host (``https://user:pass@shop``:
        the user, the password, both as written and decoded); and every string under an
        ``extra`` key, at any depth, whose name looks like a secret (see
        :func:`is_secret_name`).
        """
        found = [self.password] if self.password else []
        if self.host and "@" in self.host:
            netloc = urlsplit(self.host if "://" in self.host else f"//{self.host}").netloc
            userinfo = netloc.rpartition("@")[0]
            if userinfo:
                user, _, password = userinfo.partition(":")
                found += [userinfo, unquote(userinfo), user, unquote(user), password,
                          unquote(password)]
        found += _secret_strings(self.extra, False)
        return list(dict.fromkeys(v for v in found if v))

    @classmethod
    def from_env(cls, conn_id: str) -> ConnectionInfo:
        """Read ``AIRFLOW_CONN_<CONN_ID>`` (JSON or URI form); ConfigError when missing or bad."""
        var = ENV_PREFIX + conn_id.upper()
        raw = os.environ.get(var)
        if not raw:
            raise ConfigError(f"connection {conn_id!r} not found: set {var} "
                              "(JSON or URI form) or define it in Airflow")
        raw = raw.strip()
        try:
            if raw.startswith("{"):
                return cls.from_json(conn_id, raw)
            return cls.from_uri(conn_id, raw)
        except ConfigError:
            raise
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"connection {conn_id!r} in {var} is malformed: {exc}") from None

    @classmethod
    def from_json(cls, conn_id: str, text: str) -> ConnectionInfo:
        """Airflow's JSON form: conn_type, host, login, password, schema, port, extra."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        unknown = set(data) - {"conn_type", "host", "login", "password", "schema", "port",
                               "extra", "description"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
        if not isinstance(extra, dict):
            raise ValueError("extra must be a JSON object")
        port = data.get("port")
        conn_type = data.get("conn_type")
        return cls(conn_id=conn_id, conn_type=_normalize_type(conn_type) if conn_type else None,
                   host=data.get("host"), login=data.get("login"), password=data.get("password"),
                   port=int(port) if port not in (None, "") else None, schema=data.get("schema"),
                   extra=extra)

    @classmethod
    def from_uri(cls, conn_id: str, uri: str) -> ConnectionInfo:
        """Airflow's URI form ``type://login:password@host:port/schema?extra``."""
        count = uri.count("://")
        if count == 0 or count > 2:
            raise ValueError("not a connection URI")
        scheme, rest = uri.split("://", 1)
        protocol = None
        if count == 2:  # the host carries its own protocol: type://https://host...
            protocol, rest = rest.split("://", 1)
            if "@" in protocol or ":" in protocol:
                raise ValueError("invalid connection URI")
        parts = urlsplit("//" + rest)
        host = unquote(parts.hostname or "")
        if "/" in host:  # a URL-encoded host with a path: keep its original case
            host = parts.netloc.rsplit("@", 1)[-1]
            host = unquote(host.split(":", 1)[0])
        if host and protocol:
            host = f"{protocol}://{host}"
        extra: dict[str, Any] = {}
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            if EXTRA_KEY in query:
                extra = json.loads(query[EXTRA_KEY])
            else:
                extra = {k: _maybe_json(v) for k, v in query.items()}
        schema = unquote(parts.path[1:]) if parts.path else None
        return cls(conn_id=conn_id, conn_type=_normalize_type(scheme), host=host or None,
                   login=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   port=parts.port, schema=schema or None, extra=extra)

    @property
    def base_url(self) -> str:
        """The host as a URL (https unless the host or ``schema`` names a scheme), with port."""
        if not self.host:
            raise ConfigError(f"connection {self.conn_id!r} has no host", key="host")
        host = self.host.rstrip("/")
        # like Airflow's HTTP hook, ``schema`` may name the protocol of a bare host
        scheme = self.schema if self.schema in ("http", "https") else "https"
        url = host if "://" in host else f"{scheme}://{host}"
        if self.port:
            split = urlsplit(url)
            if split.port is None:
                url = split._replace(netloc=f"{split.netloc}:{self.port}").geturl()
        return url

    def field(self, name: str) -> Any:
        """A field by name (``login``, ``password``, ``extra.<key>``...); ConfigError if empty."""
        if name.startswith("extra."):
            value = self.extra.get(name[6:])
        elif name in {"conn_type", "host", "login", "password", "port", "schema"}:
            value = getattr(self, name)
        else:
            raise ConfigError(f"unknown Connection field {name!r}; use login, password, host, "
                              "schema, port or extra.<key>")
        if value in (None, ""):
            raise ConfigError(f"connection {self.conn_id!r}: {name} is empty but the connector "
                              "needs it")
        return value


# the words a name ends with when it names a secret: `api_key`, `clientSecret`, `auth`,
# `webhook_signing_key` do; `token_url`, `key_field`, `auth_type` (names of places, kinds) do not
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "tokens", "key",
    "keys", "apikey", "credential", "credentials", "creds", "auth", "authorization",
    "signature", "hmac", "cookie",
})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_name(name: str) -> bool:
    """True when a Connection ``extra`` key names a secret (case-insensitive).

    Its last word is one of :data:`_SECRET_WORDS` (``access_token``, ``clientSecret``,
    ``private-key``), or the engine's own rule says so (:func:`is_secret_key`).
    """
    words = _WORD.findall(name)
    return bool(words and words[-1].lower() in _SECRET_WORDS) or is_secret_key(name)


def _secret_strings(value: Any, secret: bool) -> list[str]:
    """The strings of an ``extra`` value that are secret: under a secret name, at any depth."""
    if isinstance(value, dict):
        return [s for k, v in value.items()
                for s in _secret_strings(v, secret or is_secret_name(str(k)))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _secret_strings(v, secret)]
    return [value] if secret and isinstance(value, str) else []


def _normalize_type(conn_type: str) -> str:
    return "postgres" if conn_type == "postgresql" else conn_type.replace("-", "_")


def _maybe_json(value: str) -> Any:
    if not value:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
