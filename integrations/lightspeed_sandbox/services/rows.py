"""Many rows of one table in a single `executemany` INSERT: the sandbox's bulk seeding.

Django's `bulk_create` prepares every field of every row through the field's own conversion and
sends one INSERT per few dozen rows (SQLite's 999 parameters). For the hundreds of thousands of
rows of a fleet or a backfill that preparation is most of the time, although nearly all the
values are plain ints and strings and the rest (decimals, datetimes) repeat. Here each value
still goes through `field.get_db_prep_save` — so the stored values are exactly bulk_create's —
except plain ints, strings, booleans and floats, which need none, and a repeated value is
converted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

PLAIN_FIELDS = (
    models.IntegerField,  # AutoField, too
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
)
PLAIN_VALUES = (int, str, float, type(None))  # bool is an int


def rows_insert(model: type[models.Model], objects: Sequence[models.Model]) -> int:
    """Inserts `objects` (all with their primary key set, or none) in one statement; returns the count."""
    if not objects:
        return 0
    meta = model._meta
    with_pk = objects[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objects):
        raise ValueError("rows_insert takes objects that all have a primary key, or none")
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    converters = [_converter(field) for field in fields]
    attnames = [field.attname for field in fields]
    rows = [
        [convert(getattr(obj, attname)) for attname, convert in zip(attnames, converters, strict=True)]
        for obj in objects
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})",  # noqa: S608 - our own table
            rows,
        )
    return len(rows)


def _converter(field: models.Field):  # noqa: ANN202 - a closure over the field
    prepare = field.get_db_prep_save
    if isinstance(field, PLAIN_FIELDS) and not isinstance(field, models.DecimalField):

        def plain(value: Any) -> Any:
            return value if isinstance(value, PLAIN_VALUES) else prepare(value, connection)

        return plain
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = prepare(value, connection)
            return seen[value]
        except TypeError:  # unhashable (a JSON field's dict)
            return prepare(value, connection)

    return cached
