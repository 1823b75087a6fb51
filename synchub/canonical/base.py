"""Building blocks of every canonical entity: money, UTC time, source, content hash."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)

from synchub.canonical.limits import (
    AMOUNT_DECIMALS,
    AMOUNT_DIGITS,
    HUB_ID_LENGTH,
    ID_LENGTH,
    MAX_QUANTITY,
    NAME_LENGTH,
    SKU_LENGTH,
)

# ISO 4217 minor units that differ from 2; everything else has 2 decimals.
MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}

_ZERO = Decimal(0)
CANONICAL_NAMESPACE = uuid.UUID("6f0c5e43-2d1c-4c55-9a63-5b1f0e6c9a10")


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:24]}... ({len(text)} characters)"


def _parse_amount(value: Any) -> Decimal:
    # one Python call per amount: this runs ~30 times per order on the ingest hot path
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, str):
        try:
            out = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value[:40]!r} is not a decimal amount") from None
    elif isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    elif isinstance(value, int):
        out = Decimal(value)
    elif isinstance(value, float):
        # floats are not exact; accept them only through their shortest repr, never binary
        out = Decimal(repr(value))
    else:
        raise ValueError(f"expected a decimal amount, got {type(value).__name__}")
    if not out.is_finite():
        raise ValueError("amount must be a finite decimal number")
    # bounds by the exponent of the leading digit: one C call, no digit tuple
    scale = out.adjusted()
    if not out:
        return out if -AMOUNT_DECIMALS <= scale < AMOUNT_DIGITS else _ZERO  # 0E-400 is 0
    if scale >= AMOUNT_DIGITS:
        raise ValueError(f"{_shown(out)} is out of range: an amount is below "
                         f"10^{AMOUNT_DIGITS} either way")
    if scale < -AMOUNT_DECIMALS:
        raise ValueError(f"{_shown(out)} is too small: an amount other than 0 is at least "
                         f"10^-{AMOUNT_DECIMALS} either way")
    return out


def _upper_currency(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Amount = Annotated[
    Decimal,
    PlainValidator(_parse_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$",
                    "description": f"Exact decimal amount as a string, below "
                                   f"10^{AMOUNT_DIGITS} either way."}),
]
CurrencyCode = Annotated[
    str,
    # constraints before the validator: so they reach the JSON Schema and its messages
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code."),
    BeforeValidator(_upper_currency),
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (naive times are ambiguous)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_utc),
    PlainSerializer(lambda d: d.isoformat().replace("+00:00", "Z"), return_type=str,
                    when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "Timezone-aware timestamp, in UTC."}),
]


def bounded_quantity(value: int) -> int:
    """The quantity, when within the limit of the store (ValueError naming it when not)."""
    if not -MAX_QUANTITY <= value <= MAX_QUANTITY:
        raise ValueError(f"{_shown(value)} is out of range: a quantity is at most "
                         f"{MAX_QUANTITY:,} units either way")
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise ValueError(f"{value} is negative: a count of units is 0 or more")
    return value


Quantity = Annotated[
    int, AfterValidator(bounded_quantity),
    WithJsonSchema({"type": "integer", "minimum": -MAX_QUANTITY, "maximum": MAX_QUANTITY,
                    "description": "Whole units."}),
]
Count = Annotated[
    int, AfterValidator(bounded_quantity), AfterValidator(_not_negative),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY,
                    "description": "Whole units, 0 or more."}),
]
ExternalId = Annotated[
    str,
    # constraints before the validator, as above ("at most 255 characters", not "items")
    Field(min_length=1, max_length=ID_LENGTH,
          description="An id as the source system spells it, always a string."),
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
]
Reference = Annotated[str, Field(max_length=ID_LENGTH,
                                 description="The id of another record, as its system spells "
                                             "it.")]
Sku = Annotated[str, Field(max_length=SKU_LENGTH, description="Stock keeping unit.")]
Name = Annotated[str, Field(max_length=NAME_LENGTH)]


class Strict(BaseModel):
    """Base of all canonical models: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, ser_json_inf_nan="strings")


_QUANTUM = {n: Decimal(1).scaleb(-n) for n in range(5)}


def _decimals(value: Any) -> int:
    """Digits after the point of a plain decimal string or Decimal (a large value if unsure)."""
    if isinstance(value, str):
        dot = value.find(".")
        if "e" in value or "E" in value:
            return 99
        return 0 if dot < 0 else len(value.rstrip()) - dot - 1
    return _decimals(str(value))  # str() of a Decimal is cheaper than its digit tuple


