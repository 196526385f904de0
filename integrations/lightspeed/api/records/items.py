"""Items, their codes and their ItemShop rows, read once into typed values.

An item arrives on its own (the products download, a create's or an update's answer, a batch by
id) or inside a sale line (`SaleLines.Item`); both go through `item_codes_parse`, so matching sees
the same codes whichever way the item came.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api.normalise import (
    ITEM_ATTRIBUTE_SLOTS,
    to_bool,
    to_datetime,
    to_decimal,
    to_int,
)
from integrations.lightspeed.api.records.fields import read, text


@dataclass(frozen=True)
class ItemCodes:
    """A Lightspeed item's identity and codes: what matching reads, and what an unknown order line
    keeps of its item."""

    item_id: int
    custom_sku: str = ""
    upc: str = ""
    ean: str = ""
    manufacturer_sku: str = ""
    description: str = ""
    system_sku: str = ""
    archived: bool = False

    def summary(self) -> str:
        codes = [
            f"{label} {value}"
            for label, value in (
                ("custom SKU", self.custom_sku),
                ("UPC", self.upc),
                ("EAN", self.ean),
                ("manufacturer SKU", self.manufacturer_sku),
                ("system SKU", self.system_sku),
            )
            if value
        ]
        return f"item {self.item_id} “{self.description}”" + (f" ({', '.join(codes)})" if codes else "")


@dataclass(frozen=True)
class ItemShopRecord:
    """One shop's stock of an item; shop 0 is Lightspeed's account-wide total."""

    item_id: int | None
    shop_id: int
    qoh: int
    time_stamp: datetime | None
    item_shop_id: int | None


@dataclass(frozen=True)
class ItemRecord:
    """An item as the catalog tracks it: codes, prices by level, cost and stock per shop."""

    codes: ItemCodes
    time_stamp: datetime | None
    default_cost: Decimal | None
    prices: Mapping[int, Decimal | None] = field(default_factory=dict)  # by price level (useTypeID)
    item_shops: tuple[ItemShopRecord, ...] = ()
    item_matrix_id: int = 0  # 0: not in a matrix
    # attribute1..3 as Lightspeed holds them ("" when absent or not loaded): which slot holds
    # which attribute follows the matrix's attribute set (the Size set keeps Size in attribute2).
    attributes: tuple[str, str, str] = ("", "", "")
    item_attribute_set_id: int = 0

    @property
    def item_id(self) -> int:
        return self.codes.item_id

    @property
    def archived(self) -> bool:
        return self.codes.archived

    def price(self, level: int) -> Decimal | None:
        return self.prices.get(level)


def item_codes_parse(item: Mapping[str, Any]) -> ItemCodes:
    """An item's codes; texts are stripped and cut to what LightSync stores."""
    return ItemCodes(
        item_id=read(item, "itemID", to_int, default=0),
        description=text(item, "description"),
        custom_sku=text(item, "customSku", 100),
        system_sku=text(item, "systemSku", 20),
        upc=text(item, "upc", 20),
        ean=text(item, "ean", 20),
        manufacturer_sku=text(item, "manufacturerSku", 100),
        archived=read(item, "archived", to_bool),
    )


def item_shop_parse(row: Mapping[str, Any], *, item_id: int | None = None) -> ItemShopRecord:
    """An ItemShop row; `item_id` names the item of a row that came nested in it."""
    return ItemShopRecord(
        item_id=item_id if item_id is not None else read(row, "itemID", to_int),
        shop_id=read(row, "shopID", to_int, default=0),
        qoh=read(row, "qoh", to_int, default=0),
        time_stamp=read(row, "timeStamp", to_datetime),
        item_shop_id=read(row, "itemShopID", to_int),
    )


def prices_parse(record: Mapping[str, Any]) -> dict[int, Decimal | None]:
    """A record's prices by level (useTypeID): an item's or a matrix's."""
    prices: dict[int, Decimal | None] = {}
    for price in record.get("Prices") or []:
        level = read(price, "useTypeID", to_int)
        if level is not None:
            prices.setdefault(level, read(price, "amount", to_decimal))
    return prices


def _attributes(item: Mapping[str, Any]) -> tuple[str, str, str]:
    attributes = item.get("ItemAttributes") or {}
    first, second, third = (text(attributes, slot) for slot in ITEM_ATTRIBUTE_SLOTS)
    return first, second, third


def item_parse(item: Mapping[str, Any]) -> ItemRecord:
    """An item with its prices, its ItemShop rows (those it came with) and its place in a matrix."""
    codes = item_codes_parse(item)
    attributes = item.get("ItemAttributes") or {}
    return ItemRecord(
        item_matrix_id=read(item, "itemMatrixID", to_int, default=0),
        attributes=_attributes(item),
        item_attribute_set_id=read(attributes, "itemAttributeSetID", to_int, default=0),
        codes=codes,
        time_stamp=read(item, "timeStamp", to_datetime),
        default_cost=read(item, "defaultCost", to_decimal),
        prices=prices_parse(item),
        item_shops=tuple(
            item_shop_parse(row, item_id=codes.item_id)
            for row in item.get("ItemShops") or []
            if isinstance(row, Mapping)
        ),
    )
