"""Encrypted model fields (secrets at rest) on cryptography's MultiFernet.

Keys come from settings.FIELD_ENCRYPTION_KEY, a list of Fernet keys, newest first: the first
encrypts, every key decrypts, so a key can be rotated by putting a new one in front, running
`encrypted_fields_reencrypt` (or `manage.py reencrypt_fields`), then dropping the old key.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction


class DecryptionError(ImproperlyConfigured):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY holds an invalid Fernet key: {exc}") from exc


def multifernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEY
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k.strip()]
    return _multifernet(tuple(keys))


def encrypt_str(value: str) -> str:
    return multifernet().encrypt(value.encode()).decode()


def decrypt_str(value: str) -> str:
    try:
        return multifernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEY "
            "(was a key removed before re-encrypting?)."
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted; reads give back the plain text. Not usable in lookups.

    The empty string is stored as is, so "no secret" stays visible without a key.
    """

    description = "Text encrypted at rest (MultiFernet)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))

    def get_lookup(self, lookup_name):
        # Fernet output differs on every write, so only emptiness can be compared.
        if lookup_name not in {"isnull", "exact"}:
            return None
        return super().get_lookup(lookup_name)


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def encrypted_fields_reencrypt(*, batch_size: int = 500) -> int:
    """Rewrites every encrypted value with the newest key. Returns how many rows changed."""
    fernet = multifernet()
    changed = 0
    for model, names in encrypted_fields():
        table = model._meta.db_table
        pk = model._meta.pk.column
        columns = [model._meta.get_field(n).column for n in names]
        # Raw values, so rows already written with the newest key are left untouched.
        for row_pk in model.objects.values_list("pk", flat=True).iterator(chunk_size=batch_size):
            # A token renewed between the read and the write must not be overwritten by the
            # rotated copy of the old one: the write only lands on the values it read, else the
            # row is read again.
            for _attempt in range(5):
                raw = _raw_row(model, row_pk, columns, table, pk)
                if raw is None:  # deleted meanwhile
                    break
                updates = {}
                for column, value in zip(columns, raw, strict=True):
                    if value:
                        rotated = fernet.rotate(value.encode()).decode()
                        if rotated != value:
                            updates[column] = (value, rotated)
                if not updates:
                    break
                if _raw_update(table, pk, row_pk, updates):
                    changed += 1
                    break
    return changed


def _raw_row(model, row_pk, columns, table, pk_column) -> list[str | None] | None:
    from django.db import connection

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quoted} FROM {connection.ops.quote_name(table)} "  # noqa: S608 - names from model meta
            f"WHERE {connection.ops.quote_name(pk_column)} = %s",
            [row_pk],
        )
        row = cursor.fetchone()
        return list(row) if row is not None else None


def _raw_update(table: str, pk_column: str, row_pk, updates: dict[str, tuple[str, str]]) -> bool:
    """Writes the rotated values only where the row still holds the values read: True if written."""
    from django.db import connection

    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
    unchanged = "".join(f" AND {quote(c)} = %s" for c in updates)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {assignments} "  # noqa: S608 - names from model meta
            f"WHERE {quote(pk_column)} = %s{unchanged}",
            [*(new for _, new in updates.values()), row_pk, *(old for old, _ in updates.values())],
        )
        return cursor.rowcount == 1
