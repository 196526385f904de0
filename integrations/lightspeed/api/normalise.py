"""Lightspeed's shapes, made regular once at the edge, and the value parsers used downstream.

Lightspeed sends a collection of one as an object, an empty one as `""` or not at all, and every
scalar as a string. `normalise_record` turns every known collection — at the top level and in
every nested relation — into a list, and leaves all other fields (including unknown ones) as
they came. Scalars stay strings until the code that uses them converts them with `to_int`,
`to_decimal`, `to_bool` or `to_datetime`, which fail loudly on nonsense.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.lightspeed.api.errors import LightspeedMalformedResponseError

# Wrapper relation → the name of its elements. `"SaleLines": {"SaleLine": …}` becomes
# `"SaleLines": [ … ]` after normalisation.
COLLECTIONS: dict[str, str] = {
    "SaleLines": "SaleLine",
    "SalePayments": "SalePayment",
    "SaleVoids": "SaleVoid",
    "ItemShops": "ItemShop",
    "Prices": "ItemPrice",
    "Registers": "Register",
    "Addresses": "ContactAddress",
    "Emails": "ContactEmail",
    "Phones": "ContactPhone",
    "Websites": "ContactWebsite",
    "Tags": "tag",
    "ItemComponents": "ItemComponent",
    "ItemVendorNums": "ItemVendorNum",
    "CustomFieldValues": "CustomFieldValue",
    "EmployeeRights": "EmployeeRight",
    "OrderLines": "OrderLine",
    "Reps": "VendorRep",
    "TaxClassTotals": "Tax",
    "Images": "Image",
    "Items": "Item",
}

# To-one relations that arrive as `""` when empty: normalised to None.
TO_ONE = {
    "Customer",
    "Contact",
    "Item",
    "Shop",
    "Register",
    "Employee",
    "PaymentType",
    "Note",
    "Discount",
    "Category",
    "ShipTo",
    "ItemECommerce",
    "ItemAttributes",
    "TaxCategory",
}

# The item's place in a matrix, made regular on every Item record (alone, in a sale line, in a
# matrix's Items): `itemMatrixID` an int (0 for none) and `ItemAttributes` always a mapping of
# attribute1..3 (strings, "" when absent) and itemAttributeSetID (int, 0 for none). Lightspeed
# sends ItemAttributes only when it is loaded, and "" for an item outside a matrix.
ITEM_ATTRIBUTE_SLOTS = ("attribute1", "attribute2", "attribute3")


def as_list(value: Any) -> list:
    """A Lightspeed collection as a list, whatever shape it came in."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def _normalise_value(key: str, value: Any) -> Any:
    if key in COLLECTIONS:
        element = normalise_item if key == "Items" else normalise_record
        if isinstance(value, Mapping):
            inner = value.get(COLLECTIONS[key])
            return [element(v) for v in as_list(inner) if isinstance(v, Mapping)]
        if isinstance(value, list):  # already normalised, or a body we built ourselves
            return [element(v) for v in value if isinstance(v, Mapping)]
        return []
    if key in TO_ONE and value == "":
        return None
    if key == "Item" and isinstance(value, Mapping):
        return normalise_item(value)
    if isinstance(value, Mapping):
        return normalise_record(value)
    return value


def normalise_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record with every nested collection as a list; other fields kept as they came."""
    return {key: _normalise_value(key, value) for key, value in record.items()}


def _whole(value: Any) -> int:
    """A foreign key that may be absent or unreadable: 0 (none) rather than a failed page."""
    try:
        return to_int(value, default=0) or 0
    except ValueError:
        return 0


def normalise_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """An Item record: `normalise_record`, plus its matrix id and attributes made regular."""
    item = normalise_record(record)
    item["itemMatrixID"] = _whole(item.get("itemMatrixID"))
    raw = item.get("ItemAttributes")
    raw = raw if isinstance(raw, Mapping) else {}
    attributes: dict[str, Any] = dict(raw)
    for slot in ITEM_ATTRIBUTE_SLOTS:
        value = raw.get(slot)
        attributes[slot] = "" if value is None or isinstance(value, Mapping | list) else str(value).strip()
    attributes["itemAttributeSetID"] = _whole(raw.get("itemAttributeSetID"))
    item["ItemAttributes"] = attributes
    return item


def records_in(body: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    """The records of `entity` in a response body: none, one or many, always a list."""
    if not isinstance(body, Mapping):
        raise LightspeedMalformedResponseError(
            f"Expected a JSON object holding {entity}, got {type(body).__name__}."
        )
    records = as_list(body.get(entity))
    for record in records:
        if not isinstance(record, Mapping):
            raise LightspeedMalformedResponseError(f"{entity} holds {type(record).__name__}, not records.")
    element = normalise_item if entity == "Item" else normalise_record
    return [element(r) for r in records]


# --- values ---------------------------------------------------------------------------------
def to_int(value: Any, *, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = Decimal(text)  # "3.000" from some quantity fields
        except InvalidOperation:
            raise ValueError(f"not an integer: {value!r}") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"not a whole number: {value!r}") from None
        return int(number)


def to_decimal(value: Any, *, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return default
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def to_bool(value: Any, *, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime; Lightspeed's timestamps carry an offset (always UTC in practice)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """A datetime as Lightspeed's filters expect it, with an explicit offset."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


# --- errors and headers ---------------------------------------------------------------------
def error_message(body: Any, text: str = "") -> str:
    """Lightspeed's explanation from either error body shape (classic `message` or OAuth-style)."""
    if isinstance(body, Mapping):
        for key in ("message", "error_description", "hint", "httpMessage", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        nested = body.get("error")
        if isinstance(nested, Mapping):
            return error_message(nested, text)
    text = re.sub(r"<[^>]+>", " ", text or "")  # some 400s come as text/html
    return " ".join(text.split())[:300]


_LEVEL = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*/\s*([0-9]*\.?[0-9]+)\s*$")


def parse_bucket_level(value: str | None) -> tuple[float, float] | None:
    """`"12.5/90"` → (12.5, 90.0); None when absent or unreadable."""
    if not value:
        return None
    match = _LEVEL.match(value)
    if not match:
        return None
    return float(match.group(1)), float(match.group(2))


def parse_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and number >= 0 else None
