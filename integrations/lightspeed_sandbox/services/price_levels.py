"""Price levels: the three built-in ones of every account, custom ones, and their names.

Lightspeed's ItemPrice carries `useTypeID` (the level's id) and `useType` (its name), so a
renamed level shows its new name on every item at once: items render the name from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from integrations.lightspeed_sandbox.errors import bad_request, not_found
from integrations.lightspeed_sandbox.store.models import Item, ItemPrice, PriceLevel

# Lightspeed's built-in levels: in every account, never archivable.
BUILT_IN = ((1, "Default"), (2, "MSRP"), (3, "Online"))
LEVEL_TYPES = ("fixed", "calculated")


def price_levels_ensure(account_id: int, levels: Iterable[Any] | None = None) -> None:
    """The account's levels: the built-in three, or exactly `levels` ([[id, name], ...] or
    PriceLevel records) when given — a seed may leave a built-in out, as replays do."""
    if levels is None:
        for level_id, name in BUILT_IN:
            PriceLevel.objects.get_or_create(
                accountID=account_id,
                priceLevelID=level_id,
                defaults={"name": name, "canBeArchived": False},
            )
        return
    records = [level_record(entry) for entry in levels]
    PriceLevel.objects.filter(accountID=account_id).exclude(
        priceLevelID__in=[r["priceLevelID"] for r in records]
    ).delete()
    for record in records:
        price_level_put(account_id, record)


def level_record(entry: Any) -> dict[str, Any]:
    """`[id, name]` or a PriceLevel record as the API writes it."""
    if isinstance(entry, list | tuple) and len(entry) == 2:
        entry = {"priceLevelID": entry[0], "name": entry[1]}
    if not isinstance(entry, dict) or not str(entry.get("priceLevelID", "")).strip().isdigit():
        raise bad_request(f"A price level needs a numeric priceLevelID: {entry!r}.")
    return entry


def price_level_put(account_id: int, record: dict[str, Any]) -> PriceLevel:
    """Creates or updates one level from a seed record."""
    level_id = int(str(record["priceLevelID"]).strip())
    built_in = dict(BUILT_IN)
    name = str(record.get("name") or built_in.get(level_id) or "").strip()
    if not name:
        raise bad_request(f"Price level {level_id} needs a name.")
    level_type = str(record.get("type") or "fixed")
    if level_type not in LEVEL_TYPES:
        raise bad_request(f"A price level's type is one of {', '.join(LEVEL_TYPES)}.")
    can_be_archived = _bool(record.get("canBeArchived", level_id not in built_in))
    level, created = PriceLevel.objects.update_or_create(
        accountID=account_id,
        priceLevelID=level_id,
        defaults={
            "name": name,
            "type": level_type,
            "canBeArchived": can_be_archived,
            "archived": _bool(record.get("archived", False)) and can_be_archived,
        },
    )
    if created:
        # Every item has a price for every level of its account: a new level starts at 0.
        priced = ItemPrice.objects.filter(useTypeID=level_id).values("itemID")
        items = (
            Item.objects.filter(accountID=account_id)
            .exclude(itemID__in=priced)
            .values_list("itemID", flat=True)
        )
        ItemPrice.objects.bulk_create(
            [
                ItemPrice(itemID=item_id, useTypeID=level_id, useType=name, amount=0)
                for item_id in items.iterator()
            ],
            batch_size=2000,
        )
    return level


@transaction.atomic
def price_level_update(*, account_id: int, price_level_id: int, data: dict) -> PriceLevel:
    """PUT PriceLevel/{id}: the name (documented); `archived` only where canBeArchived (assumed).

    `canBeArchived` and `type` are read-only: setting them has no effect, as documented."""
    level = PriceLevel.objects.filter(accountID=account_id, priceLevelID=price_level_id).first()
    if level is None:
        raise not_found("PriceLevel", price_level_id)
    if "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            raise bad_request("PriceLevel not updated. A PriceLevel must have a name.")
        if PriceLevel.objects.filter(accountID=account_id, name__iexact=name).exclude(pk=level.pk).exists():
            raise bad_request(f"PriceLevel not updated. A PriceLevel named '{name}' already exists.")
        level.name = name[:100]
    if "archived" in data:
        archived = _bool(data["archived"])
        if archived and not level.canBeArchived:
            raise bad_request(f"PriceLevel not updated. The {level.name} price level cannot be archived.")
        level.archived = archived
    level.save()
    return level


def price_levels(account_id: int, *, include_archived: bool = False) -> dict[int, str]:
    """useTypeID → name: the levels an item has a price for."""
    levels = PriceLevel.objects.filter(accountID=account_id)
    if not include_archived:
        levels = levels.filter(archived=False)
    return dict(levels.order_by("priceLevelID").values_list("priceLevelID", "name"))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1")
