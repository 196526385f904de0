"""Matrices and matrix items in bulk: seeded documents, the demo, and benchmark catalogues.

`matrices_bulk_create` and `matrix_columns` let `items_bulk_create` put tens of thousands of items
into thousands of matrices with one INSERT per table, as the API would have left them (the
item's `itemMatrixID`, its ItemAttributes' set and values, `itemAttributesID` = its own id).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from integrations.lightspeed_sandbox.errors import bad_request
from integrations.lightspeed_sandbox.render import decimal_str
from integrations.lightspeed_sandbox.services.items import as_list, to_bool, to_int
from integrations.lightspeed_sandbox.services.rows import rows_insert
from integrations.lightspeed_sandbox.store import models as m

SLOTS = ("attribute1", "attribute2", "attribute3")


def _built_in_sets(account_id: int) -> set[int]:
    return set(
        m.ItemAttributeSet.objects.filter(accountID__in=(0, account_id), archived=False).values_list(
            "itemAttributeSetID", flat=True
        )
    )


def matrices_bulk_create(*, account_id: int, records: list[dict], now: datetime) -> int:
    """ItemMatrix records (`description`, `itemAttributeSetID`, optional `itemMatrixID`, `Prices`,
    `defaultCost`, `categoryID`, `tax`, `archived`) in one INSERT."""
    sets = _built_in_sets(account_id)
    next_id = (
        m.ItemMatrix.objects.order_by("-itemMatrixID").values_list("itemMatrixID", flat=True).first() or 0
    ) + 1
    rows = []
    for record in records:
        if not str(record.get("description") or "").strip():
            raise bad_request("ItemMatrix not created. An ItemMatrix must have a description.")
        set_id = to_int(record.get("itemAttributeSetID") or 0, "itemAttributeSetID")
        if set_id not in sets:
            raise bad_request(f"ItemMatrix not created. There is no ItemAttributeSet {set_id}.")
        matrix_id = int(record.get("itemMatrixID") or next_id)
        next_id = max(next_id, matrix_id + 1)
        prices = {
            str(to_int(p.get("useTypeID", 1), "useTypeID")): decimal_str(Decimal(str(p.get("amount", "0"))))
            for p in as_list(record.get("Prices"), "ItemPrice")
        }
        rows.append(
            m.ItemMatrix(
                itemMatrixID=matrix_id,
                accountID=account_id,
                description=str(record["description"]),
                itemAttributeSetID=set_id,
                defaultCost=Decimal(str(record.get("defaultCost", "0"))),
                categoryID=int(record.get("categoryID", 0)),
                tax=to_bool(record.get("tax", True)),
                archived=to_bool(record.get("archived", False)),
                prices=prices,
                createTime=now,
                timeStamp=now,
            )
        )
    return rows_insert(m.ItemMatrix, rows)


def matrix_attribute_sets(account_id: int, records: list[dict]) -> dict[int, int]:
    """The account's matrices' attribute sets, when any record puts an item in a matrix."""
    if not any(record.get("itemMatrixID") for record in records):
        return {}
    return dict(
        m.ItemMatrix.objects.filter(accountID=account_id).values_list("itemMatrixID", "itemAttributeSetID")
    )


def matrix_columns(record: dict, item_id: int, matrix_sets: dict[int, int]) -> dict:
    """An item record's matrix and ItemAttributes as Item columns (nothing for a plain item)."""
    matrix_id = int(record.get("itemMatrixID") or 0)
    if not matrix_id:
        return {}
    if matrix_id not in matrix_sets:
        raise bad_request(f"Item not created. There is no ItemMatrix {matrix_id}.")
    attributes = record.get("ItemAttributes") or {}
    return {
        "itemMatrixID": matrix_id,
        "itemAttributesID": item_id,
        "itemAttributeSetID": matrix_sets[matrix_id],
        **{slot: str(attributes.get(slot) or "") for slot in SLOTS},
    }


def inventory_counts_seed(records: list[dict], *, default_account: int, now: datetime) -> None:
    for record in records:
        m.InventoryCount.objects.create(
            inventoryCountID=record.get("inventoryCountID"),
            accountID=int(record.get("accountID", default_account)),
            name=str(record.get("name") or "Inventory count"),
            shopID=int(record.get("shopID", 0)),
            archived=to_bool(record.get("archived", False)),
            timeStamp=now,
        )
