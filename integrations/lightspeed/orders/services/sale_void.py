"""Voids: an imported sale voided in Lightspeed marks its order Void and undoes its stock, once."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from integrations.commerce.models import Order, Return, StockLedgerEntry, Warehouse
from integrations.commerce.services.stock import stock_adjust_many
from integrations.lightspeed.api.records.sales import SaleData
from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine
from integrations.lightspeed.orders.services.sale_build import sale_reference
from integrations.lightspeed.orders.services.sale_stock import ShopScope


def sales_void(
    *, scope: ShopScope, voids: list[tuple[LightspeedSale, SaleData | None]], counts: Counter
) -> None:
    """Marks imported sales voided, their orders Void, and undoes exactly their stock moves."""
    records = [rec for rec, _ in voids if rec.state == LightspeedSale.State.IMPORTED]
    if not records:
        return
    now = timezone.now()
    rows = list(
        LightspeedSaleLine.objects.filter(sale__in=records).exclude(stock_moves=[]).select_related("product")
    )
    warehouse_ids = {wid for row in rows for wid, _ in row.stock_moves}
    warehouses = {w.pk: w for w in Warehouse.objects.filter(pk__in=warehouse_ids)}
    by_pk = {rec.pk: rec for rec in records}
    orders = {o.pk: o for o in Order.objects.filter(pk__in=[r.order_id for r in records if r.order_id])}
    changes = []
    for row in rows:
        rec = by_pk[row.sale_id]
        for warehouse_id, quantity in row.stock_moves:
            changes.append(
                (
                    row.product,
                    warehouses[warehouse_id],
                    -quantity,
                    StockLedgerEntry.Reason.VOID,
                    f"{sale_reference(rec.sale_id)} voided",
                    orders.get(rec.order_id),
                )
            )
    stock_adjust_many(changes=changes, user=scope.user)
    order_ids = [rec.order_id for rec in records if rec.order_id]
    Order.objects.filter(pk__in=order_ids).update(status=Order.Status.VOID, updated_at=now)
    # A refund of lines from several orders made one return per order: all of them are voided.
    return_ids = {rec.order_return_id for rec in records if rec.order_return_id}
    return_ids.update(
        LightspeedSaleLine.objects.filter(sale__in=records, return_line__isnull=False)
        .values_list("return_line__order_return_id", flat=True)
        .distinct()
    )
    if return_ids:
        Return.objects.filter(pk__in=return_ids).update(reason="Voided in Lightspeed", updated_at=now)
    for rec, sale in voids:
        rec.state = LightspeedSale.State.VOIDED
        rec.voided_at = now
        if sale is not None:
            rec.update_time = sale.update_time
            rec.digest = sale.digest()
    LightspeedSale.objects.bulk_update(records, ["state", "voided_at", "update_time", "digest"])
    counts["voided"] += len(records)
