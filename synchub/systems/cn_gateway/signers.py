"""Signers of the Chinese marketplaces' gateways: sorted parameters, concatenated, hashed.

Every one starts from the same text: all parameters but the signature itself, sorted by
name in byte order, written as ``name1value1name2value2...`` without separators (UTF-8).
Then:

- ``top_md5``: ``UPPER(HEX(MD5(secret + text + secret)))`` (Taobao TOP ``sign_method=md5``);
- ``top_hmac``: ``UPPER(HEX(HMAC_MD5(secret, text)))`` (TOP ``sign_method=hmac``);
- ``top_hmac_sha256``: ``UPPER(HEX(HMAC_SHA256(secret, text)))`` (TOP
  ``sign_method=hmac-sha256``, the current SDK's default);
- ``jd_md5``: as ``top_md5``, with the business parameters inside ``360buy_param_json``
  (JD JOS; the JSON text is signed as sent);
- ``pdd_md5``: as ``top_md5`` over the parameters whose value is not empty (Pinduoduo).

A signer is registered under kind ``signer``; the ``gateway_signed`` auth scheme names one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SIGN_PARAM = "sign"


def canonical_text(params: Mapping[str, str], *, sign_param: str = SIGN_PARAM,
                   skip_empty: bool = False) -> bytes:
    """``k1v1k2v2...`` of the parameters sorted by the bytes of their names (UTF-8)."""
    items = sorted(((k.encode(), str(v).encode()) for k, v in params.items()
                    if k != sign_param and not (skip_empty and str(v) == "")))
    return b"".join(k + v for k, v in items)


def _md5_wrapped(secret: str, text: bytes) -> str:
    key = secret.encode()
    return hashlib.md5(key + text + key).hexdigest().upper()  # noqa: S324 - the vendor's scheme


@dataclass(frozen=True, slots=True)
class Signer:
    """One signing scheme: how the signature is computed, and its ``sign_method`` value."""

    name: str
    sign_method: str | None
    compute: Callable[[str, bytes], str]
    skip_empty: bool = False

    def sign(self, params: Mapping[str, str], secret: str, *,
             sign_param: str = SIGN_PARAM) -> str:
        """The signature of ``params`` (``sign_param`` itself left out)."""
        text = canonical_text(params, sign_param=sign_param, skip_empty=self.skip_empty)
        return self.compute(secret, text)

    def verify(self, params: Mapping[str, str], secret: str, *,
               sign_param: str = SIGN_PARAM) -> bool:
        """Whether ``params[sign_param]`` is the right signature (constant-time compare)."""
        given = str(params.get(sign_param, ""))
        return bool(given) and hmac.compare_digest(
            given.upper().encode(), self.sign(params, secret, sign_param=sign_param).encode())


TOP_MD5 = Signer("top_md5", "md5", _md5_wrapped)
TOP_HMAC = Signer("top_hmac", "hmac", lambda secret, text: hmac.new(
    secret.encode(), text, hashlib.md5).hexdigest().upper())
TOP_HMAC_SHA256 = Signer("top_hmac_sha256", "hmac-sha256", lambda secret, text: hmac.new(
    secret.encode(), text, hashlib.sha256).hexdigest().upper())
JD_MD5 = Signer("jd_md5", "md5", _md5_wrapped)
PDD_MD5 = Signer("pdd_md5", None, _md5_wrapped, skip_empty=True)

SIGNERS: dict[str, Signer] = {s.name: s for s in (TOP_MD5, TOP_HMAC, TOP_HMAC_SHA256,
                                                    JD_MD5, PDD_MD5)}
