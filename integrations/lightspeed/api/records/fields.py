"""Reading one field of a Lightspeed record: the shared helpers of the parsers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api.normalise import to_decimal

ZERO = Decimal("0")


class RecordParseError(ValueError):
    """A record with a field that cannot be read; the message starts with the field's name."""


def text(record: Mapping[str, Any], name: str, limit: int = 255) -> str:
    """A text field, stripped and cut to `limit`; "" when absent or not a scalar."""
    value = record.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:limit]


def read(record: Mapping[str, Any], name: str, reader: Callable[..., Any], **kwargs: Any) -> Any:
    """A field through one of `normalise`'s value parsers; nonsense raises RecordParseError."""
    try:
        return reader(record.get(name), **kwargs)
    except (ValueError, TypeError) as exc:
        raise RecordParseError(f"{name}: {exc}") from None


def money(record: Mapping[str, Any], *names: str) -> Decimal:
    """The sum of money fields, each 0 when absent."""
    return sum((read(record, n, to_decimal, default=ZERO) for n in names), ZERO)


def first_text(records: list | None, name: str) -> str:
    """The first non-empty `name` among records (an email among a contact's emails)."""
    for record in records or []:
        if isinstance(record, dict) and text(record, name):
            return text(record, name)
    return ""
