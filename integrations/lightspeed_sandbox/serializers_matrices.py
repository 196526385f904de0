"""Item matrices as Lightspeed renders them: the recorded V2 `ItemMatrix/show.yml` and the V3
docs' `attributeNValues` (see the ItemMatrix page and the item-matrices tutorial)."""

from __future__ import annotations

from collections import defaultdict

from integrations.lightspeed_sandbox.render import api_str, one_or_many, put_relation
from integrations.lightspeed_sandbox.serializers import render_items
from integrations.lightspeed_sandbox.serializers_catalog import (
    attribute_sets,
    plain_record,
    render_item_attribute_sets,
)
from integrations.lightspeed_sandbox.store.models import Item, ItemMatrix, PriceLevel

ITEM_MATRIX_FIELDS = (
    "itemMatrixID",
    "description",
    "tax",
    "defaultCost",
    "itemType",
    "serialized",
    "modelYear",
    "archived",
    "timeStamp",
    "itemAttributeSetID",
    "manufacturerID",
    "categoryID",
    "defaultVendorID",
    "taxClassID",
    "seasonID",
    "departmentID",
    "itemECommerceID",
)


def _matrix_prices(rows: list[ItemMatrix]) -> dict[int, list[tuple[int, str]]]:
    """Each account's price levels (id, current name), archived ones left out."""
    levels: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for account, level, name in (
        PriceLevel.objects.filter(accountID__in={r.accountID for r in rows}, archived=False)
        .order_by("priceLevelID")
        .values_list("accountID", "priceLevelID", "name")
    ):
        levels[account].append((level, name))
    return levels


def _values(items: list[Item], slot: int) -> str | list[str]:
    """attributeNValues: the distinct values in item order; one is a string, none is ""."""
    seen: list[str] = []
    for item in items:
        value = getattr(item, f"attribute{slot}")
        if value and value not in seen:
            seen.append(value)
    if not seen:
        return ""
    return one_or_many(seen)  # type: ignore[arg-type]


def render_item_matrices(rows: list[ItemMatrix], relations: set[str]) -> list[dict]:
    ids = [r.itemMatrixID for r in rows]
    members: dict[int, list[Item]] = defaultdict(list)
    if ids:
        for item in Item.objects.filter(itemMatrixID__in=ids, archived=False).order_by("itemID"):
            members[item.itemMatrixID].append(item)
    sets = attribute_sets({r.accountID for r in rows})
    levels = _matrix_prices(rows)
    rendered_items: dict[int, dict] = {}
    if "Items" in relations and members:
        every = [item for group in members.values() for item in group]
        rendered_items = {int(r["itemID"]): r for r in render_items(every, set())}
    out = []
    for matrix in rows:
        record = plain_record(matrix, ITEM_MATRIX_FIELDS)
        attribute_set = sets.get(matrix.itemAttributeSetID)
        if "ItemAttributeSet" in relations and attribute_set is not None:
            record["ItemAttributeSet"] = render_item_attribute_sets([attribute_set], set())[0]
        if "Items" in relations:
            group = [rendered_items[i.itemID] for i in members[matrix.itemMatrixID]]
            put_relation(record, "Items", "Item", group)
        prices = [
            {"amount": api_str(matrix.prices.get(str(level), "0")), "useTypeID": str(level), "useType": name}
            for level, name in levels[matrix.accountID]
        ]
        put_relation(record, "Prices", "ItemPrice", prices)
        names = attribute_set.attribute_names() if attribute_set else ("", "", "")
        for slot, name in enumerate(names, start=1):
            if name:
                record[f"attribute{slot}Values"] = _values(members[matrix.itemMatrixID], slot)
        out.append(record)
    return out
