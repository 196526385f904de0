"""Query parameters as Lightspeed reads them: filters with operators, sort, cursors, offsets.

Pagination is keyset-based (`after`/`before` cursors over the sort key and the id), so every
page is an index range scan however deep it is; V2's offset paging is the legacy exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Lookup, Q, QuerySet
from django.db.models.functions import Coalesce

from integrations.lightspeed_sandbox.errors import bad_request

MAX_LIMIT = 100
IN_MAX_VALUES = 100
# Longest operators first: ">=" must not be read as ">" with a value starting "=".
OPERATORS = ("><", ">=", "<=", "!=", "!~", "IN", "=", ">", "<", "~")
RESERVED = {
    "limit",
    "offset",
    "sort",
    "orderby",
    "orderby_desc",
    "load_relations",
    "archived",
    "count",
    "after",
    "before",
    "or",
    "timeStamp_utc",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@models.CharField.register_lookup
class SandboxLike(Lookup):
    """SQL LIKE with the caller's own `%` and `_` wildcards, as Lightspeed's `~` operator."""

    lookup_name = "sandbox_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def parse_datetime(value: str, *, local_zone: str) -> datetime:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"Invalid date '{value}'. Use YYYY-MM-DDTHH:MM:SS with an offset (+ as %2B)."
        ) from None
    if parsed.tzinfo is None:
        # Without an offset Lightspeed reads the account's local time: a UTC value sent without
        # "+00:00" silently shifts the window by hours.
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(local_zone))
    return parsed.astimezone(UTC)


def convert(field: models.Field, value: str, *, local_zone: str) -> Any:
    if isinstance(field, models.BooleanField):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise bad_request(f"Invalid boolean '{value}' for field '{field.name}'.")
    if isinstance(field, models.DateTimeField):
        return parse_datetime(value, local_zone=local_zone)
    if isinstance(field, models.DecimalField):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise bad_request(f"Invalid number '{value}' for field '{field.name}'.") from None
    if isinstance(field, (models.IntegerField, models.AutoField)):
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Invalid integer '{value}' for field '{field.name}'.") from None
    return value


def split_operator(raw: str) -> tuple[str, str]:
    for op in OPERATORS:
        if raw.startswith(op + ","):
            return op, raw[len(op) + 1 :]
    return "=", raw


def condition(model: type[models.Model], name: str, raw: str, *, local_zone: str, prefix: str = "") -> Q:
    try:
        field = model._meta.get_field(name)
    except Exception:
        raise bad_request(f"Invalid field '{name}' for {model.__name__}.") from None
    op, arg = split_operator(raw)
    key = prefix + name
    if op == "IN":
        # A JSON array ([1,2,3]) or a plain comma-separated list (1,2,3).
        text = arg.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        values = [v.strip().strip('"') for v in text.split(",") if v.strip()]
        if not values:
            raise bad_request(f"IN needs a list of values like [1,2,3] for '{name}'.")
        if len(values) > IN_MAX_VALUES:
            raise bad_request(f"IN accepts at most {IN_MAX_VALUES} values.")
        return Q(**{f"{key}__in": [convert(field, v, local_zone=local_zone) for v in values]})
    if op == "><":
        parts = arg.split(",")
        if len(parts) != 2:
            raise bad_request(f"Between (><) needs two values for '{name}'.")
        low, high = (convert(field, p, local_zone=local_zone) for p in parts)
        return Q(**{f"{key}__gte": low, f"{key}__lte": high})
    if op in ("~", "!~"):
        if not isinstance(field, models.CharField):
            raise bad_request(f"The ~ operator only applies to text fields, not '{name}'.")
        like = Q(**{f"{key}__sandbox_like": arg})
        return ~like if op == "!~" else like
    value = convert(field, arg, local_zone=local_zone)
    lookup = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "!=": "exact"}[op]
    q = Q(**{f"{key}__{lookup}": value})
    return ~q if op == "!=" else q


def _cursor_signature(payload: str) -> str:
    # Lightspeed's cursors are opaque ("never build cursors"): a signature makes a cursor the
    # client built, or edited, fail as it would there instead of quietly working.
    from django.conf import settings

    key = f"lightspeed-sandbox-cursor:{settings.SECRET_KEY}".encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:16]


def encode_cursor(sort: Sort, value: Any, pk: int) -> str:
    """Standard, padded base64 as Lightspeed's (`WzEwMF0=`): its `=`, `+` and `/` must survive
    the client's URL handling (`%3D`, `%2B`), so the raw text is padded to always end in `=`."""
    if isinstance(value, datetime):
        value = ["dt", value.timestamp()]
    elif isinstance(value, Decimal):
        value = ["dec", str(value)]
    payload = json.dumps([sort.param, value, pk], separators=(",", ":"))
    raw = f"{payload}|{_cursor_signature(payload)}"
    raw += " " * (1 if len(raw) % 3 == 0 else 0)
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    try:
        raw = base64.b64decode(cursor.encode("ascii"), validate=True).decode().rstrip(" ")
        payload, _, signature = raw.rpartition("|")
        if not hmac.compare_digest(signature.encode(), _cursor_signature(payload).encode()):
            raise ValueError("not a cursor this sandbox issued")
        param, value, pk = json.loads(payload)
    except (ValueError, binascii.Error, TypeError, UnicodeError):
        raise bad_request("Invalid pagination cursor.") from None
    if param != sort.param:
        raise bad_request("The pagination cursor does not belong to this sort order.")
    if isinstance(value, list) and value and value[0] == "dt":
        value = datetime.fromtimestamp(value[1], tz=UTC)
    elif isinstance(value, list) and value and value[0] == "dec":
        value = Decimal(value[1])
    return value, int(pk)


def sort_key(model: type[models.Model], queryset: QuerySet, sort: Sort) -> tuple[QuerySet, str]:
    """The column to order by; nullable ones (Sale.completeTime) sort as the epoch."""
    field = model._meta.get_field(sort.field)
    if field.null:
        return queryset.annotate(_sort_key=Coalesce(sort.field, models.Value(EPOCH))), "_sort_key"
    return queryset, sort.field


def keyset_page(
    queryset: QuerySet,
    *,
    model: type[models.Model],
    pk_name: str,
    sort: Sort,
    limit: int,
    after: str | None,
    before: str | None,
) -> tuple[list, bool, bool]:
    """One page of `limit` rows after (or before) a cursor: (rows, has_next, has_previous)."""
    queryset, key = sort_key(model, queryset, sort)
    backwards = before is not None
    descending = sort.descending != backwards
    cursor = before if backwards else after
    if cursor:
        value, pk = decode_cursor(cursor, sort)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(Q(**{f"{key}__{op}": value}) | Q(**{key: value, f"{pk_name}__{op}": pk}))
    prefix = "-" if descending else ""
    rows = list(queryset.order_by(f"{prefix}{key}", f"{prefix}{pk_name}")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
        return rows, True, more
    return rows, more, bool(after)


def cursor_value(row: models.Model, model: type[models.Model], sort: Sort) -> Any:
    value = getattr(row, sort.field)
    if value is None and model._meta.get_field(sort.field).null:
        return EPOCH
    return value
