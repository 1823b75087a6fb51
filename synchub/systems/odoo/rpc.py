"""What the Odoo writers share: ``execute_kw`` calls, lookups in one call, value formats.

Reads go through the connector client, which retries them on 429, 5xx and timeouts.
Writes (``create``, ``write`` and the actions) are sent once (``execute_kw(once=True)``):
retried only after an answer that says nothing was applied (429, a rolled-back
transaction conflict). A write whose reply was lost may have been committed, and sending it
again would create a second order or answer "not in a state requiring confirmation"; the
writer answers ``retry`` instead, and the next attempt looks the record up by its reference
before doing anything.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter, settle_batch
from synchub.errors import ConfigError, FatalAPIError
from synchub.systems.odoo.auth import OdooJsonRpcAuth
from synchub.systems.odoo.transport import ODOO_TIME, execute_kw

if TYPE_CHECKING:
    from synchub.runtime import ConnectorClient

DEFAULT_PATH = "/jsonrpc"


class OdooRpc:
    """``object.execute_kw`` on one Odoo database through the sink's connector client."""

    def __init__(self, client: ConnectorClient | None, path: str | None, writer: str) -> None:
        if client is None:
            raise ConfigError(f"writer {writer} needs the Odoo connection's client",
                              key="writers.type")
        if not isinstance(client.http.auth, OdooJsonRpcAuth):
            raise ConfigError(f"writer {writer} needs a connector with auth type odoo_jsonrpc",
                              key="auth.type")
        self.client, self.path = client, path or DEFAULT_PATH

    def read(self, model: str, method: str, args: list[Any],
             kwargs: dict[str, Any] | None = None) -> Any:
        """A read-only call (retried by the client on transient failures)."""
        return execute_kw(self.client, self.path, model, method, args, kwargs or {})[1]

    def write(self, model: str, method: str, args: list[Any],
              kwargs: dict[str, Any] | None = None) -> Any:
        """A call that changes the database, sent once (see the module docstring)."""
        return execute_kw(self.client, self.path, model, method, args, kwargs or {},
                                      once=True)[1]

    def search_read(self, model: str, domain: list[Any], fields: list[str],
                    order: str = "id asc") -> list[dict[str, Any]]:
        """Every record matching ``domain`` (the writers ask for one batch's worth)."""
        rows = self.read(model, "search_read", [domain], {"fields": fields, "order": order})
        if not isinstance(rows, list):
            raise FatalAPIError(f"Odoo {model}.search_read answered {type(rows).__name__}, "
                                "not a list")
        return rows

    def create(self, model: str, vals_list: list[dict[str, Any]]) -> list[int]:
        """Create records from a list of values; their ids in the same order."""
        ids = self.write(model, "create", [vals_list])
        if not isinstance(ids, list) or len(ids) != len(vals_list) or not all(
                isinstance(i, int) for i in ids):
            raise FatalAPIError(f"Odoo {model}.create answered {str(ids)[:80]} for "
                                f"{len(vals_list)} record(s)")
        return ids


def any_of(*terms: tuple[str, list[Any]]) -> list[Any]:
    """A domain OR-ing ``[field, "in", values]`` for the terms that have values."""
    leaves = [[name, "in", sorted(set(values), key=str)] for name, values in terms if values]
    if not leaves:
        return [[0, "=", 1]]  # matches nothing: Odoo's FALSE_LEAF
    return ["|"] * (len(leaves) - 1) + leaves


def first_by(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """The first row (lowest id, as searched) for each value of ``key``."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        value = row.get(key)
        if value not in (None, False, "") and value not in out:
            out[value] = row
    return out


def many2one_id(value: Any) -> int | None:
    """The id of a many2one value ``[id, name]`` (None when empty)."""
    return value[0] if isinstance(value, list) and value else None


def decimal(value: Any) -> Decimal:
    """A canonical amount (decimal string) as a Decimal; 0 for None."""
    if value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{str(value)[:20]!r} is not an amount") from None


def odoo_datetime(value: Any) -> str | None:
    """A canonical time (ISO 8601, UTC) as Odoo writes datetimes: naive UTC, seconds."""
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(ODOO_TIME)


def rate_key(rate: Any) -> str | None:
    """A tax rate as the writers' ``taxes`` option spells it: ``"0.19"`` (None if none)."""
    if rate is None:
        return None
    return format(decimal(rate).normalize(), "f")


class OdooBatchWriter(SinkWriter):
    """What the Odoo writers share: the RPC helper built on first use, and a batch whose
    transient failure answers ``retry`` for what is not done yet (:func:`settle_batch`).

    Subclasses implement ``_write(items, results)``, filling ``results`` per delivery id.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rpc: OdooRpc | None = None

    @property
    def rpc(self) -> OdooRpc:
        """The Odoo calls, built on first use."""
        if self._rpc is None:
            self._rpc = OdooRpc(self.client, self.spec.path, self.spec.type)
        return self._rpc

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Write the batch; a transient failure answers ``retry`` for what is not done yet."""
        return settle_batch(items, lambda results: self._write(items, results))

    @abstractmethod
    def _write(self, items: Sequence[DeliveryItem], results: dict[int, DeliveryResult]) -> None:
        """Write the batch, setting ``results[delivery_id]`` for each item it settles."""
