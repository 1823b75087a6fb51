"""The JWT bearer assertion: a compact JWS (RS256) over the connected app's claims.

Salesforce's JWT bearer flow takes ``{"alg": "RS256"}`` and the claims ``iss`` (the consumer
key), ``sub`` (the username), ``aud`` (the login URL) and ``exp`` (seconds, a few minutes
ahead), signed with RSASSA-PKCS1-v1_5 over SHA-256 by the key whose certificate the app
holds. PKCS#1 v1.5 is deterministic, so a known key and input give one exact signature:
the tests check it against RFC 7515's appendix A.2.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HEADER = {"alg": "RS256"}


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of a base64url text without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM text (``\\n`` escapes, as a Connection field may hold)."""
    text = pem.replace("\\n", "\n").strip().encode("ascii")
    try:
        key = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the private key is not an unencrypted PEM key ({type(exc).__name__})"
                         ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key is not an RSA key (RS256 needs one)")
    return key


def sign_rs256(signing_input: bytes, key: rsa.RSAPrivateKey) -> str:
    """The base64url RS256 signature of ``signing_input``."""
    return b64url(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))


def encode_segment(value: dict[str, Any]) -> str:
    """A JSON header or claims set as a compact JWS segment."""
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def jwt_assertion(*, client_id: str, username: str, audience: str, issued_at: float,
                  lifetime: int, key: rsa.RSAPrivateKey) -> str:
    """The signed assertion the token endpoint takes as ``assertion``."""
    claims = {"iss": client_id, "sub": username, "aud": audience,
              "exp": int(issued_at) + lifetime}
    signing_input = f"{encode_segment(HEADER)}.{encode_segment(claims)}"
    return f"{signing_input}.{sign_rs256(signing_input.encode('ascii'), key)}"
