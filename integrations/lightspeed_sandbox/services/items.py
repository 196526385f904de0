"""Items, their prices and per-shop stock, with Lightspeed's write rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import SandboxApiError, bad_request, not_found
from integrations.lightspeed_sandbox.services.membership import matrix_membership_apply
from integrations.lightspeed_sandbox.services.price_levels import price_levels
from integrations.lightspeed_sandbox.services.values import as_list, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.store.models import Item, ItemPrice, ItemShop, PriceLevel, Shop

ITEM_TEXT_FIELDS = ("customSku", "manufacturerSku", "upc", "ean", "description", "itemType")
ITEM_INT_FIELDS = (
    "categoryID",
    "taxClassID",
    "departmentID",
    "itemMatrixID",
    "manufacturerID",
    "seasonID",
    "defaultVendorID",
    "modelYear",
)
# `archived` is not here: an update cannot archive an item, only DELETE does (it is ignored).
ITEM_BOOL_FIELDS = ("discountable", "tax", "serialized", "publishToEcom")
CODE_FIELDS = ("upc", "ean")


def _apply_item_fields(item: Item, data: dict) -> bool:
    changed = False
    for name in ITEM_TEXT_FIELDS:
        if name in data:
            value = "" if data[name] is None else str(data[name])
            changed |= getattr(item, name) != value
            setattr(item, name, value)
    for name in ITEM_INT_FIELDS:
        if name in data:
            value = to_int(data[name], name)
            changed |= getattr(item, name) != value
            setattr(item, name, value)
    for name in ITEM_BOOL_FIELDS:
        if name in data:
            value = to_bool(data[name])
            changed |= getattr(item, name) != value
            setattr(item, name, value)
    if "defaultCost" in data:
        value = to_decimal(data["defaultCost"], "defaultCost")
        changed |= item.defaultCost != value
        item.defaultCost = value
    for name in CODE_FIELDS:
        code = getattr(item, name)
        if code and not (code.isdigit() and 11 <= len(code) <= 14):
            raise bad_request(f"Item not saved. The {name} must be 11-14 digits: '{code}'.")
    return changed


def priced_levels(
    account_id: int, prices: list[dict], *, what: str = "Item"
) -> list[tuple[PriceLevel, Decimal]]:
    """Each ItemPrice of a body as (its level, amount); by useTypeID or by the level's name."""
    levels = PriceLevel.objects.filter(accountID=account_id)
    by_id = {level.priceLevelID: level for level in levels}
    names = {level.name.lower(): level.priceLevelID for level in levels}
    out = []
    for entry in prices:
        if not isinstance(entry, dict):
            raise bad_request("An ItemPrice must be an object with useTypeID and amount.")
        if "useTypeID" in entry:
            use_type_id = to_int(entry["useTypeID"], "useTypeID")
        elif str(entry.get("useType", "")).lower() in names:
            use_type_id = names[str(entry["useType"]).lower()]
        else:
            raise bad_request("An ItemPrice needs a useTypeID or the name of a price level as useType.")
        # Assumed (not documented): a price for a level the account does not have, or has
        # archived, is refused rather than stored where no register would use it.
        level = by_id.get(use_type_id)
        if level is None:
            raise bad_request(f"{what} not saved. There is no price level with useTypeID {use_type_id}.")
        if level.archived:
            raise bad_request(f"{what} not saved. The {level.name} price level ({use_type_id}) is archived.")
        out.append((level, to_decimal(entry.get("amount", "0"), "amount")))
    return out


def _apply_prices(item: Item, prices: list[dict]) -> bool:
    changed = False
    existing = {p.useTypeID: p for p in ItemPrice.objects.filter(itemID=item.itemID)}
    for level, amount in priced_levels(item.accountID, prices):
        use_type_id = level.priceLevelID
        price = existing.get(use_type_id)
        if price is None:
            ItemPrice.objects.create(
                itemID=item.itemID, useTypeID=use_type_id, useType=level.name, amount=amount
            )
            changed = True
        elif price.amount != amount:
            ItemPrice.objects.filter(pk=price.pk).update(amount=amount)
            changed = True
    return changed


def shop_total_refresh(item_id: int, *, now) -> None:
    """The shopID 0 row stays the sum of the shop rows."""
    total = ItemShop.objects.filter(itemID=item_id).exclude(shopID=0).aggregate(t=Sum("qoh"))["t"] or 0
    ItemShop.objects.filter(itemID=item_id, shopID=0).exclude(qoh=total).update(qoh=total, timeStamp=now)


def _apply_item_shops(item: Item, entries: list[dict], *, now) -> None:
    rows = {r.itemShopID: r for r in ItemShop.objects.filter(itemID=item.itemID)}
    by_shop = {r.shopID: r for r in rows.values()}
    stock_moved = False
    for entry in entries:
        if "itemShopID" in entry:
            row = rows.get(to_int(entry["itemShopID"], "itemShopID"))
            if row is None:
                raise bad_request(f"ItemShop {entry['itemShopID']} does not belong to Item {item.itemID}.")
        elif "shopID" in entry:
            row = by_shop.get(to_int(entry["shopID"], "shopID"))
            if row is None:
                raise bad_request(f"Item {item.itemID} has no ItemShop for shop {entry['shopID']}.")
        else:
            raise bad_request("An ItemShop needs an itemShopID or a shopID.")
        updates: dict[str, Any] = {}
        if "qoh" in entry:
            if row.shopID == 0:
                raise bad_request(
                    "The quantity of the shopID 0 ItemShop is the sum of the shops; set a shop's."
                )
            qoh = to_int(entry["qoh"], "qoh")
            if qoh < 0:
                raise bad_request("ItemShop qoh cannot be negative. Use an inventory adjustment instead.")
            if qoh != row.qoh:
                updates["qoh"] = qoh
                stock_moved = True
        for name in ("reorderPoint", "reorderLevel", "backorder"):
            if name in entry:
                updates[name] = to_int(entry[name], name)
        if updates:
            updates["timeStamp"] = now
            ItemShop.objects.filter(pk=row.pk).update(**updates)
    if stock_moved:
        shop_total_refresh(item.itemID, now=now)


