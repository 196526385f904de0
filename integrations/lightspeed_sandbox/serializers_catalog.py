"""Attribute sets, ItemAttributes, payment types and inventory counts as Lightspeed renders them.

Shapes: the recorded V2 traffic (`ItemMatrix/show.yml`, `ItemAttributeSet/*.yml`, the matrix item
of `items/index.yml`) and, where nothing is recorded, the V3 docs (ItemMatrix, ItemAttributeSet,
PaymentType, InventoryCount and the item-matrices tutorial).
"""

from __future__ import annotations

from integrations.lightspeed_sandbox.render import api_str
from integrations.lightspeed_sandbox.store.models import InventoryCount, Item, ItemAttributeSet, PaymentType

ATTRIBUTE_SET_FIELDS = (
    "itemAttributeSetID",
    "name",
    "attributeName1",
    "attributeName2",
    "attributeName3",
    "system",
    "archived",
)
PAYMENT_TYPE_FIELDS = (
    "paymentTypeID",
    "name",
    "requireCustomer",
    "archived",
    "internalReserved",
    "type",
    "refundAsPaymentTypeID",
)
INVENTORY_COUNT_FIELDS = ("inventoryCountID", "name", "timeStamp", "archived", "shopID")


def plain_record(row: object, names: tuple[str, ...]) -> dict:
    return {name: api_str(getattr(row, name)) for name in names}


def attribute_sets(account_ids: set[int]) -> dict[int, ItemAttributeSet]:
    """The built-in sets (account 0) and any of these accounts', by id."""
    rows = ItemAttributeSet.objects.filter(accountID__in={0, *account_ids})
    return {row.itemAttributeSetID: row for row in rows}


def render_item_attribute_sets(rows: list[ItemAttributeSet], relations: set[str]) -> list[dict]:
    return [plain_record(row, ATTRIBUTE_SET_FIELDS) for row in rows]


def item_attributes_record(item: Item, sets: dict[int, ItemAttributeSet] | None) -> dict:
    """An item's ItemAttributes; with `sets`, its ItemAttributeSet nested (load_relations=all)."""
    record = {
        "attribute1": item.attribute1,
        "attribute2": item.attribute2,
        "attribute3": item.attribute3,
        "itemAttributeSetID": str(item.itemAttributeSetID),
    }
    if sets is not None and item.itemAttributeSetID in sets:
        record["ItemAttributeSet"] = render_item_attribute_sets([sets[item.itemAttributeSetID]], set())[0]
    return record


def payment_type_record(row: PaymentType) -> dict:
    return plain_record(row, PAYMENT_TYPE_FIELDS)


def render_payment_types(rows: list[PaymentType], relations: set[str]) -> list[dict]:
    return [payment_type_record(row) for row in rows]


def render_inventory_counts(rows: list[InventoryCount], relations: set[str]) -> list[dict]:
    return [plain_record(row, INVENTORY_COUNT_FIELDS) for row in rows]
