"""Lightspeed's query language, written in one place: filters, relations and IN lists.

`field=OP,value` filters (`timeStamp=>,2026-01-01T00:00:00+00:00`), `IN,[1,2,3]` lists of at most
100 values, and `load_relations` as a JSON array (API-NOTES, "Requests and responses"). Only the
client builds queries, with these helpers; services ask the client by meaning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from integrations.lightspeed.api.normalise import iso_utc
from integrations.lightspeed.api.transport import MAX_PAGE

# A sale with what an order needs: its lines with their items' codes, payments with their type,
# and the customer with the contact (name, email, address).
SALE_RELATIONS = [
    "SaleLines",
    "SaleLines.Item",
    "SalePayments",
    "SalePayments.PaymentType",
    "Customer",
    "Customer.Contact",
]
# Characters an IN list of text cannot carry: Lightspeed reads the list as JSON-ish and splits it.
UNLISTABLE = set(',"[]')


def chunks(values: Iterable[Any], size: int = MAX_PAGE) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_ids(values: Iterable[Any]) -> str:
    """`IN,[1,2,3]`: at most `MAX_PAGE` ids (callers chunk)."""
    return "IN," + json.dumps([int(v) for v in values], separators=(",", ":"))


def in_texts(values: Iterable[str]) -> str:
    """`IN,["A","B"]`: at most `MAX_PAGE` texts, none of them holding an `UNLISTABLE` character."""
    return "IN," + json.dumps(list(values), separators=(",", ":"))


def listable(text: str) -> bool:
    return bool(text) and not set(text) & UNLISTABLE


def after(moment: datetime) -> str:
    """Strictly after a moment, in UTC with an explicit offset."""
    return f">,{iso_utc(moment)}"


def at_or_after(moment: datetime) -> str:
    return f">=,{iso_utc(moment)}"


def at_or_before(moment: datetime) -> str:
    return f"<=,{iso_utc(moment)}"


def above(number: int) -> str:
    return f">,{number}"


def any_of(**conditions: str) -> str:
    """The value of an `or=` filter: `field=condition` alternatives joined by `|` (the HTTP layer
    percent-encodes each `=` as Lightspeed requires)."""
    return "|".join(f"{name}={condition}" for name, condition in conditions.items())


def relations(names: list[str]) -> str:
    return json.dumps(names)