class Money(Strict):
    """An exact amount in one currency: ``{"amount": "12.34", "currency": "EUR"}``."""

    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code.")]

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        # One Python call per Money (about 25 per order on the ingest hot path).
        # "5", "5.0" and "5.00" EUR are one amount: pad to the currency's minor units so
        # that equal money hashes equal; extra precision a source sends is kept.
        if not isinstance(data, dict):
            return data
        currency = data.get("currency")
        if isinstance(currency, str):
            currency = currency.strip().upper()
        raw = data.get("amount")
        try:
            amount = _parse_amount(raw)
        except ValueError:
            return data          # the field validator reports it, with its path
        units = MINOR_UNITS.get(currency, 2) if isinstance(currency, str) else 2
        if _decimals(raw.strip() if isinstance(raw, str) else amount) < units:
            amount = amount.quantize(_QUANTUM[units])
        return {**data, "amount": amount, "currency": currency}

    @property
    def minor_units(self) -> int:
        return MINOR_UNITS.get(self.currency, 2)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)


class SourceRef(Strict):
    """Where a record came from: the hub connection, its system, and the id it has there."""

    connection: str = Field(min_length=1, max_length=ID_LENGTH)
    system: str = Field(min_length=1, max_length=ID_LENGTH)
    external_id: ExternalId


class Warning_(Strict):
    """Something the hub noticed and kept rather than silently fixing."""

    code: str
    message: str


_NS_BYTES = CANONICAL_NAMESPACE.bytes


def canonical_id(connection: str, entity: str, external_id: str) -> str:
    """Stable canonical id for a record first seen as ``external_id`` on ``connection``.

    A UUID version 5 (RFC 9562) of the three, computed directly: ``uuid.uuid5`` builds
    intermediate objects that cost more than the hash itself on the ingest path.
    """
    name = f"{connection}\x1f{entity}\x1f{external_id}".encode()
    b = bytearray(hashlib.sha1(_NS_BYTES + name, usedforsecurity=False).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_HASH_EXCLUDE_SET = {"id", "content_hash", "source"}


def _not_text(value: Any, where: str = "") -> str | None:
    """The path (``lines[0].title``) of the first string or key that is not valid Unicode."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return where or "(top level)"
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = ((k, v, f"{where}.{k}" if where else str(k)) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((None, v, f"{where}[{i}]") for i, v in enumerate(value))
    for key, item, path in items:
        found = (_not_text(key, path) if isinstance(key, str) else None) \
            or _not_text(item, path)
        if found:
            return found
    return None


class CanonicalRecord(Strict):
    """Common identity of every canonical entity.

    ``id`` is the hub's id (stable per connection, entity and external id); ``source`` says
    where it came from; ``content_hash`` is the SHA-256 of the rest of the record, used to
    skip unchanged records.
    """

    entity: ClassVar[str] = "record"
    schema_version: ClassVar[str] = "1"

    id: str = Field(default="", max_length=HUB_ID_LENGTH, description="Hub id of the record.")
    source: SourceRef
    content_hash: str = Field(default="", max_length=HUB_ID_LENGTH,
                              description="SHA-256 of the record's content.")
    _content_json: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _identity(self) -> CanonicalRecord:
        self.check()
        if not self.id:
            self.id = canonical_id(self.source.connection, self.entity, self.source.external_id)
        if not self.content_hash:
            try:
                self._content_json = self.model_dump_json(exclude=_HASH_EXCLUDE_SET)
            except ValueError:
                where = _not_text(self.model_dump())
                if where is None:
                    raise
                # JSON (and the store) hold Unicode text only: name the field, not the codec
                raise ValueError(f"{where}: contains a lone surrogate, which is not Unicode "
                                 "text") from None
            self.content_hash = hashlib.sha256(self._content_json.encode()).hexdigest()
        return self

    def check(self) -> None:
        """Entity-level rules; runs before the id and hash are set (override, call super)."""

    def compute_hash(self) -> str:
        """SHA-256 of the record's content (its JSON without id, hash and source).

        Field order is fixed by the model, so the JSON is canonical without sorting; it is
        produced by pydantic's serializer in one pass, which keeps hashing off the hot path.
        """
        return hashlib.sha256(self.model_dump_json(exclude=_HASH_EXCLUDE_SET).encode()
                              ).hexdigest()

    def document_json(self) -> str:
        """The record's JSON document as one string, reusing the serialization the hash made.

        Identical to ``model_dump_json()``; building it from the hashed content saves
        serializing every record twice on the ingest path.
        """
        content = self._content_json
        if content is None or content == "{}":
            return self.model_dump_json()
        head = (f'{{"id":{json.dumps(self.id)},"source":{self.source.model_dump_json()},'
                f'"content_hash":"{self.content_hash}",')
        return head + content[1:]

    def to_json_dict(self) -> dict[str, Any]:
        """The record as the feed contract spells it (JSON-ready types)."""
        return self.model_dump(mode="json")
