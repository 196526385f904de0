"""Lightspeed's wire shapes: every scalar a string, one element an object, empty relations gone.

These helpers are the only place the sandbox turns Python values into API values, so each quirk
is written once and applies at every level of every response.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def api_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return api_time(value)
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, float):
        return number_str(value)
    return str(value)


def api_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def decimal_str(value: Decimal) -> str:
    """`34.48`, `0`, `11.4860025`: no trailing zeros, no exponent."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def number_str(value: float, places: int = 3) -> str:
    """Header numbers: `1`, `1.5`, `12.347` (fractional only when it is)."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def one_or_many(records: list[dict]) -> dict | list[dict]:
    """A collection of one is an object, of several a list (the caller drops empty ones)."""
    return records[0] if len(records) == 1 else records


def relation(key: str, records: list[dict], empty: Any = None) -> Any:
    """`{"SaleLine": …}` for a nested collection; `empty` (absent or "") when there is none."""
    if not records:
        return empty
    return {key: one_or_many(records)}


def put_relation(target: dict, name: str, key: str, records: list[dict], empty: Any = None) -> None:
    value = relation(key, records, empty)
    if value is not None:
        target[name] = value


def stringify(record: dict) -> dict:
    return {name: api_str(value) for name, value in record.items()}
