"""Udesk mapping transforms: the order a ticket names, written ``<connection>:<external id>``."""

from __future__ import annotations

from typing import Any

from synchub.mapping.transforms import TransformTable

TRANSFORMS = TransformTable()


def _parts(value: Any) -> tuple[str | None, str | None]:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None, None
    connection, sep, external = text.partition(":")
    if not sep:   # the order number alone: the connection is not named
        return None, text
    return connection.strip() or None, external.strip() or None


@TRANSFORMS("order_ref_connection")
def order_ref_connection(value: Any) -> Any:
    """The connection of ``shop:1001`` (None when the reference names none)."""
    return _parts(value)[0]


@TRANSFORMS("order_ref_external_id")
def order_ref_external_id(value: Any) -> Any:
    """The order's external id of ``shop:1001`` (or of a bare ``1001``)."""
    return _parts(value)[1]


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


@TRANSFORMS("person_name")
def person_name(value: Any) -> Any:
    """``[first, last]`` as a person is called: 王伟 (family name first, no space) for
    Chinese names, "Zoë Müller" otherwise; None when both are empty."""
    if not isinstance(value, list) or len(value) != 2:
        return value
    first, last = (str(v).strip() if v is not None else "" for v in value)
    if not first or not last:
        return first or last or None
    return f"{last}{first}" if _cjk(first + last) else f"{first} {last}"
