"""Where a sale's stock comes from and goes to: the scope of one order-download run.

A shop's sales draw on the warehouses mapped to it, in mapping order, splitting a line across
them when the first has too little; when none has enough, the shortfall is taken from the first
(stock goes negative there) and flagged. With shops mapping off, the company's default sellable
warehouse is drawn from (or, when none is marked default, its sellable warehouses by name).
Returns are received into the Returns Warehouse, else the shop's first warehouse with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model

from integrations.commerce.models import Company, StockLevel, User, Warehouse
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
)

SYSTEM_USERNAME = "lightspeed-pos-{company_id}"


def channel_user_get(*, company: Company) -> User:
    """The system user of the company's Lightspeed POS channel: it books the channel's stock
    moves. It belongs to the company and cannot sign in."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME.format(company_id=company.pk),
        defaults={"company": company, "first_name": "Lightspeed POS", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class ShopScope:
    """What one run needs to know about shops, read once: which sales to import and from where."""

    company: Company
    settings: LightspeedSettings
    mapping_on: bool
    shops: dict[int, LightspeedShop]
    warehouses_by_shop: dict[int, list[Warehouse]]
    default_warehouses: list[Warehouse]
    registers: dict[int, LightspeedRegister]
    employees: dict[int, LightspeedEmployee]
    stored_user: User | None  # None for a dry run: see `user`
    configured_shop_id: int | None = None
    start_at: datetime | None = None
    warnings: set[str] = field(default_factory=set)
    # Whether each sale imported now is measured (completion → order) for the freshness figures:
    # not in a dry run, a first run, a backfill or a re-read from a chosen date (history is not news).
    measure_freshness: bool = False

    @property
    def user(self) -> User:
        """The channel's system user. A dry run looks it up (or creates it) each time it books
        stock, inside the page's transaction, which is rolled back: it leaves no user behind."""
        return self.stored_user or channel_user_get(company=self.company)

    def imports_shop(self, shop_id: int) -> bool:
        if self.mapping_on:
            return bool(self.warehouses_by_shop.get(shop_id))
        # No shop chosen: nothing is imported (the orders job refuses to run; see orders_refusal).
        return self.configured_shop_id is not None and shop_id == self.configured_shop_id

    def warehouses_for(self, shop_id: int) -> list[Warehouse]:
        if self.mapping_on:
            return self.warehouses_by_shop.get(shop_id, [])
        return self.default_warehouses

    def returns_warehouse_for(self, shop_id: int) -> Warehouse | None:
        if self.settings.returns_warehouse_id:
            return self.settings.returns_warehouse
        warehouses = self.warehouses_for(shop_id)
        if warehouses:
            self.warnings.add("returns_warehouse_missing")
            return warehouses[0]
        return None


def shop_scope_load(*, settings_obj: LightspeedSettings, dry_run: bool = False) -> ShopScope:
    company = settings_obj.company
    shops = {shop.shop_id: shop for shop in LightspeedShop.objects.filter(company=company)}
    by_shop: dict[int, list[Warehouse]] = {}
    for link in (
        LightspeedShopWarehouse.objects.filter(shop__company=company)
        .select_related("warehouse", "shop")
        .order_by("shop_id", "position", "id")
    ):
        by_shop.setdefault(link.shop.shop_id, []).append(link.warehouse)
    sellable = list(Warehouse.objects.filter(company=company, is_sellable=True).order_by("name"))
    defaults = [w for w in sellable if w.is_default] or sellable
    if settings_obj.returns_warehouse_id:
        settings_obj.returns_warehouse  # noqa: B018 - loaded once, not per sale
    return ShopScope(
        company=company,
        settings=settings_obj,
        mapping_on=settings_obj.shops_mapping_enabled,
        shops=shops,
        warehouses_by_shop=by_shop,
        default_warehouses=defaults,
        registers={r.register_id: r for r in LightspeedRegister.objects.filter(company=company)},
        employees={e.employee_id: e for e in LightspeedEmployee.objects.filter(company=company)},
        stored_user=None if dry_run else channel_user_get(company=company),
        configured_shop_id=settings_obj.shop.shop_id if settings_obj.shop_id else None,
    )


class Availability:
    """Available stock of the products × warehouses of one page, read once and drawn down."""

    def __init__(self, product_ids: set[int], warehouses: set[int]) -> None:
        self.levels: dict[tuple[int, int], int] = {}
        if product_ids and warehouses:
            for product_id, warehouse_id, on_hand, reserved in StockLevel.objects.filter(
                product_id__in=product_ids, warehouse_id__in=warehouses
            ).values_list("product_id", "warehouse_id", "on_hand", "reserved"):
                self.levels[(product_id, warehouse_id)] = on_hand - reserved

    def take(
        self, product_id: int, warehouses: list[Warehouse], quantity: int
    ) -> tuple[list[list[int]], int]:
        """[[warehouse_id, -units], ...] in mapping order, and the units no warehouse had."""
        moves: list[list[int]] = []
        remaining = quantity
        for warehouse in warehouses:
            if remaining <= 0:
                break
            available = max(self.levels.get((product_id, warehouse.pk), 0), 0)
            units = min(available, remaining)
            if units:
                moves.append([warehouse.pk, -units])
                self.levels[(product_id, warehouse.pk)] = available - units
                remaining -= units
        shortfall = remaining
        if shortfall and warehouses:
            first = warehouses[0].pk
            for move in moves:
                if move[0] == first:
                    move[1] -= shortfall
                    break
            else:
                moves.insert(0, [first, -shortfall])
            self.levels[(product_id, first)] = self.levels.get((product_id, first), 0) - shortfall
        return moves, shortfall

    def give(self, product_id: int, warehouse_id: int, quantity: int) -> None:
        self.levels[(product_id, warehouse_id)] = self.levels.get((product_id, warehouse_id), 0) + quantity
