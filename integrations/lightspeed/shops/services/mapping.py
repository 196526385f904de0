"""Manage Lightspeed Shops: saving the shop → warehouses/employee/register mapping."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from integrations.commerce.models import Company, User, Warehouse
from integrations.core.changelog import changelog_record, field_values
from integrations.core.errors import RefusalError
from integrations.core.models import ChangeLog
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedShop,
    LightspeedShopWarehouse,
)

logger = logging.getLogger(__name__)


class ShopMappingError(RefusalError):
    """The mapping was refused (e.g. a warehouse of another company); nothing was saved."""


@dataclass(frozen=True)
class ShopMappingRow:
    shop_id: int  # LightspeedShop.pk
    warehouse_ids: tuple[int, ...]  # in drawing order
    employee_id: int | None = None  # LightspeedEmployee.pk
    register_id: int | None = None  # LightspeedRegister.pk


def shop_mapping_check(*, company: Company, row: ShopMappingRow) -> None:
    """Raises ShopMappingError when the row names anything the company cannot map."""
    shop = LightspeedShop.objects.filter(company=company, pk=row.shop_id).first()
    if shop is None:
        raise ShopMappingError("This shop is not one of the company's Lightspeed shops.")
    if len(set(row.warehouse_ids)) != len(row.warehouse_ids):
        raise ShopMappingError(f"{shop.name}: a warehouse is listed twice.")
    warehouses = {w.pk: w for w in Warehouse.objects.filter(company=company, pk__in=row.warehouse_ids)}
    if len(warehouses) != len(row.warehouse_ids):
        raise ShopMappingError(f"{shop.name}: a warehouse is not one of the company's warehouses.")
    not_sellable = [warehouses[pk].name for pk in row.warehouse_ids if not warehouses[pk].is_sellable]
    if not_sellable:
        raise ShopMappingError(
            f"{shop.name}: {', '.join(not_sellable)} is not sellable, so its stock cannot be offered in a shop."
        )
    if row.register_id is not None:
        register = LightspeedRegister.objects.filter(company=company, pk=row.register_id).first()
        if register is None or register.shop_id != shop.pk:
            raise ShopMappingError(f"{shop.name}: the register must be one of this shop's registers.")
    if row.employee_id is not None:
        employee = LightspeedEmployee.objects.filter(company=company, pk=row.employee_id).first()
        if employee is None:
            raise ShopMappingError(f"{shop.name}: the employee is not one of the downloaded employees.")
        if employee.limit_to_shop_id and employee.limit_to_shop_id != shop.shop_id:
            raise ShopMappingError(f"{shop.name}: {employee} may only work in another shop at Lightspeed.")


def _warehouse_names(shop: LightspeedShop) -> str:
    return ", ".join(
        link.warehouse.name
        for link in shop.warehouse_links.select_related("warehouse").order_by("position", "id")
    )


@transaction.atomic
def shop_mapping_save(*, company: Company, rows: list[ShopMappingRow], actor: User | None) -> int:
    """Stores every row in one transaction (all or nothing) with its change log. Returns the
    number of shops whose mapping changed."""
    for row in rows:
        shop_mapping_check(company=company, row=row)
    changed = 0
    content_type = ContentType.objects.get_for_model(LightspeedShop)
    for row in rows:
        shop = LightspeedShop.objects.select_for_update().get(company=company, pk=row.shop_id)
        before = field_values(shop, ["employee", "register"])
        old_warehouses = _warehouse_names(shop)
        current = list(shop.warehouse_links.order_by("position", "id").values_list("warehouse_id", flat=True))
        if current != list(row.warehouse_ids):
            shop.warehouse_links.all().delete()
            LightspeedShopWarehouse.objects.bulk_create(
                LightspeedShopWarehouse(shop=shop, warehouse_id=warehouse_id, position=position)
                for position, warehouse_id in enumerate(row.warehouse_ids)
            )
        shop.employee_id = row.employee_id
        shop.register_id = row.register_id
        shop.save(update_fields=["employee", "register", "updated_at"])
        logged = changelog_record(instance=shop, before=before, company=company, actor=actor)
        new_warehouses = _warehouse_names(shop)
        if new_warehouses != old_warehouses:
            # The change log records model fields; the ordered warehouse list is written as one.
            logged.append(
                ChangeLog.objects.create(
                    company=company,
                    actor=actor if getattr(actor, "pk", None) else None,
                    content_type=content_type,
                    object_id=str(shop.pk),
                    object_repr=str(shop)[:200],
                    field="warehouses",
                    field_label="Warehouses",
                    old_value=old_warehouses,
                    new_value=new_warehouses,
                )
            )
        changed += bool(logged)
    return changed
