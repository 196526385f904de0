"""Resolving an unmatched Lightspeed item: a person chooses its product, once, and every sale line
of that item — past and future — follows.

The item is linked to the product (matched by a person), every imported line of the item gets
the product, and the stock those lines would have moved is moved now: sold units from the sale's
shop warehouses (mapping order, as at import), returned units into the warehouse the return
line names. Lines of voided sales move nothing. Lines already resolved are skipped, so running
it again changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import OrderLine, Product, ReturnLine, StockLedgerEntry, User, Warehouse
from integrations.commerce.services.stock import stock_adjust_many
from integrations.core.locks import company_job_lock
from integrations.lightspeed.models import LightspeedSettings, SyncIssue
from integrations.lightspeed.models.catalog import ProductLink
from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine
from integrations.lightspeed.orders.services.sale_build import sale_reference
from integrations.lightspeed.orders.services.sale_stock import Availability, shop_scope_load

# How long a resolve waits for a running order download (it takes the same lock, see below).
LOCK_WAIT_SECONDS = 30.0


class UnmatchedItemResolveError(ValueError):
    pass


def unmatched_item_conflict(*, issue: SyncIssue, product: Product) -> str | None:
    """Why `product` cannot take the issue's item, in words (for a form to show); None if it can."""
    if product.company_id != issue.company_id:
        return "This product belongs to another company."
    item_id = int(issue.key)
    by_item = (
        ProductLink.objects.filter(company_id=issue.company_id, item_id=item_id)
        .select_related("product")
        .first()
    )
    if by_item is not None and by_item.product_id != product.pk:
        return f"Lightspeed item {item_id} is already linked to {by_item.product.sku}; unlink it there first."
    other = ProductLink.objects.filter(product=product).exclude(item_id=None).exclude(item_id=item_id).first()
    if other is not None:
        return f"{product.sku} is already linked to Lightspeed item {other.item_id}; choose another product."
    return None


def _link(company, item_id: int, product: Product, user: User | None) -> ProductLink:
    by_item = ProductLink.objects.select_for_update().filter(company=company, item_id=item_id).first()
    if by_item is not None and by_item.product_id != product.pk:
        raise UnmatchedItemResolveError(
            f"Lightspeed item {item_id} is already linked to {by_item.product.sku}; unlink it there first."
        )
    link = by_item or ProductLink.objects.select_for_update().filter(product=product).first()
    if link is not None and link.item_id not in (None, item_id):
        raise UnmatchedItemResolveError(
            f"{product.sku} is already linked to Lightspeed item {link.item_id}; choose another product."
        )
    link = link or ProductLink(company=company, product=product)
    link.item_id = item_id
    link.matched_by = ProductLink.MatchedBy.MANUAL
    link.linked_at = timezone.now()
    link.save()
    return link


def unmatched_item_resolve(*, issue: SyncIssue, product: Product, user: User | None = None) -> dict[str, int]:
    """Links the issue's item to `product`, fixes its lines and applies their stock once.

    Under the company's orders lock, as a replay: a void the order download applies meanwhile
    would otherwise read the lines before their stock moves exist and leave that stock taken.
    """
    with company_job_lock(issue.company_id, "orders", wait=LOCK_WAIT_SECONDS) as acquired:
        if not acquired:
            raise UnmatchedItemResolveError(
                "The order download is running for this company; try again in a minute."
            )
        return _resolve(issue=issue, product=product, user=user)


@transaction.atomic
def _resolve(*, issue: SyncIssue, product: Product, user: User | None) -> dict[str, int]:
    issue = SyncIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.kind != SyncIssue.Kind.UNMATCHED_ITEM:
        raise UnmatchedItemResolveError("This issue is not about an unmatched Lightspeed item.")
    if product.company_id != issue.company_id:
        raise UnmatchedItemResolveError("This product belongs to another company.")
    item_id = int(issue.key)
    company = issue.company
    _link(company, item_id, product, user)

    rows = list(
        LightspeedSaleLine.objects.select_for_update(of=("self",))
        .filter(sale__company=company, item_id=item_id, product__isnull=True)
        .exclude(kind=LightspeedSaleLine.Kind.NON_STOCK)
        .select_related("sale", "sale__order", "order_line", "return_line", "return_line__order_return")
    )
    settings_obj = LightspeedSettings.objects.select_related("company").get(company=company)
    scope = shop_scope_load(settings_obj=settings_obj)
    warehouse_ids = {w.pk for ws in scope.warehouses_by_shop.values() for w in ws}
    warehouse_ids |= {w.pk for w in scope.default_warehouses}
    availability = Availability({product.pk}, warehouse_ids)
    warehouses = {w.pk: w for w in Warehouse.objects.filter(company=company)}
    changes, order_lines, return_lines = [], [], []
    for row in rows:
        row.product = product
        active = row.sale.state == LightspeedSale.State.IMPORTED
        reference = f"{sale_reference(row.sale.sale_id)} (item {item_id} mapped)"
        if row.order_line is not None:
            row.order_line.product, row.order_line.sku, row.order_line.unknown_reference = (
                product,
                product.sku,
                "",
            )
            order_lines.append(row.order_line)
            if active:
                moves, _ = availability.take(
                    product.pk, scope.warehouses_for(row.sale.shop_id_seen), row.quantity
                )
                row.stock_moves = moves
                changes += [
                    (product, warehouses[w], q, StockLedgerEntry.Reason.ORDER, reference, row.sale.order)
                    for w, q in moves
                ]
        if row.return_line is not None:
            row.return_line.product, row.return_line.sku = product, product.sku
            return_lines.append(row.return_line)
            warehouse = row.return_line.warehouse
            if active and warehouse is not None:
                row.stock_moves = [[warehouse.pk, -row.quantity]]
                changes.append(
                    (
                        product,
                        warehouse,
                        -row.quantity,
                        StockLedgerEntry.Reason.RETURN,
                        reference,
                        row.return_line.order_return.order,
                    )
                )
    OrderLine.objects.bulk_update(order_lines, ["product", "sku", "unknown_reference"])
    ReturnLine.objects.bulk_update(return_lines, ["product", "sku"])
    LightspeedSaleLine.objects.bulk_update(rows, ["product", "stock_moves"])
    stock_adjust_many(changes=changes, user=user or scope.user)
    issue.status = SyncIssue.Status.RESOLVED
    issue.message += (
        f"\nResolved: mapped to {product.sku} by {user or 'LightSync'}; {len(rows)} line(s) fixed."
    )
    issue.save(update_fields=["status", "message"])
    return {"lines": len(rows), "stock_moves": len(changes)}
