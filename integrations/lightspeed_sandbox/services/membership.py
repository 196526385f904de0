"""Items joining a matrix: `itemMatrixID` and `ItemAttributes` in an item's write body.

From the item-matrices tutorial: an item joins a matrix with `itemMatrixID` and `ItemAttributes`
(`attribute1..3`). An item put in a matrix without values keeps empty ones (as the recorded
`items/index.yml` shows). Assumed, not documented: an item without a description gets
"<matrix> <values…>"; values another item of the matrix has, a set other than the matrix's, and
an archived matrix are refused with 400.
"""

from __future__ import annotations

from integrations.lightspeed_sandbox.errors import bad_request
from integrations.lightspeed_sandbox.services.values import to_int
from integrations.lightspeed_sandbox.store.models import Item, ItemMatrix

SLOTS = ("attribute1", "attribute2", "attribute3")


def matrix_item_description(matrix: ItemMatrix, values: tuple[str, ...]) -> str:
    """What Lightspeed calls a matrix item: "<ItemMatrix.description> <attribute1> <attribute2> …"."""
    return " ".join(part for part in (matrix.description, *values) if part)


def _attributes_body(data: dict) -> dict:
    raw = data.get("ItemAttributes")
    if raw in (None, ""):
        return {}
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, dict):
        raise bad_request("ItemAttributes must be an object with attribute1, attribute2 and attribute3.")
    return raw


def matrix_membership_apply(item: Item, data: dict, *, verb: str) -> bool:
    """An item's matrix and ItemAttributes from a write body; True when something changed."""
    attributes = _attributes_body(data)
    if not item.itemMatrixID:
        if attributes:
            raise bad_request(f"Item not {verb}. ItemAttributes need the itemMatrixID of a matrix.")
        return False
    matrix = ItemMatrix.objects.filter(accountID=item.accountID, itemMatrixID=item.itemMatrixID).first()
    if matrix is None:
        raise bad_request(f"Item not {verb}. There is no ItemMatrix {item.itemMatrixID}.")
    joining = item.itemAttributeSetID != matrix.itemAttributeSetID or not item.itemAttributesID
    if matrix.archived and joining:
        raise bad_request(f"Item not {verb}. ItemMatrix {matrix.itemMatrixID} is archived.")
    if "itemAttributeSetID" in attributes:
        wanted = to_int(attributes["itemAttributeSetID"], "itemAttributeSetID")
        if wanted != matrix.itemAttributeSetID:
            raise bad_request(
                f"Item not {verb}. ItemMatrix {matrix.itemMatrixID} uses ItemAttributeSet "
                f"{matrix.itemAttributeSetID}, not {wanted}."
            )
    before = (item.itemAttributeSetID, *(getattr(item, slot) for slot in SLOTS))
    item.itemAttributeSetID = matrix.itemAttributeSetID
    if item.pk is not None and not item.itemAttributesID:
        item.itemAttributesID = item.itemID
    for slot in SLOTS:
        if slot in attributes:
            setattr(item, slot, "" if attributes[slot] is None else str(attributes[slot]).strip())
    values = tuple(getattr(item, slot) for slot in SLOTS)
    _combination_check(item, values, verb=verb)
    if not item.description.strip():
        item.description = matrix_item_description(matrix, values)
    return before != (item.itemAttributeSetID, *values) or joining


def _combination_check(item: Item, values: tuple[str, ...], *, verb: str) -> None:
    if not any(values):
        return  # empty values are what an item added without attributes has (recorded)
    taken = Item.objects.filter(
        itemMatrixID=item.itemMatrixID,
        archived=False,
        **dict(zip(SLOTS, values, strict=True)),
    )
    if item.pk is not None:
        taken = taken.exclude(pk=item.pk)
    if taken.exists():
        shown = "/".join(v for v in values if v)
        raise bad_request(f"Item not {verb}. ItemMatrix {item.itemMatrixID} already has an item {shown}.")
