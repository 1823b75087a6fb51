"""One error taxonomy for the whole engine, grouped by what the caller should do.

- :class:`ConfigError`: the configuration is wrong. Fail fast, never retry.
- :class:`FatalAPIError`: the remote system refused the request (4xx other than 429).
  Retrying will not help; the run fails with the vendor's message.
- :class:`RetriableAPIError`: throttling (429, GraphQL THROTTLED), server errors (5xx),
  timeouts and connection errors. Retried with backoff, honouring ``retry_after``.
- :class:`RecordError`: one record cannot be converted or stored. It is quarantined in the
  dead-letter table with its reason and the rest of the page goes on.

Every message passes through :func:`redact` before it is shown or logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

# a key names a secret when it ends with one of these words: `access_token`, `client_secret`,
# `X-Shopify-Access-Token` do; `token_url` and `secret_field` (names of places) do not
_SECRET_KEYS = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|access[_-]?key|authorization|"
    r"consumer[_-]?key|signature|hmac)$"
)
# key=value or "key": "value" pairs whose key names a secret
_PAIR = re.compile(
    r"""(?ix)
    (?P<key>["']?[\w-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|
        authorization|consumer[_-]?key|consumer[_-]?secret|signature|hmac)["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<q>["']?)(?P<val>(?:Bearer\s+|Basic\s+)?[^"'\s&,}]+)(?P=q)
    """
)
# the userinfo of a URL (``https://user:pass@host``): everything between `//` and the last `@`
# before the path, query or fragment begins; ``user:***@`` (already masked) is left as it is
_USERINFO = re.compile(
    r"(?i)\b([a-z][a-z0-9+.\-]*://)(?![^/?#\s'\"<>@:]*:\*\*\*@)[^/?#\s'\"<>]+@")
_MASK = "***"
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` masks it wherever it appears."""
    if value and len(value) >= 4:
        _registered.add(value)


def is_secret_key(key: str) -> bool:
    """True when a mapping key (header, form field, config key) names a secret."""
    return bool(_SECRET_KEYS.search(key))


def redact(text: Any, secrets: Iterable[str] = ()) -> str:
    """Mask secret values in a message: registered secrets, given ones, key=value pairs and
    the credentials of URLs (``scheme://user:pass@`` becomes ``scheme://***@``)."""
    out = _USERINFO.sub(rf"\1{_MASK}@", str(text))
    for value in sorted({*_registered, *(s for s in secrets if s)}, key=len, reverse=True):
        out = out.replace(value, _MASK)
    return _PAIR.sub(lambda m: f"{m['key']}{m['sep']}{m['q']}{_MASK}{m['q']}", out)


def safe_url(url: str) -> str:
    """A URL as the hub may log or store it: no credentials, no query string.

    ``https://user:pass@shop.example/items?token=x`` becomes ``https://***@shop.example/items``:
    the userinfo and the query (either may carry credentials) are dropped, and ``***@`` says
    that the URL had credentials. Every URL formatted into a message goes through here.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{_MASK}@{netloc.rsplit('@', 1)[1]}"
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path


class SynchubError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(SynchubError):
    """A hub, connector or mapping file (or a Connection) is wrong; never retried.

    ``location`` is ``file:line`` (or just ``file``) and ``key`` the dotted key path.
    """

    def __init__(
        self, message: str, *, file: str | None = None, key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file, self.key, self.line = file, key, line
        where = ""
        if file:
            where = file + (f":{line}" if line else "")
        if key:
            where = f"{where}: {key}" if where else key
        # redact the message only: the location is a file and a key path, never a value, and
        # a path ending in a secret's name ("password: unknown key") is not a key=value pair
        text = redact(message)
        Exception.__init__(self, f"{where}: {text}" if where else text)


class APIError(SynchubError):
    """An error answered by (or on the way to) a remote system."""

    def __init__(
        self, message: str, *, status: int | None = None, url: str | None = None,
        body: str | None = None,
    ) -> None:
        self.status, self.url = status, safe_url(url) if url else url
        self.body = redact(body[:2000]) if body else None
        super().__init__(message)


class FatalAPIError(APIError):
    """The request was refused and retrying will not change that (4xx except 429)."""


class RetriableAPIError(APIError):
    """Throttling, 5xx, timeouts and connection errors; retried with backoff."""

    def __init__(
        self, message: str, *, status: int | None = None, url: str | None = None,
        body: str | None = None, retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, url=url, body=body)


class RecordError(SynchubError):
    """One record cannot be converted or stored; it is quarantined, the rest go on.

    ``record_id`` is the source's id for the record when it has one; ``field`` the
    canonical or source field that was wrong.
    """

    def __init__(
        self, message: str, *, record_id: str | None = None, field: str | None = None,
    ) -> None:
        self.record_id, self.field = record_id, field
        super().__init__(message)
