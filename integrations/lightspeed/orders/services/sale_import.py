"""A page of Lightspeed sales into orders, returns and stock — exactly once, in bulk.

`sales_import` runs inside the caller's transaction (which also holds the company's cursor row
and moves it), in a constant number of queries however many sales and lines the page holds:
every read is one query for the whole page and every write one bulk statement.

What a sale becomes (DESIGN.md §3):
* completed, not seen before: an order (its positive lines) and/or a return (its negative
  lines), stock taken from the shop's warehouses and received into the Returns Warehouse;
* voided, already imported: the order is marked Void and its stock moves are undone, once;
* voided, never imported: a Void order with no stock moves (the sale still appears, once);
* open (layaway, work order, special order not yet completed): recorded, no order, no stock —
  it is imported when Lightspeed completes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from integrations.commerce.models import (
    Order,
    OrderLine,
    OrderPayment,
    Product,
    Return,
    ReturnLine,
    StockLedgerEntry,
    User,
    Warehouse,
)
from integrations.commerce.services.stock import stock_adjust_many
from integrations.lightspeed.api.records.items import ItemCodes
from integrations.lightspeed.api.records.sales import SaleData, SaleLineData
from integrations.lightspeed.jobs.issues import sync_issues_record
from integrations.lightspeed.live.services.freshness import Direction, freshness_record
from integrations.lightspeed.models import SyncIssue, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine
from integrations.lightspeed.orders.services.sale_build import (
    attribution,
    order_build,
    sale_record_fields,
    sale_reference,
    unknown_reference,
)
from integrations.lightspeed.orders.services.sale_matching import ItemMatch, item_links_save, items_match
from integrations.lightspeed.orders.services.sale_stock import Availability, ShopScope
from integrations.lightspeed.orders.services.sale_void import sales_void

ZERO = Decimal("0")


@dataclass
class _Plan:
    sale: SaleData
    record: LightspeedSale
    void: bool
    order: Order | None = None
    returns: dict[int | None, Return] = field(default_factory=dict)
    line_rows: list[tuple[SaleLineData, LightspeedSaleLine, OrderLine | None, ReturnLine | None]] = field(
        default_factory=list
    )
    notes: list[str] = field(default_factory=list)


def sales_import(
    *, scope: ShopScope, sales: list[SaleData], counts: Counter, run: SyncRun | None = None
) -> None:
    """Imports a page of parsed sales (in the caller's transaction)."""
    if not sales:
        return
    company = scope.company
    known = {
        rec.sale_id: rec
        for rec in LightspeedSale.objects.filter(company=company, sale_id__in=[s.sale_id for s in sales])
    }
    start = scope.start_at
    to_import: list[tuple[SaleData, bool]] = []
    to_void: list[tuple[LightspeedSale, SaleData]] = []
    open_new: list[LightspeedSale] = []
    open_seen: list[LightspeedSale] = []
    seen: set[int] = set()
    for sale in sales:
        if sale.sale_id in seen:
            continue  # overlap pages can repeat a sale within one batch
        seen.add(sale.sale_id)
        rec = known.get(sale.sale_id)
        if rec is not None and rec.state in (LightspeedSale.State.IMPORTED, LightspeedSale.State.VOIDED):
            if sale.voided and rec.state == LightspeedSale.State.IMPORTED:
                to_void.append((rec, sale))
            else:
                counts["already_imported"] += 1
            continue
        if not scope.imports_shop(sale.shop_id):
            counts["other_shops"] += 1
            continue
        if start is not None and sale.order_date is not None and sale.order_date < start and rec is None:
            counts["before_start"] += 1
            continue
        if not sale.completed and not sale.voided:
            counts["open"] += 1
            if rec is None:
                open_new.append(LightspeedSale(company=company, sale_id=sale.sale_id, state="open"))
                for key, value in sale_record_fields(scope, sale).items():
                    setattr(open_new[-1], key, value)
            else:
                rec.time_stamp, rec.update_time = sale.time_stamp, sale.update_time
                open_seen.append(rec)
            continue
        to_import.append((sale, sale.voided))
    if open_new:
        LightspeedSale.objects.bulk_create(open_new)
    if open_seen:
        LightspeedSale.objects.bulk_update(open_seen, ["time_stamp", "update_time"])
    # A refund of a sale in the same batch must find that sale's lines imported: such a batch is
    # imported in chunks, each ending before the first sale that refunds a line of its own chunk.
    chunk: list[tuple[SaleData, bool]] = []
    chunk_lines: set[int] = set()
    for entry in to_import:
        parents = {ln.parent_sale_line_id for ln in entry[0].lines if ln.is_return}
        if parents & chunk_lines:
            _import(scope, chunk, known, counts, run)
            chunk, chunk_lines = [], set()
        chunk.append(entry)
        chunk_lines.update(ln.sale_line_id for ln in entry[0].lines)
    if chunk:
        _import(scope, chunk, known, counts, run)
    if to_void:
        sales_void(scope=scope, voids=to_void, counts=counts)
    if scope.measure_freshness:
        done_at = timezone.now()
        freshness_record(
            company_id=company.pk,
            direction=Direction.SALE_TO_ORDER,
            samples=[
                (sale.sale_id, sale.order_date, done_at)
                for sale, voided in to_import
                if not voided and sale.order_date is not None
            ],
        )


def _import(
    scope: ShopScope,
    to_import: list[tuple[SaleData, bool]],
    known: dict[int, LightspeedSale],
    counts: Counter,
    run: SyncRun | None,
) -> None:
    """One chunk of sales: plan each (order, returns), build lines and stock moves, save, report."""
    page = _page_load(scope, to_import)
    unreadable_before = [
        sale.sale_id
        for sale, _ in to_import
        if sale.sale_id in known and known[sale.sale_id].state == LightspeedSale.State.INVALID
    ]
    plans = [_plan(page, sale, void, known) for sale, void in to_import]
    Order.objects.bulk_create([p.order for p in plans if p.order is not None])
    Return.objects.bulk_create([r for p in plans for r in p.returns.values()])
    for plan in plans:
        _payments_add(page, plan)
        for line in plan.sale.lines:
            _line_add(page, plan, line)
    _save(page, plans)
    _counts_add(page, plans, counts)
    _issues_record(page, unreadable_before, run)


@dataclass
class _Page:
    """What importing a chunk of sales reads once, and the rows it gathers to write in bulk."""

    scope: ShopScope
    matches: dict[int, ItemMatch]
    parents: dict[int, LightspeedSaleLine]  # the original lines refunded, by saleLineID
    availability: Availability
    warehouses: dict[int, Warehouse]
    creator: User
    order_lines: list[OrderLine] = field(default_factory=list)
    return_lines: list[ReturnLine] = field(default_factory=list)
    payments: list[OrderPayment] = field(default_factory=list)
    stock_changes: list[tuple] = field(default_factory=list)
    unmatched: dict[int, ItemMatch] = field(default_factory=dict)
    shortfalls: Counter = field(default_factory=Counter)

    def original_order(self, line: SaleLineData) -> Order | None:
        """The order a refund line returns against; None when its sale was never imported."""
        parent = self.parents.get(line.parent_sale_line_id)
        return parent.sale.order if parent is not None and parent.sale.order_id else None


def _page_load(scope: ShopScope, to_import: list[tuple[SaleData, bool]]) -> _Page:
    """Matches of the chunk's items, the lines its refunds point at, and the stock they draw on."""
    company = scope.company
    lines = [line for sale, _ in to_import for line in sale.lines]
    items = [line.item for line in lines if line.is_stock and line.item is not None]
    matches = items_match(company=company, items=items)
    item_links_save(company=company, matches=matches.values())
    parent_ids = {line.parent_sale_line_id for line in lines if line.is_return and line.parent_sale_line_id}
    parents = {
        row.sale_line_id: row
        for row in LightspeedSaleLine.objects.filter(
            sale__company=company, sale_line_id__in=parent_ids
        ).select_related("sale", "order_line")
    }
    products = {m.product.pk for m in matches.values() if m.product is not None}
    warehouses = {w.pk: w for sale, _ in to_import for w in scope.warehouses_for(sale.shop_id)}
    return _Page(
        scope=scope,
        matches=matches,
        parents=parents,
        availability=Availability(products, set(warehouses)),
        warehouses=warehouses,
        creator=scope.user,  # read once: a dry run looks it up rather than keeping it
    )


def _plan(page: _Page, sale: SaleData, void: bool, known: dict[int, LightspeedSale]) -> _Plan:
    """The sale's record, its order (unless it only returns) and one return per original order."""
    scope = page.scope
    record = known.get(sale.sale_id) or LightspeedSale(company=scope.company, sale_id=sale.sale_id)
    for key, value in sale_record_fields(scope, sale).items():
        setattr(record, key, value)
    record.state = LightspeedSale.State.VOIDED if void else LightspeedSale.State.IMPORTED
    if void:
        record.voided_at = timezone.now()
    plan = _Plan(sale=sale, record=record, void=void)
    positive = [line for line in sale.lines if not line.is_return]
    negative = [line for line in sale.lines if line.is_return]
    if positive or not negative:
        plan.order = order_build(scope, sale, void=void, created_by=page.creator)
    for line in negative:
        original = page.original_order(line)
        key = original.pk if original is not None else None
        if key not in plan.returns:
            plan.returns[key] = _return_build(scope, plan, original)
    return plan


def _return_build(scope: ShopScope, plan: _Plan, original: Order | None) -> Return:
    sale = plan.sale
    return Return(
        company=scope.company,
        order=original,
        channel=Order.Channel.LOCAL_STORE,
        channel_return_id=str(sale.sale_id)
        if not plan.returns
        else f"{sale.sale_id}-{len(plan.returns) + 1}",
        return_date=sale.order_date or timezone.now(),
        reason="Refunded in Lightspeed",
        refund_amount=ZERO,
        notes=attribution(scope, sale)
        + ("" if original else " The original sale was not imported: a standalone return.")
        + (" Voided in Lightspeed before it was downloaded: no stock was moved." if plan.void else ""),
    )


def _payments_add(page: _Page, plan: _Plan) -> None:
    if plan.order is None:
        return
    page.payments.extend(
        OrderPayment(
            order=plan.order,
            payment_type=p.payment_type,
            amount=p.amount,
            reference=p.reference,
            paid_at=p.paid_at,
        )
        for p in plan.sale.payments
    )


def _line_add(page: _Page, plan: _Plan, line: SaleLineData) -> None:
    """One sale line: its record, its order or return line, and the stock it moves."""
    match = page.matches.get(line.item_id) if line.is_stock else None
    product = match.product if match is not None else None
    if line.is_stock and product is None:
        if match is not None:
            page.unmatched.setdefault(line.item_id, match)
        else:
            page.unmatched.setdefault(
                line.item_id, ItemMatch(item=_bare_item(line), reason="its item was not sent")
            )
    kind = (
        LightspeedSaleLine.Kind.NON_STOCK
        if not line.is_stock
        else LightspeedSaleLine.Kind.RETURN
        if line.is_return
        else LightspeedSaleLine.Kind.STOCK
    )
    row = LightspeedSaleLine(
        sale_line_id=line.sale_line_id,
        item_id=line.item_id,
        kind=kind,
        quantity=line.quantity,
        product=product,
    )
    order_line = return_line = None
    if line.is_return:
        return_line = _return_line_add(page, plan, line, row, product)
    else:
        order_line = _order_line_add(page, plan, line, row, product)
    plan.line_rows.append((line, row, order_line, return_line))


def _return_line_add(
    page: _Page, plan: _Plan, line: SaleLineData, row: LightspeedSaleLine, product: Product | None
) -> ReturnLine:
    """A refund line: a return line, and its units received into the returns warehouse."""
    sale = plan.sale
    parent = page.parents.get(line.parent_sale_line_id)
    original = page.original_order(line)
    order_return = plan.returns[original.pk if original is not None else None]
    warehouse = page.scope.returns_warehouse_for(sale.shop_id) if line.is_stock else None
    refund = -line.total if line.total < 0 else line.total
    order_return.refund_amount += refund
    return_line = ReturnLine(
        order_return=order_return,
        order_line=parent.order_line if parent is not None else None,
        product=product,
        sku=_sku(line, product),
        quantity=-line.quantity,
        warehouse=warehouse,
        refund_amount=refund,
        reason=line.note[:255],
        channel_line_id=str(line.sale_line_id),
    )
    page.return_lines.append(return_line)
    if product is not None and warehouse is not None and not plan.void:
        row.stock_moves = [[warehouse.pk, -line.quantity]]
        page.warehouses[warehouse.pk] = warehouse
        page.stock_changes.append(
            (
                product,
                warehouse,
                -line.quantity,
                StockLedgerEntry.Reason.RETURN,
                sale_reference(sale.sale_id),
                original,
            )
        )
        page.availability.give(product.pk, warehouse.pk, -line.quantity)
    return return_line


def _order_line_add(
    page: _Page, plan: _Plan, line: SaleLineData, row: LightspeedSaleLine, product: Product | None
) -> OrderLine:
    """A sold line: an order line, and its units taken from the shop's warehouses in order."""
    sale = plan.sale
    order_line = OrderLine(
        order=plan.order,
        product=product,
        sku=_sku(line, product),
        title=line.title[:255],
        unknown_reference=unknown_reference(line.item_id) if line.is_stock and product is None else "",
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount=line.discount,
        tax=line.tax,
        line_total=line.total,
        channel_line_id=str(line.sale_line_id),
    )
    page.order_lines.append(order_line)
    if product is None or plan.void:
        return order_line
    shop_warehouses = page.scope.warehouses_for(sale.shop_id)
    moves, shortfall = page.availability.take(product.pk, shop_warehouses, line.quantity)
    if shortfall and shop_warehouses:
        page.shortfalls[product.sku] += shortfall
        plan.notes.append(
            f"Not enough {product.sku} in stock: {shortfall} taken from {shop_warehouses[0].name} below zero."
        )
    if not moves:
        plan.notes.append(f"No warehouse is mapped to this shop: {product.sku} not deducted.")
    row.stock_moves = moves
    reference = sale_reference(sale.sale_id)
    page.stock_changes.extend(
        (product, page.warehouses[wid], qty, StockLedgerEntry.Reason.ORDER, reference, plan.order)
        for wid, qty in moves
    )
    return order_line


def _save(page: _Page, plans: list[_Plan]) -> None:
    """Everything the chunk built, one bulk statement per kind, then its stock moves."""
    OrderLine.objects.bulk_create(page.order_lines)
    ReturnLine.objects.bulk_create(page.return_lines)
    OrderPayment.objects.bulk_create(page.payments)
    Return.objects.bulk_update(
        [r for p in plans for r in p.returns.values()], ["refund_amount"]
    )  # summed from the lines
    noted = [p.order for p in plans if p.notes and p.order is not None]
    for plan in plans:
        if plan.notes and plan.order is not None:
            plan.order.notes += "\n" + "\n".join(plan.notes)
    if noted:
        Order.objects.bulk_update(noted, ["notes"])
    _records_save(page.scope, plans)
    rows = []
    for plan in plans:
        for _, row, order_line, return_line in plan.line_rows:
            row.sale = plan.record
            row.order_line = order_line
            row.return_line = return_line
            rows.append(row)
    LightspeedSaleLine.objects.bulk_create(rows)
    stock_adjust_many(changes=page.stock_changes, user=page.creator)


def _records_save(scope: ShopScope, plans: list[_Plan]) -> None:
    new_records, old_records = [], []
    for plan in plans:
        plan.record.order = plan.order
        plan.record.order_return = next(iter(plan.returns.values()), None)
        (old_records if plan.record.pk else new_records).append(plan.record)
    LightspeedSale.objects.bulk_create(new_records)
    if old_records:
        LightspeedSale.objects.bulk_update(
            old_records,
            ["state", "order", "order_return", "voided_at", *sale_record_fields(scope, plans[0].sale).keys()],
        )


def _counts_add(page: _Page, plans: list[_Plan], counts: Counter) -> None:
    for plan in plans:
        counts["orders" if plan.order is not None else "returns_only"] += 1
        counts["returns"] += len(plan.returns)
        counts["voided_before_import"] += int(plan.void)
    counts["lines"] += len(page.order_lines)
    counts["return_lines"] += len(page.return_lines)
    if page.unmatched:
        counts["unmatched_items"] += len(page.unmatched)


def _issues_record(page: _Page, unreadable_before: list[int], run: SyncRun | None) -> None:
    """Unmatched items and stock shortfalls become issues; unreadable sales now read are settled."""
    company_id = page.scope.company.pk
    sync_issues_record(
        company_id=company_id,
        kind=SyncIssue.Kind.UNMATCHED_ITEM,
        messages={
            str(item_id): f"Lightspeed {match.item.summary()} matches no product: {match.reason}. "
            "Its sale lines were imported as unknown lines; choose the product to fix them and their stock."
            for item_id, match in page.unmatched.items()
        },
        run=run,
    )
    if unreadable_before:
        _unreadable_resolved(company_id, unreadable_before, run)
    sync_issues_record(
        company_id=company_id,
        kind=SyncIssue.Kind.STOCK_SHORTFALL,
        messages={
            sku: f"Sales took {units} more units of {sku} than the mapped warehouses had; "
            "the shortfall was taken from the first warehouse, below zero."
            for sku, units in page.shortfalls.items()
        },
        run=run,
    )


def _unreadable_resolved(company_id: int, sale_ids: list[int], run: SyncRun | None) -> None:
    """Sales that could not be read before and are imported now: their issues are settled, with
    a note saying how (one query, and none for a page without such sales)."""
    how = f"imported by run {run.pk}" if run is not None else "imported when it was replayed"
    SyncIssue.objects.filter(
        company_id=company_id,
        kind=SyncIssue.Kind.SALE_INVALID,
        key__in=[str(sale_id) for sale_id in sale_ids],
        status=SyncIssue.Status.OPEN,
    ).update(
        status=SyncIssue.Status.RESOLVED,
        resolved_at=timezone.now(),
        resolution=f"The sale could be read this time and was {how}.",
    )


def _bare_item(line: SaleLineData) -> ItemCodes:
    return ItemCodes(item_id=line.item_id)


def _sku(line: SaleLineData, product: Product | None) -> str:
    if product is not None:
        return product.sku
    if line.item is not None:
        return (line.item.custom_sku or line.item.system_sku)[:100]
    return ""
