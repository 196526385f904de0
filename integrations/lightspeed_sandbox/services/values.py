"""Values of request bodies as Lightspeed reads them: nested collections, booleans, numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.lightspeed_sandbox.errors import bad_request


def as_list(value: Any, key: str) -> list[dict]:
    """A nested collection from a request body: `{"Key": obj|[...]}`, `[{"Key": obj}]` or `[...]`."""
    if value in (None, ""):
        return []
    if isinstance(value, dict):
        inner = value.get(key, value)
        return inner if isinstance(inner, list) else [inner]
    if isinstance(value, list):
        out: list[dict] = []
        for entry in value:
            if isinstance(entry, dict) and key in entry:
                out.extend(as_list(entry, key))
            else:
                out.append(entry)
        return out
    raise bad_request(f"Invalid {key} collection.")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1")


def to_int(value: Any, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise bad_request(f"Invalid integer for {name}: '{value}'.") from None


def to_decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad_request(f"Invalid number for {name}: '{value}'.") from None
