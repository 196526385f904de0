"""Matrices and matrix items in bulk: seeded documents, the demo, and benchmark catalogues.

`POST /_sandbox/accounts/{id}/items {"count": 50000, "matrix_share": 0.5, "matrix_sizes": [6, 12]}`
(or the `catalogue` key of `POST /_sandbox/seed`) builds a catalogue of which a share is in
matrices, in a few INSERTs.

`matrices_bulk_create` and `matrix_columns` let `items_bulk_create` put tens of thousands of items
into thousands of matrices with one INSERT per table, as the API would have left them (the
item's `itemMatrixID`, its ItemAttributes' set and values, `itemAttributesID` = its own id).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
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


# Benchmark catalogues: a share of the items in matrices of `sizes` items each, the sets taking
# turns (Color/Size, Size, Color) so that every shape of ItemAttributes is there.
COLOURS = ("Black", "White", "Navy", "Red", "Moss", "Slate", "Rust", "Teal", "Ochre", "Sand", "Plum", "Grey")
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
NUMBERS = tuple(str(n) for n in range(4, 16))
SET_TURNS = (1, 2, 3)


@dataclass(frozen=True)
class CatalogueSpec:
    """`count` items, `matrix_share` of them in matrices of `matrix_sizes` (low, high) items."""

    count: int
    qoh: int = 10
    matrix_share: float = 0.0
    matrix_sizes: tuple[int, int] = (6, 12)
    seed: int = 0

    @classmethod
    def from_json(cls, data: dict, *, high: int) -> CatalogueSpec:
        count = data.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= high:
            raise bad_request(f"count must be a whole number from 1 to {high}.")
        qoh = data.get("qoh", 10)
        if isinstance(qoh, bool) or not isinstance(qoh, int) or qoh < 0:
            raise bad_request("qoh must be a whole number, 0 or more.")
        share = data.get("matrix_share", 0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise bad_request("matrix_share must be a number from 0 to 1.")
        sizes = data.get("matrix_sizes", [6, 12])
        if (
            not isinstance(sizes, list)
            or len(sizes) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes)
            or not 1 <= sizes[0] <= sizes[1] <= len(COLOURS)
        ):
            raise bad_request(f"matrix_sizes must be [low, high] with 1 <= low <= high <= {len(COLOURS)}.")
        return cls(count, qoh, float(share), (sizes[0], sizes[1]), int(data.get("seed", 0)))


def _combinations(set_id: int, size: int) -> list[tuple[str, str, str]]:
    """`size` distinct (attribute1, attribute2, attribute3) of a built-in set (Size in slot 2)."""
    if set_id == 2:
        return [("", NUMBERS[n], "") for n in range(size)]
    if set_id == 3:
        return [(COLOURS[n], "", "") for n in range(size)]
    return [(COLOURS[n // len(SIZES)], SIZES[n % len(SIZES)], "") for n in range(size)]


def catalogue_records(
    *, account_id: int, spec: CatalogueSpec, first_item: int, first_matrix: int, shop_ids: list[int]
) -> tuple[list[dict], list[dict]]:
    """The matrix and item records of a bulk catalogue, matrix items first, ids given."""
    rng = random.Random(spec.seed or account_id)
    in_matrices = round(spec.count * spec.matrix_share)
    stock = {"ItemShop": [{"shopID": shop_id, "qoh": spec.qoh} for shop_id in shop_ids]}
    matrices: list[dict] = []
    items: list[dict] = []
    n = first_item
    while len(items) < in_matrices:
        size = min(rng.randint(*spec.matrix_sizes), in_matrices - len(items))
        matrix_id = first_matrix + len(matrices)
        set_id = SET_TURNS[len(matrices) % len(SET_TURNS)]
        price = str(Decimal("20.00") + matrix_id % 80)
        description = f"Bulk style {matrix_id} of {account_id}"
        matrices.append(
            {
                "itemMatrixID": matrix_id,
                "description": description,
                "itemAttributeSetID": set_id,
                "defaultCost": "8.00",
                "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": price}]},
            }
        )
        for values in _combinations(set_id, size):
            items.append(
                {
                    "itemID": n,
                    "description": " ".join(part for part in (description, *values) if part),
                    "customSku": f"B{account_id}-{n:06d}",
                    "defaultCost": "8.00",
                    "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": price}]},
                    "ItemShops": stock,
                    "itemMatrixID": matrix_id,
                    "ItemAttributes": dict(zip(SLOTS, values, strict=True)),
                }
            )
            n += 1
    for plain_id in range(n, first_item + spec.count):
        items.append(
            {
                "itemID": plain_id,
                "description": f"Bulk item {plain_id} of {account_id}",
                "customSku": f"B{account_id}-{plain_id:06d}",
                "defaultCost": "8.00",
                "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": str(Decimal("10.00") + plain_id % 90)}]},
                "ItemShops": stock,
            }
        )
    return matrices, items
