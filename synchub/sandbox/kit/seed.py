"""Seeded, deterministic data: hashes and generators that depend only on their inputs."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from synchub.sandbox.kit import pools

T = TypeVar("T")

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


def hex128(*parts: object) -> str:
    """32 hex digits that depend only on ``parts`` (ids stay the same from run to run)."""
    return f"{stable_int(*parts, 'hi'):016x}{stable_int(*parts, 'lo'):016x}"


def person(key: str, j: int) -> dict[str, Any]:
    """Name, contact and address of person number ``j`` of a store (customers, orders,
    contacts: every simulator draws the same people)."""
    r = rng_for(key, "person", j)
    first, last = r.choice(pools.PEOPLE)
    city, prov, prov_code, zip_code, country, cc, prefix = r.choice(pools.ADDRESSES)
    phone = f"{prefix}{r.randrange(1000000, 9999999)}" if r.random() < 0.7 else None
    email = f"customer{j + 1}@example.{('com', 'de', 'fr', 'cn')[j % 4]}"
    address = {
        "first_name": first, "last_name": last, "name": f"{first} {last}",
        "company": r.choice(pools.COMPANIES), "address1": f"{r.choice(pools.STREETS)} {j % 90 + 1}",
        "address2": r.choice((None, "", "2. OG", "Apt 4B")), "city": city, "province": prov,
        "province_code": prov_code, "zip": zip_code, "country": country, "country_code": cc,
        "phone": phone,
    }
    return {"first_name": first, "last_name": last, "email": email, "phone": phone,
            "address": address}


def weighted(r: random.Random, table: Sequence[tuple[T, int]]) -> T:
    """One value of ``(value, weight)`` pairs, drawn with ``r``."""
    return r.choices([v for v, _ in table], weights=[w for _, w in table])[0]
