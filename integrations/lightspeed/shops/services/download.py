"""The `shops` job: Lightspeed's shops, registers, employees and price levels, downloaded and
kept current.

Records missing from Lightspeed's answer (which includes archived ones) are marked archived,
never deleted: mappings and past orders still point at them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.shops import (
    EmployeeRecord,
    PriceLevelRecord,
    ShopRecord,
    employee_parse,
    price_level_parse,
    shop_parse,
)
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
    # Read everything first: a failure half-way leaves the database as it was.
    shops = list(client.iter_shops())
    employees = list(client.iter_employees())
    price_levels = list(client.iter_price_levels())
    save = _Save(company=settings_obj.company, dry_run=dry_run, now=timezone.now())
    with transaction.atomic():
        for shop in map(shop_parse, shops):
            save.shop(shop)
            if progress:
                progress(1)
        for employee in map(employee_parse, employees):
            save.employee(employee)
        for level in map(price_level_parse, price_levels):
            save.price_level(level)
        save.missing_archive()
    counts = save.counts
    counts["shops"] = len(shops)
    counts["registers"] = len(save.seen[LightspeedRegister])
    counts["employees"] = len(employees)
    counts["price_levels"] = len(price_levels)
    return dict(counts)


@dataclass
class _Save:
    """Writes (or, in a dry run, only counts) what was downloaded, and remembers the ids seen."""

    company: Company
    dry_run: bool
    now: datetime
    counts: Counter = field(default_factory=Counter)
    seen: dict[type, list[int]] = field(
        default_factory=lambda: {
            LightspeedShop: [],
            LightspeedRegister: [],
            LightspeedEmployee: [],
            LightspeedPriceLevel: [],
        }
    )

    def upsert(self, model, *, key_field: str, key: int, values: dict, label: str):
        self.seen[model].append(key)
        return _upsert(
            model,
            company=self.company,
            key_field=key_field,
            key=key,
            values=values,
            counts=self.counts,
            label=label,
            dry_run=self.dry_run,
        )

    def shop(self, shop: ShopRecord) -> None:
        row = self.upsert(
            LightspeedShop,
            key_field="shop_id",
            key=shop.shop_id,
            values={"name": shop.name, "time_zone": shop.time_zone, "archived": shop.archived},
            label="shops",
        )
        if row is not None and not self.dry_run:
            LightspeedShop.objects.filter(pk=row.pk).update(downloaded_at=self.now)
        for register in shop.registers:
            if self.dry_run and row is None:
                self.seen[LightspeedRegister].append(register.register_id)
                self.counts["registers_created"] += 1
                continue
            self.upsert(
                LightspeedRegister,
                key_field="register_id",
                key=register.register_id,
                values={"shop": row, "name": register.name, "archived": register.archived},
                label="registers",
            )

    def employee(self, employee: EmployeeRecord) -> None:
        self.upsert(
            LightspeedEmployee,
            key_field="employee_id",
            key=employee.employee_id,
            values={
                "first_name": employee.first_name,
                "last_name": employee.last_name,
                "lock_out": employee.lock_out,
                "archived": employee.archived,
                "limit_to_shop_id": employee.limit_to_shop_id,
            },
            label="employees",
        )

    def price_level(self, level: PriceLevelRecord) -> None:
        self.upsert(
            LightspeedPriceLevel,
            key_field="price_level_id",
            key=level.price_level_id,
            values={"name": level.name, "archived": level.archived, "level_type": level.level_type},
            label="price_levels",
        )

    def missing_archive(self) -> None:
        """Records Lightspeed no longer lists are archived here, never deleted."""
        for model, key_field, label in (
            (LightspeedShop, "shop_id", "shops"),
            (LightspeedRegister, "register_id", "registers"),
            (LightspeedEmployee, "employee_id", "employees"),
            (LightspeedPriceLevel, "price_level_id", "price_levels"),
        ):
            _archive_missing(
                model,
                company=self.company,
                key_field=key_field,
                seen=self.seen[model],
                counts=self.counts,
                label=label,
                dry_run=self.dry_run,
            )
