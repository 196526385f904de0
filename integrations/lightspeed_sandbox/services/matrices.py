"""Item matrices: create, update and archive them (items join them in `membership`).

From the docs (ItemMatrix endpoint and the item-matrices tutorial): a matrix needs a
`description` and an `itemAttributeSetID`; DELETE archives the matrix and all its items.
Assumed, not documented: a matrix with items cannot change its attribute set.
"""

from __future__ import annotations

from django.db import transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import bad_request, not_found
from integrations.lightspeed_sandbox.render import decimal_str
from integrations.lightspeed_sandbox.services.items import priced_levels
from integrations.lightspeed_sandbox.services.values import as_list, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.store.models import Item, ItemAttributeSet, ItemMatrix, ItemShop

MATRIX_TEXT_FIELDS = ("description", "itemType")
MATRIX_INT_FIELDS = (
    "modelYear",
    "manufacturerID",
    "categoryID",
    "defaultVendorID",
    "taxClassID",
    "seasonID",
    "departmentID",
)
# `archived` is not here: as for items, only DELETE archives a matrix.
MATRIX_BOOL_FIELDS = ("tax", "serialized")


def attribute_set_get(account_id: int, set_id: int) -> ItemAttributeSet:
    found = ItemAttributeSet.objects.filter(accountID__in=(0, account_id), itemAttributeSetID=set_id).first()
    if found is None or found.archived:
        raise bad_request(f"ItemMatrix not saved. There is no ItemAttributeSet {set_id}.")
    return found


def _apply_matrix_fields(matrix: ItemMatrix, data: dict) -> bool:
    changed = False
    updates: dict[str, object] = {}
    for name in MATRIX_TEXT_FIELDS:
        if name in data:
            updates[name] = "" if data[name] is None else str(data[name])
    for name in MATRIX_INT_FIELDS:
        if name in data:
            updates[name] = to_int(data[name], name)
    for name in MATRIX_BOOL_FIELDS:
        if name in data:
            updates[name] = to_bool(data[name])
    if "defaultCost" in data:
        updates["defaultCost"] = to_decimal(data["defaultCost"], "defaultCost")
    for name, value in updates.items():
        changed |= getattr(matrix, name) != value
        setattr(matrix, name, value)
    return changed


def _apply_matrix_prices(matrix: ItemMatrix, data: dict) -> bool:
    prices = dict(matrix.prices)
    for level, amount in priced_levels(
        matrix.accountID, as_list(data.get("Prices"), "ItemPrice"), what="ItemMatrix"
    ):
        prices[str(level.priceLevelID)] = decimal_str(amount)
    changed = prices != matrix.prices
    matrix.prices = prices
    return changed


@transaction.atomic
def item_matrix_create(*, account_id: int, data: dict, matrix_id: int | None = None) -> ItemMatrix:
    if not str(data.get("description") or "").strip():
        raise bad_request("ItemMatrix not created. An ItemMatrix must have a description.")
    if not data.get("itemAttributeSetID"):
        raise bad_request("ItemMatrix not created. An ItemMatrix must have an itemAttributeSetID.")
    set_id = to_int(data["itemAttributeSetID"], "itemAttributeSetID")
    attribute_set_get(account_id, set_id)
    now = clock.now()
    matrix = ItemMatrix(
        accountID=account_id, description="", itemAttributeSetID=set_id, createTime=now, timeStamp=now
    )
    if matrix_id is not None:
        matrix.itemMatrixID = matrix_id
    _apply_matrix_fields(matrix, data)
    _apply_matrix_prices(matrix, data)
    matrix.save()
    return matrix


def _matrix_get(account_id: int, matrix_id: int) -> ItemMatrix:
    matrix = ItemMatrix.objects.filter(accountID=account_id, itemMatrixID=matrix_id).first()
    if matrix is None:
        raise not_found("ItemMatrix", matrix_id)
    return matrix


@transaction.atomic
def item_matrix_update(*, account_id: int, item_matrix_id: int, data: dict) -> ItemMatrix:
    matrix = _matrix_get(account_id, item_matrix_id)
    if "description" in data and not str(data.get("description") or "").strip():
        raise bad_request("ItemMatrix not updated. An ItemMatrix must have a description.")
    changed = _apply_matrix_fields(matrix, data)
    if "itemAttributeSetID" in data:
        set_id = to_int(data["itemAttributeSetID"], "itemAttributeSetID")
        if set_id != matrix.itemAttributeSetID:
            attribute_set_get(account_id, set_id)
            if Item.objects.filter(itemMatrixID=matrix.itemMatrixID).exists():
                raise bad_request(
                    "ItemMatrix not updated. A matrix with items cannot change its attribute set."
                )
            matrix.itemAttributeSetID = set_id
            changed = True
    changed |= _apply_matrix_prices(matrix, data)
    if changed:
        matrix.timeStamp = clock.now()
        matrix.save()
    return matrix


@transaction.atomic
def item_matrix_archive(*, account_id: int, item_matrix_id: int) -> ItemMatrix:
    """The matrix and all its items are archived; the items' stock is zeroed, as DELETE Item does."""
    matrix = _matrix_get(account_id, item_matrix_id)
    now = clock.now()
    items = Item.objects.filter(itemMatrixID=matrix.itemMatrixID, archived=False)
    item_ids = list(items.values_list("itemID", flat=True))
    ItemShop.objects.filter(itemID__in=item_ids).exclude(qoh=0).update(qoh=0, timeStamp=now)
    items.update(archived=True, timeStamp=now)
    matrix.archived = True
    matrix.timeStamp = now
    matrix.save(update_fields=["archived", "timeStamp"])
    return matrix
