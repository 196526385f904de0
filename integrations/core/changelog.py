"""The change log: who changed which field of which object, when, old → new.

Services that change tenant settings call `changelog_record` inside their own
`transaction.atomic()`, so the change and its log row commit (or roll back) together. Secret
fields (tokens, client secrets) are recorded only as "changed", never their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import formats, timezone

from integrations.core.fields import EncryptedTextField
from integrations.core.models import ChangeLog


def _display(instance: models.Model, field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return ""
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        # As the pages show dates (local time, the locale's format), not the ISO text of str().
        return formats.localize(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, date):
        return formats.localize(value)
    return str(value)


def field_values(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """A snapshot of raw field values (ids for relations), to diff later."""
    return {name: getattr(instance, instance._meta.get_field(name).attname) for name in fields}


def changelog_record(
    *,
    instance: models.Model,
    before: Mapping[str, Any],
    company=None,
    actor=None,
    actor_label: str = "",
    secret_fields: Iterable[str] = (),
) -> list[ChangeLog]:
    """Writes one row per field whose value differs between `before` and the instance now.

    Must run inside the caller's transaction; raises if called outside one so that a change
    can never be committed without its log row.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("changelog_record must run inside the transaction of the change.")
    secret = set(secret_fields)
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=True)
    rows = []
    for name, old in before.items():
        field = instance._meta.get_field(name)
        new = getattr(instance, field.attname)
        if old == new:
            continue
        is_secret = name in secret or isinstance(field, EncryptedTextField)
        if is_secret:
            old_text = ""
            new_text = ChangeLog.SECRET_PLACEHOLDER if new else "cleared"
        else:
            old_text, new_text = _display(instance, field, old), _display(instance, field, new)
        rows.append(
            ChangeLog(
                company=company,
                actor=actor if getattr(actor, "pk", None) else None,
                actor_label=actor_label,
                content_type=content_type,
                object_id=str(instance.pk),
                object_repr=str(instance)[:200],
                field=name,
                field_label=str(field.verbose_name)[:200],
                old_value=old_text,
                new_value=new_text,
                is_secret=is_secret,
            )
        )
    return ChangeLog.objects.bulk_create(rows)


def changelog_for(instance: models.Model) -> models.QuerySet[ChangeLog]:
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=True)
    return ChangeLog.objects.filter(content_type=content_type, object_id=str(instance.pk))
