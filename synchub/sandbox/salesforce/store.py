"""A Salesforce org: its connected app (consumer key, certificate), sessions and records.

Records are kept per SObject by their 18-character Id, with ``CreatedDate``,
``LastModifiedDate`` and ``SystemModstamp`` as Salesforce writes them
(``2025-03-01T10:15:00.000+0000``). Contacts are seeded; anything may be upserted. The
org's rules: each SObject's required fields, and one validation rule on Contact and
Account (an email ending ``.invalid`` is refused with FIELD_CUSTOM_VALIDATION_EXCEPTION),
the kind of rule an admin adds and an integration meets as a per-record failure.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from synchub.sandbox.kit.seed import YEAR_START, hex128, person, rng_for
from synchub.sandbox.kit.store import BaseStore

# key prefixes of the standard objects (the first three characters of an Id)
PREFIXES = {"Account": "001", "Contact": "003", "Opportunity": "006", "Order": "801"}
REQUIRED = {"Contact": ("LastName",), "Account": ("LastName",),
            "Opportunity": ("Name", "StageName", "CloseDate"),
            "Order": ("AccountId", "EffectiveDate", "Status")}
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
          "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
          "Negotiation/Review", "Closed Won", "Closed Lost")
ORDER_STATUSES = ("Draft", "Activated")
RULE_MESSAGE = "Email addresses on the .invalid test domain are not allowed."


def sf_time(ts: float) -> str:
    """Salesforce's dateTime format: ``2025-03-01T10:15:00.000+0000``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


class SalesforceStore(BaseStore):
    """One org: app credentials, live sessions, records per SObject, open query locators."""

    system = "salesforce"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 3,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True,
                 person_accounts: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=customers, products=max(products, 1),
                         rate_limits=rate_limits)
        self.client_id = "3MVG9" + hex128(self.key, "consumer")[:40]
        self.client_secret = hex128(self.key, "secret")
        self.username = f"integration@{name}.example.org"
        self.refresh_token = "5Aep" + hex128(self.key, "refresh")
        self.key_pem, self.public_key = _key_pair()
        self.person_accounts = person_accounts
        self.sessions: dict[str, float] = {}     # access token -> issued (epoch seconds)
        self.session_seconds = 2 * 3600.0         # the org's session timeout
        self.records: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in PREFIXES}
        self.locators: dict[str, list[dict[str, Any]]] = {}
        self.clock_offset = 0.0
        self._counter = 0
        for j in range(customers):
            self._seed_contact(j)

    # --- credentials -----------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The connected app and integration user (the private key in PEM)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "username": self.username, "private_key": self.key_pem,
                "refresh_token": self.refresh_token}

    def connection(self, url: str) -> dict[str, Any]:
        """A JWT bearer Connection: login host, username, consumer key, private key."""
        return {"conn_type": "http", "host": url, "login": self.username,
                "extra": {"client_id": self.client_id, "private_key": self.key_pem}}

    def counts(self) -> dict[str, int]:
        """Records per SObject that has any."""
        with self.lock:
            return {s: len(rows) for s, rows in self.records.items() if rows}

    def now(self) -> float:
        """The org's clock (tests move it on to expire sessions)."""
        return datetime.now(UTC).timestamp() + self.clock_offset

    def open_session(self) -> str:
        """A new access token (``<org id>!<random>``, the shape Salesforce hands out)."""
        token = f"00D{hex128(self.key, 'org')[:12].upper()}!{secrets.token_urlsafe(48)}"
        self.sessions[token] = self.now()
        return token

    def session_valid(self, token: str) -> bool:
        """Whether ``token`` is a session that has not timed out."""
        issued = self.sessions.get(token)
        return issued is not None and self.now() - issued < self.session_seconds

    def expire_sessions(self) -> None:
        """Time every session out (the next call gets 401 INVALID_SESSION_ID)."""
        with self.lock:
            self.sessions.clear()

    # --- records ---------------------------------------------------------------------------
    def new_id(self, sobject: str) -> str:
        """An 18-character Id with the object's key prefix."""
        self._counter += 1
        return f"{PREFIXES[sobject]}{hex128(self.key, sobject, self._counter)[:12].upper()}AAA"

    def stamp_time(self) -> str:
        """Now, in Salesforce's format, strictly after the last stamp."""
        ts = max(self.now(), self._last_stamp / 1000 + 0.001)
        self._last_stamp = int(ts * 1000)
        return sf_time(self._last_stamp / 1000)

    def _seed_contact(self, j: int) -> None:
        p = person(self.key, j)
        r = rng_for(self.key, "contact", j)
        created = sf_time(YEAR_START + r.randrange(0, 150) * 86400 + r.randrange(86400))
        a = p["address"]
        row = {"Id": self.new_id("Contact"), "FirstName": p["first_name"],
               "LastName": p["last_name"], "Email": p["email"], "Phone": p["phone"],
               "MobilePhone": None, "MailingStreet": a["address1"], "MailingCity": a["city"],
               "MailingState": a["province"], "MailingPostalCode": a["zip"],
               "MailingCountryCode": a["country_code"],
               "HasOptedOutOfEmail": r.random() < 0.3, "CreatedDate": created,
               "LastModifiedDate": created, "SystemModstamp": created}
        self.records["Contact"][row["Id"]] = row

    def touch_contacts(self, count: int) -> list[str]:
        """Change ``count`` contacts now (a new phone); their Ids."""
        with self.lock:
            ids = sorted(self.records["Contact"])[:count]
            for rid in ids:
                row = self.records["Contact"][rid]
                row["Phone"] = f"+1555{self._counter:07d}"
                self._counter += 1
                row["LastModifiedDate"] = row["SystemModstamp"] = self.stamp_time()
            return ids

    def find(self, sobject: str, field: str, value: Any) -> dict[str, Any] | None:
        """The record of ``sobject`` whose ``field`` equals ``value``."""
        return next((r for r in self.records.get(sobject, {}).values()
                     if r.get(field) == value and value is not None), None)


def _key_pair() -> tuple[str, Any]:
    """The connected app's key pair: the private key (PEM) for the client, the public key
    as the certificate uploaded to the app."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    return pem, key.public_key()