def _custom_sku_check(item: Item, *, verb: str) -> None:
    """Custom SKUs are unique in an account (UPCs are not: the demo has a duplicated one)."""
    if item.customSku and (
        Item.objects.filter(accountID=item.accountID, customSku=item.customSku).exclude(pk=item.pk).exists()
    ):
        raise SandboxApiError(409, f"Item not {verb}. Custom SKU '{item.customSku}' is already in use.")


def _system_sku(item_id: int) -> str:
    return f"21{item_id:010d}"


@transaction.atomic
def item_create(*, account_id: int, data: dict, item_id: int | None = None) -> Item:
    if not str(data.get("description") or "").strip() and not data.get("itemMatrixID"):
        raise bad_request("Item not created. An Item must have a description.")
    now = clock.now()
    item = Item(accountID=account_id, description="", createTime=now, timeStamp=now)
    if item_id is not None:
        item.itemID = item_id
    _apply_item_fields(item, data)
    _custom_sku_check(item, verb="created")
    matrix_membership_apply(item, data, verb="created")
    item.save()
    if not item.systemSku or (item.itemMatrixID and not item.itemAttributesID):
        item.systemSku = item.systemSku or _system_sku(item.itemID)
        item.itemAttributesID = item.itemID if item.itemMatrixID else 0
        Item.objects.filter(pk=item.pk).update(
            systemSku=item.systemSku, itemAttributesID=item.itemAttributesID
        )
    # Every item has a row per shop plus the account-wide shopID 0 row, stock or not.
    shops = list(
        Shop.objects.filter(accountID=account_id).values_list("shopID", flat=True).order_by("shopID")
    )
    ItemShop.objects.bulk_create(
        [ItemShop(accountID=account_id, itemID=item.itemID, shopID=0, timeStamp=now)]
        + [ItemShop(accountID=account_id, itemID=item.itemID, shopID=s, timeStamp=now) for s in shops]
    )
    ItemPrice.objects.bulk_create(
        [
            ItemPrice(itemID=item.itemID, useTypeID=k, useType=v, amount=Decimal("0"))
            for k, v in price_levels(account_id).items()
        ]
    )
    _apply_prices(item, as_list(data.get("Prices"), "ItemPrice"))
    _apply_item_shops(item, as_list(data.get("ItemShops"), "ItemShop"), now=now)
    return item


@transaction.atomic
def item_update(*, account_id: int, item_id: int, data: dict) -> Item:
    item = Item.objects.filter(accountID=account_id, itemID=item_id).first()
    if item is None:
        raise not_found("Item", item_id)
    if "description" in data and not str(data.get("description") or "").strip():
        raise bad_request("Item not updated. An Item must have a description.")
    now = clock.now()
    changed = _apply_item_fields(item, data)
    _custom_sku_check(item, verb="updated")
    changed |= matrix_membership_apply(item, data, verb="updated")
    changed |= _apply_prices(item, as_list(data.get("Prices"), "ItemPrice"))
    # Stock moves ItemShop.timeStamp only: Item.timeStamp does not move when stock changes.
    _apply_item_shops(item, as_list(data.get("ItemShops"), "ItemShop"), now=now)
    if changed:
        item.timeStamp = now
        item.save()
    return item


@transaction.atomic
def item_archive(*, account_id: int, item_id: int) -> Item:
    item = Item.objects.filter(accountID=account_id, itemID=item_id).first()
    if item is None:
        raise not_found("Item", item_id)
    now = clock.now()
    ItemShop.objects.filter(itemID=item_id).exclude(qoh=0).update(qoh=0, timeStamp=now)
    item.archived = True
    item.timeStamp = now
    item.save(update_fields=["archived", "timeStamp"])
    return item


@transaction.atomic
def item_shop_update(*, account_id: int, item_shop_id: int, data: dict) -> ItemShop:
    row = ItemShop.objects.filter(accountID=account_id, itemShopID=item_shop_id).first()
    if row is None:
        raise not_found("ItemShop", item_shop_id)
    if "qoh" in data:
        raise SandboxApiError(
            400, "ItemShop qoh cannot be changed here. Update the Item with its ItemShops to set stock."
        )
    updates = {name: to_int(data[name], name) for name in ("reorderPoint", "reorderLevel") if name in data}
    if updates:
        updates["timeStamp"] = clock.now()
        ItemShop.objects.filter(pk=row.pk).update(**updates)
        row.refresh_from_db()
    return row


def stock_move(
    *, item_id: int, shop_id: int, qoh_delta: int = 0, layaway_delta: int = 0, workorder_delta: int = 0, now
) -> None:
    """Sales move stock relative to what is there; qoh may go negative, as at the POS.

    The shop's row and the shopID 0 total move by the same delta in one UPDATE, which keeps the
    total the sum of the shops.
    """
    from django.db.models import F

    if not item_id:
        return  # misc lines (itemID 0) hold no stock
    ItemShop.objects.filter(itemID=item_id, shopID__in=(shop_id, 0)).update(
        qoh=F("qoh") + qoh_delta,
        onLayaway=F("onLayaway") + layaway_delta,
        onWorkorder=F("onWorkorder") + workorder_delta,
        timeStamp=now,
    )
