"""Small deterministic helpers: seeded randomness, integer-cent money, timestamps, tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from datetime import UTC, datetime, tzinfo
from typing import Any

# Seeded data is spread over 2025 (UTC), so every generated timestamp lies in the past.
YEAR_START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
YEAR_SECONDS = 365 * 24 * 3600


def stable_int(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (not on PYTHONHASHSEED)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng_for(*parts: object) -> random.Random:
    """A private random generator seeded from ``parts``, so record i never depends on record j."""
    return random.Random(stable_int(*parts))


def cents(value: int) -> str:
    """Integer cents as a two-decimal string, the way both vendors send money."""
    # Exact for any |value| below 2**50: the float error is far below half a cent.
    return "%.2f" % (value / 100)


def tax_on_net(net: int, rate_bp: int) -> int:
    """Tax in cents on a net amount, rate in basis points, rounded half up."""
    return (net * rate_bp + 5000) // 10000


def tax_in_gross(gross: int, rate_bp: int) -> int:
    """Tax in cents contained in a tax-inclusive amount, rounded half up on the net part."""
    net = (gross * 10000 * 2 + (10000 + rate_bp)) // (2 * (10000 + rate_bp))
    return gross - net


def iso_local(ts: int, tz: tzinfo) -> str:
    """ISO 8601 with the store's UTC offset, seconds resolution (Shopify style)."""
    return datetime.fromtimestamp(ts, tz).isoformat()


def iso_naive_local(ts: int, tz: tzinfo) -> str:
    """Site-local naive ISO time (WooCommerce ``date_*`` fields)."""
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None).isoformat()


def iso_naive_gmt(ts: int) -> str:
    """UTC naive ISO time (WooCommerce ``date_*_gmt`` fields)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat()


def iso_utc_z(ts: int) -> str:
    """UTC ISO time with a ``Z`` suffix (Shopify GraphQL ``DateTime``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, naive_tz: tzinfo = UTC) -> int:
    """ISO 8601 (offset, ``Z``, or naive in ``naive_tz``) to epoch seconds; ValueError if bad."""
    text = text.strip().replace(" ", "+") if "T" in text else text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return int(parsed.timestamp())


def encode_token(data: dict[str, Any]) -> str:
    """An opaque, URL-safe cursor token."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """Inverse of :func:`encode_token`; ValueError when the token is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(data, dict):
        raise ValueError("invalid cursor")
    return data


def dumps(payload: Any) -> bytes:
    """Compact, deterministic JSON bytes (non-ASCII escaped: same JSON, faster to encode)."""
    return json.dumps(payload, separators=(",", ":")).encode()
