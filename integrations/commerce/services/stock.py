"""Stock changes. Every change to on-hand stock goes through `stock_adjust`, which writes the
ledger row in the same transaction, so a product/warehouse's ledger always sums to its level.
"""

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Order, Product, StockLedgerEntry, StockLevel, User, Warehouse


class StockError(Exception):
    pass


def _check(product: Product, warehouse: Warehouse, quantity: int, reason: str) -> None:
    if product.company_id != warehouse.company_id:
        raise StockError("The product and the warehouse belong to different companies.")
    if product.is_parent:
        raise StockError(
            f"{product.sku} is a style (parent product), which holds no stock: book it on its variations."
        )
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise StockError("A stock quantity must be a whole number.")
    if reason not in StockLedgerEntry.Reason.values:
        raise StockError(f"Unknown stock change reason {reason!r}.")


@transaction.atomic
def stock_adjust(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity_change: int,
    reason: str,
    reference: str = "",
    order: Order | None = None,
    user: User | None = None,
) -> StockLevel:
    """Add `quantity_change` (negative to take) to the product's on-hand stock in a warehouse.

    A zero change writes nothing: the ledger holds changes, and a row of 0 would only be noise.
    """
    _check(product, warehouse, quantity_change, reason)
    level, _ = StockLevel.objects.select_for_update().get_or_create(product=product, warehouse=warehouse)
    if quantity_change == 0:
        return level
    level.on_hand += quantity_change
    level.save(update_fields=["on_hand", "updated_at"])
    StockLedgerEntry.objects.create(
        product=product,
        warehouse=warehouse,
        quantity_change=quantity_change,
        on_hand_after=level.on_hand,
        reason=reason,
        reference=reference[:255],
        order=order,
        created_by=user,
    )
    return level


@transaction.atomic
def stock_set(
    *,
    product: Product,
    warehouse: Warehouse,
    on_hand: int,
    reason: str = StockLedgerEntry.Reason.ADJUSTMENT,
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    """Set the on-hand quantity (a count or an import): the ledger records the difference."""
    _check(product, warehouse, on_hand, reason)
    level, _ = StockLevel.objects.select_for_update().get_or_create(product=product, warehouse=warehouse)
    change = on_hand - level.on_hand
    if change == 0:
        return level
    return stock_adjust(
        product=product,
        warehouse=warehouse,
        quantity_change=change,
        reason=reason,
        reference=reference,
        user=user,
    )


@transaction.atomic
def stock_set_many(
    *,
    counts: list[tuple[Product, Warehouse, int]],
    reason: str = StockLedgerEntry.Reason.IMPORT,
    reference: str = "",
    user: User | None = None,
) -> int:
    """Set many on-hand quantities at once (seeding, large counts); returns the rows changed.

    The same contract as `stock_set` — one ledger row per change, in the same transaction — but
    in a constant number of queries, so hundreds of products import in well under a second.
    """
    for product, warehouse, on_hand in counts:
        _check(product, warehouse, on_hand, reason)
    product_ids = {product.pk for product, _, _ in counts}
    existing = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.select_for_update().filter(product_id__in=product_ids)
    }
    to_create: list[StockLevel] = []
    changed: dict[tuple[int, int], StockLevel] = {}
    entries: list[StockLedgerEntry] = []
    now = timezone.now()
    for product, warehouse, on_hand in counts:
        key = (product.pk, warehouse.pk)
        level = existing.get(key)
        if level is None:
            level = existing[key] = StockLevel(product=product, warehouse=warehouse, on_hand=0)
            to_create.append(level)
        change = on_hand - level.on_hand
        if change == 0:
            continue
        level.on_hand = on_hand
        level.updated_at = now
        if level.pk is not None:
            changed[key] = level
        entries.append(
            StockLedgerEntry(
                product=product,
                warehouse=warehouse,
                quantity_change=change,
                on_hand_after=on_hand,
                reason=reason,
                reference=reference[:255],
                created_by=user,
            )
        )
    StockLevel.objects.bulk_create(to_create)
    StockLevel.objects.bulk_update(list(changed.values()), ["on_hand", "updated_at"])
    StockLedgerEntry.objects.bulk_create(entries)
    return len(entries)


@transaction.atomic
def stock_adjust_many(
    *,
    changes: list[tuple[Product, Warehouse, int, str, str, Order | None]],
    user: User | None = None,
) -> dict[tuple[int, int], StockLevel]:
    """Many `stock_adjust` calls at once: (product, warehouse, change, reason, reference, order).

    The same contract — each non-zero change writes one ledger row in the same transaction, in
    the order given — in a constant number of queries, so a channel importing hundreds of orders
    a second does not pay four queries per line. Returns the levels touched by (product, warehouse).
    """
    for product, warehouse, change, reason, _, _ in changes:
        _check(product, warehouse, change, reason)
    changes = [c for c in changes if c[2] != 0]
    if not changes:
        return {}
    pairs = {(product.pk, warehouse.pk) for product, warehouse, *_ in changes}
    levels = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.select_for_update().filter(
            product_id__in={p for p, _ in pairs}, warehouse_id__in={w for _, w in pairs}
        )
    }
    missing = [
        StockLevel(product=product, warehouse=warehouse, on_hand=0)
        for product, warehouse, *_ in changes
        if (product.pk, warehouse.pk) not in levels
    ]
    for level in {(lv.product_id, lv.warehouse_id): lv for lv in missing}.values():
        # Concurrent creators of the same level wait on the unique index, then one of them
        # fails: the caller's transaction retries as a whole, as with stock_adjust.
        levels[(level.product_id, level.warehouse_id)] = level
    StockLevel.objects.bulk_create([lv for lv in levels.values() if lv.pk is None])
    now = timezone.now()
    entries = []
    for product, warehouse, change, reason, reference, order in changes:
        level = levels[(product.pk, warehouse.pk)]
        level.on_hand += change
        level.updated_at = now
        entries.append(
            StockLedgerEntry(
                product=product,
                warehouse=warehouse,
                quantity_change=change,
                on_hand_after=level.on_hand,
                reason=reason,
                reference=reference[:255],
                order=order,
                created_by=user,
            )
        )
    StockLevel.objects.bulk_update([levels[pair] for pair in pairs], ["on_hand", "updated_at"])
    StockLedgerEntry.objects.bulk_create(entries)
    return {pair: levels[pair] for pair in pairs}
