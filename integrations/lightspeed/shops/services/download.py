"""The `shops` job: Lightspeed's shops, registers, employees and price levels, downloaded and
kept current.

Records missing from Lightspeed's answer (which includes archived ones) are marked archived,
never deleted: mappings and past orders still point at them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.shops import employee_parse, price_level_parse, shop_parse
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedPriceLevel,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
)


def _upsert(
    model, *, company, key_field: str, key: int, values: dict, counts: Counter, label: str, dry_run: bool
):
    current = model.objects.filter(company=company, **{key_field: key}).first()
    if current is None:
        counts[f"{label}_created"] += 1
        return None if dry_run else model.objects.create(company=company, **{key_field: key}, **values)
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if changed:
        counts[f"{label}_updated"] += 1
        if not dry_run:
            for k, v in changed.items():
                setattr(current, k, v)
            current.save(update_fields=[*changed, "updated_at"])
    return current


def _archive_missing(
    model, *, company, key_field: str, seen: Iterable[int], counts: Counter, label: str, dry_run: bool
):
    missing = model.objects.filter(company=company, archived=False).exclude(
        **{f"{key_field}__in": list(seen)}
    )
    counts[f"{label}_archived"] += missing.count()
    if not dry_run:
        missing.update(archived=True, updated_at=timezone.now())


def shops_download(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Downloads shops (with their registers), employees and price levels. Returns counts by kind."""
    company = settings_obj.company
    # Read everything first: a failure half-way leaves the database as it was.
    shops = list(client.iter_shops())
    employees = list(client.iter_employees())
    price_levels = list(client.iter_price_levels())
    counts: Counter = Counter()
    now = timezone.now()
    with transaction.atomic():
        shop_ids, register_ids = [], []
        for shop in map(shop_parse, shops):
            shop_id = shop.shop_id
            shop_ids.append(shop_id)
            row = _upsert(
                LightspeedShop,
                company=company,
                key_field="shop_id",
                key=shop_id,
                values={"name": shop.name, "time_zone": shop.time_zone, "archived": shop.archived},
                counts=counts,
                label="shops",
                dry_run=dry_run,
            )
            if row is not None and not dry_run:
                LightspeedShop.objects.filter(pk=row.pk).update(downloaded_at=now)
            for register in shop.registers:
                register_id = register.register_id
                register_ids.append(register_id)
                if dry_run and row is None:
                    counts["registers_created"] += 1
                    continue
                _upsert(
                    LightspeedRegister,
                    company=company,
                    key_field="register_id",
                    key=register_id,
                    values={"shop": row, "name": register.name, "archived": register.archived},
                    counts=counts,
                    label="registers",
                    dry_run=dry_run,
                )
            if progress:
                progress(1)
        employee_ids = []
        for employee in map(employee_parse, employees):
            employee_id = employee.employee_id
            employee_ids.append(employee_id)
            _upsert(
                LightspeedEmployee,
                company=company,
                key_field="employee_id",
                key=employee_id,
                values={
                    "first_name": employee.first_name,
                    "last_name": employee.last_name,
                    "lock_out": employee.lock_out,
                    "archived": employee.archived,
                    "limit_to_shop_id": employee.limit_to_shop_id,
                },
                counts=counts,
                label="employees",
                dry_run=dry_run,
            )
        level_ids = []
        for level in map(price_level_parse, price_levels):
            level_id = level.price_level_id
            level_ids.append(level_id)
            _upsert(
                LightspeedPriceLevel,
                company=company,
                key_field="price_level_id",
                key=level_id,
                values={"name": level.name, "archived": level.archived, "level_type": level.level_type},
                counts=counts,
                label="price_levels",
                dry_run=dry_run,
            )
        for model, key_field, seen, label in (
            (LightspeedShop, "shop_id", shop_ids, "shops"),
            (LightspeedRegister, "register_id", register_ids, "registers"),
            (LightspeedEmployee, "employee_id", employee_ids, "employees"),
            (LightspeedPriceLevel, "price_level_id", level_ids, "price_levels"),
        ):
            _archive_missing(
                model,
                company=company,
                key_field=key_field,
                seen=seen,
                counts=counts,
                label=label,
                dry_run=dry_run,
            )
    counts["shops"] = len(shops)
    counts["registers"] = len(register_ids)
    counts["employees"] = len(employees)
    counts["price_levels"] = len(price_levels)
    return dict(counts)
