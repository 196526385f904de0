"""Item matrices and item attribute sets, read once into typed values, and how a style's attribute
names and values sit in Lightspeed's attribute slots.

An `ItemMatrix` is a style: a description, an attribute set ("Color/Size", "Size", "Color",
"3 Attributes") and the items in it, each holding its values in `ItemAttributes.attribute1..3`.
Which slot holds which attribute is the attribute set's: the built-in "Size" set keeps Size in
attribute2 with attribute1 empty (recorded: ItemAttributeSet/index.yml), so the slots are always
placed through `attribute_slots`, never by position alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api.normalise import to_bool, to_datetime, to_decimal, to_int
from integrations.lightspeed.api.records.fields import read, text
from integrations.lightspeed.api.records.items import ItemRecord, item_parse, prices_parse


@dataclass(frozen=True)
class AttributeSetRecord:
    """An ItemAttributeSet: its id, name and the names of its three slots ("" for an unused one)."""

    item_attribute_set_id: int
    name: str
    attribute_names: tuple[str, str, str]
    archived: bool = False


# Lightspeed's built-in sets, the only ones every account has ("these are the only allowed values
# for now", the ItemAttributeSet docs); recorded in ItemAttributeSet/index.yml.
BUILT_IN_ATTRIBUTE_SETS: dict[int, AttributeSetRecord] = {
    1: AttributeSetRecord(1, "Color/Size", ("Color", "Size", "")),
    2: AttributeSetRecord(2, "Size", ("", "Size", "")),
    3: AttributeSetRecord(3, "Color", ("Color", "", "")),
    4: AttributeSetRecord(4, "3 Attributes", ("Attribute 1", "Attribute 2", "Attribute 3")),
}
GENERIC_ATTRIBUTE_SET_ID = 4


def attribute_set_for(names: Sequence[str]) -> int:
    """The built-in set for a style's attribute names (in its order): Color + Size → 1, Size → 2,
    Color → 3, anything else (other names, another order, three) → 4, "3 Attributes"."""
    wanted = tuple(name.strip().casefold() for name in names if name and name.strip())
    for set_id, attribute_set in BUILT_IN_ATTRIBUTE_SETS.items():
        if set_id == GENERIC_ATTRIBUTE_SET_ID:
            continue
        used = tuple(n.casefold() for n in attribute_set.attribute_names if n)
        if used == wanted:
            return set_id
    return GENERIC_ATTRIBUTE_SET_ID


def _used_slots(set_id: int) -> list[int]:
    """The slots a set uses, in order; all three for a set that is not built in."""
    attribute_set = BUILT_IN_ATTRIBUTE_SETS.get(set_id)
    if attribute_set is None:
        return [0, 1, 2]
    return [i for i, name in enumerate(attribute_set.attribute_names) if name]


def attribute_slots(set_id: int, values: Sequence[str]) -> tuple[str, str, str]:
    """A child's values (in its style's attribute order) placed in the set's slots: the used
    slots in order, the others "". For a set not built in, the values go in order."""
    slots = ["", "", ""]
    for slot, value in zip(_used_slots(set_id), values, strict=False):
        slots[slot] = str(value or "").strip()
    return slots[0], slots[1], slots[2]


def attribute_values(set_id: int, slots: Sequence[str], count: int) -> tuple[str, ...]:
    """The inverse of `attribute_slots`: an item's slot values as a style's `count` values."""
    padded = list(slots) + ["", "", ""]
    return tuple(padded[i] for i in _used_slots(set_id)[:count])


@dataclass(frozen=True)
class MatrixRecord:
    """An ItemMatrix with its prices by level, cost and (when loaded) its items."""

    item_matrix_id: int
    description: str
    item_attribute_set_id: int
    default_cost: Decimal | None = None
    prices: Mapping[int, Decimal | None] = field(default_factory=dict)
    archived: bool = False
    time_stamp: datetime | None = None
    category_id: int = 0
    items: tuple[ItemRecord, ...] = ()
    attribute_set: AttributeSetRecord | None = None

    def price(self, level: int) -> Decimal | None:
        return self.prices.get(level)


def attribute_set_parse(record: Mapping[str, Any]) -> AttributeSetRecord:
    return AttributeSetRecord(
        item_attribute_set_id=read(record, "itemAttributeSetID", to_int, default=0),
        name=text(record, "name"),
        attribute_names=(
            text(record, "attributeName1"),
            text(record, "attributeName2"),
            text(record, "attributeName3"),
        ),
        archived=read(record, "archived", to_bool),
    )


def matrix_parse(record: Mapping[str, Any]) -> MatrixRecord:
    """An ItemMatrix record (normalised); its Items and ItemAttributeSet when they were loaded."""
    attribute_set = record.get("ItemAttributeSet")
    return MatrixRecord(
        item_matrix_id=read(record, "itemMatrixID", to_int, default=0),
        description=text(record, "description"),
        item_attribute_set_id=read(record, "itemAttributeSetID", to_int, default=0),
        default_cost=read(record, "defaultCost", to_decimal),
        prices=prices_parse(record),
        archived=read(record, "archived", to_bool),
        time_stamp=read(record, "timeStamp", to_datetime),
        category_id=read(record, "categoryID", to_int, default=0),
        items=tuple(item_parse(item) for item in record.get("Items") or [] if isinstance(item, Mapping)),
        attribute_set=attribute_set_parse(attribute_set) if isinstance(attribute_set, Mapping) else None,
    )
