"""SF Express (丰桥) message digest: ``Base64(MD5(urlencode(msgData + timestamp + checkword)))``.

The text is URL-encoded first, as Java's ``URLEncoder.encode(text, "UTF-8")`` does in SF's
SDKs (letters, digits and ``.-*_`` kept, a space as ``+``, every other byte ``%XX`` in upper
case), then hashed with MD5, and the raw 16 digest bytes are Base64-encoded. The same digest
signs the hub's requests and the pushes SF sends to the hub.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def java_urlencode(text: str) -> str:
    """``text`` as ``java.net.URLEncoder.encode(text, "UTF-8")`` writes it.

    Python's ``quote_plus`` differs in two characters: it keeps ``~`` (Java encodes it) and
    encodes ``*`` (Java keeps it).
    """
    return quote_plus(text, safe="*", encoding="utf-8").replace("~", "%7E")


def msg_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    """The ``msgDigest`` of one request or push."""
    encoded = java_urlencode(msg_data + timestamp + checkword).encode("ascii")
    raw = hashlib.md5(encoded).digest()  # noqa: S324 - the vendor's scheme
    return base64.b64encode(raw).decode("ascii")


def digest_matches(given: str, msg_data: str, timestamp: str, checkword: str) -> bool:
    """Whether ``given`` is the digest of ``msg_data`` and ``timestamp`` (constant time)."""
    return bool(given) and hmac.compare_digest(
        given.strip().encode(), msg_digest(msg_data, timestamp, checkword).encode())
