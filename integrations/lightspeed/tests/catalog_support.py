"""Builders for the catalog tests: shops with their warehouses, linked products, Lightspeed's view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.commerce.models import Product, Warehouse
from integrations.commerce.tests.factories import ProductFactory, WarehouseFactory, stock
from integrations.lightspeed.models import (
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    ProductLink,
)


def shop(company, shop_id: int, name: str, *warehouses: Warehouse) -> LightspeedShop:
    """A downloaded shop mapped to warehouses in the given order (first drawn from first)."""
    made = LightspeedShop.objects.create(company=company, shop_id=shop_id, name=name)
    for position, warehouse in enumerate(warehouses):
        LightspeedShopWarehouse.objects.create(shop=made, warehouse=warehouse, position=position)
    return made


def warehouse(company, name: str, *, sellable: bool = True) -> Warehouse:
    return WarehouseFactory(company=company, name=name, code=name.upper()[:20], is_sellable=sellable)


def product(company, sku: str, **fields) -> Product:
    return ProductFactory(company=company, sku=sku, **fields)


def link(
    item: Product,
    item_id: int,
    *,
    seen: dict[LightspeedShop, int] | None = None,
    price=None,
    cost=None,
    enabled: bool = True,
) -> ProductLink:
    """A product linked to a Lightspeed item, with what Lightspeed was last seen holding."""
    made, _ = ProductLink.objects.update_or_create(
        product=item,
        defaults=dict(
            company_id=item.company_id,
            item_id=item_id,
            enabled=enabled,
            matched_by=ProductLink.MatchedBy.CUSTOM_SKU,
            linked_at=timezone.now(),
            price_seen=item.site_price if price is None else price,
            cost_seen=item.site_cost if cost is None else cost,
            upload_due_at=None,
        ),
    )
    for at, qoh in (seen or {}).items():
        ItemShopState.objects.update_or_create(
            link=made,
            shop=at,
            defaults={
                "qoh_seen": qoh,
                "item_shop_id": item_id * 10 + at.shop_id,
                "seen_time_stamp": timezone.now() - timedelta(hours=1),
            },
        )
    return made


def uploads_on(settings_obj: LightspeedSettings, **flags) -> LightspeedSettings:
    values = dict(
        inventory_upload_enabled=True,
        price_upload_enabled=True,
        cost_upload_enabled=True,
        shops_mapping_enabled=True,
    )
    values.update(flags)
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(**values)
    settings_obj.refresh_from_db()
    return settings_obj


__all__ = ["link", "product", "shop", "stock", "uploads_not_queued", "uploads_on", "warehouse"]


@pytest.fixture(autouse=True)
def uploads_not_queued(monkeypatch):
    """Stock changes schedule an upload task; tests keep it off the real broker and record it."""
    from integrations.lightspeed import tasks

    queued: list = []
    monkeypatch.setattr(
        tasks.lightspeed_upload_changed, "apply_async", lambda *a, **kw: queued.append((a, kw))
    )
    return queued
