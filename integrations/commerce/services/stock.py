"""Stock changes. Every change to on-hand stock goes through `stock_adjust`, which writes the
ledger row in the same transaction, so a product/warehouse's ledger always sums to its level.
"""

from django.db import transaction

from integrations.commerce.models import Product, StockLedgerEntry, StockLevel, User, Warehouse


class StockError(Exception):
    pass


@transaction.atomic
def stock_adjust(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity_change: int,
    reason: str,
    reference: str = "",
    order=None,
    user: User | None = None,
) -> StockLevel:
    """Add `quantity_change` (negative to take) to the product's on-hand stock in a warehouse."""
    if product.company_id != warehouse.company_id:
        raise StockError("The product and the warehouse belong to different companies.")
    if not isinstance(quantity_change, int) or isinstance(quantity_change, bool):
        raise StockError("A quantity change must be a whole number.")
    level, _ = StockLevel.objects.select_for_update().get_or_create(product=product, warehouse=warehouse)
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
