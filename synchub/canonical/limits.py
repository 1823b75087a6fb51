"""Bounds of canonical values: a record that validates can be stored as it is, on every store.

The store's typed columns are declared from these numbers (``synchub/store/tables.py``) and a
test compares every length-limited column with the canonical field that fills it, so a value
the database could not hold is refused here, naming the field and the limit, and its record
is quarantined on SQLite and PostgreSQL alike (SQLite would store anything; PostgreSQL would
fail the whole page).
"""

from __future__ import annotations

from decimal import Decimal

AMOUNT_DIGITS = 15
"""An amount (money, a rate) is below 10**15 either way: a quadrillion in any currency is
more than any real order, payout or balance. The store's ``numeric(20, 4)`` columns hold
16 integer digits: one spare, so rounding to the column's scale and the sums the store keeps
(a journal's totals) never overflow."""

AMOUNT_DECIMALS = 28
"""No amount but 0 is below 10**-28 either way (Decimal's working precision: nothing finer
survives arithmetic, and no currency or rate needs it). ``1e-400`` would otherwise be written
out as 400 digits, which PostgreSQL's numeric refuses."""

MONEY_SCALE = 4
"""Decimals the store's money columns keep (every ISO 4217 minor unit fits)."""

RATE_SCALE = 12
"""Decimals the store keeps of an exchange rate."""

MAX_AMOUNT = Decimal(10) ** AMOUNT_DIGITS

MAX_QUANTITY = 10**12
"""Units of one line, shipment or stock level, either way. Leaves room for the "unlimited"
stock some systems report (2**31 - 1, 9 999 999 999) while millions of such rows still add
up within the store's 64-bit integer columns."""

ID_LENGTH = 255
"""Characters of an id a source gives (external ids, ids of other records, connection names).
Vendors' ids are numbers, UUIDs or short codes; 255 is the common limit of a database key."""

SKU_LENGTH = 255
"""Characters of a SKU (stock keeping unit), the key of stock positions and reservations."""

NAME_LENGTH = 255
"""Characters of a short name kept in a typed column: an order's number as the channel shows
it (``#1001``, ``SO-2025-000123``, with a shop's own prefix and suffix), a location's name.
64 was too few for marketplace order references with prefixes; 255 is the limit of every
other short text of the store."""

PROVIDER_LENGTH = 64
"""Characters of an exchange-rate provider's name (``ecb``, ``frankfurter``)."""

HUB_ID_LENGTH = 64
"""Characters of the hub's own ids and content hashes (a UUID, a SHA-256 in hex)."""
