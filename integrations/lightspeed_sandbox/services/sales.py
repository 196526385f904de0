"""Sales: create, complete, update, refund and (as the POS does) void, with their stock effects.

Completing a sale lowers each shop's qoh by its lines (refund lines, negative, raise it);
layaway and work-order lines reserve units (`onLayaway`/`onWorkorder`) while the sale is open
and take them from qoh when it completes; cancelling an open sale releases them. A void
restores the stock, adds a SaleVoid and moves `updatetime` but not `timeStamp`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import SandboxApiError, bad_request, not_found
from integrations.lightspeed_sandbox.services.items import as_list, stock_move, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.store.models import (
    Customer,
    Employee,
    Item,
    ItemPrice,
    PaymentType,
    Register,
    Sale,
    SaleLine,
    SalePayment,
    Shop,
)

CENT = Decimal("0.01")
ZERO = Decimal("0")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _item_by_code(account_id: int, code: str) -> int:
    """A line's `itemCode`: the item's UPC, EAN, system SKU or itemID, matching exactly one item."""
    match = Q(upc=code) | Q(ean=code) | Q(systemSku=code)
    if code.isdigit() and len(code) < 10:
        match |= Q(itemID=int(code))
    ids = list(Item.objects.filter(match, accountID=account_id).values_list("itemID", flat=True)[:2])
    if not ids:
        raise bad_request(f"SaleLine not created. No item matches itemCode '{code}'.")
    if len(ids) > 1:
        raise bad_request(f"SaleLine not created. itemCode '{code}' matches more than one item.")
    return ids[0]


class Catalog:
    """Items and their default prices for sale lines, from the database one at a time.

    The bulk seeding path hands `_line_build` a preloaded one instead, so both paths price
    and total lines with the same code.
    """

    def __init__(self, account_id: int):
        self.account_id = account_id

    def item(self, item_id: int) -> Item | None:
        return Item.objects.filter(accountID=self.account_id, itemID=item_id).first()

    def default_price(self, item_id: int) -> Decimal:
        price = ItemPrice.objects.filter(itemID=item_id, useTypeID=1).first()
        return price.amount if price else ZERO

    def check_parent(self, parent_id: int) -> None:
        if not SaleLine.objects.filter(accountID=self.account_id, saleLineID=parent_id).exists():
            raise not_found("SaleLine", parent_id)


def _line_build(
    sale: Sale, entry: dict, *, shop: Shop, now: datetime, catalog: Catalog | None = None
) -> SaleLine:
    catalog = catalog or Catalog(sale.accountID)
    item_id = to_int(entry.get("itemID", 0), "itemID")
    if not item_id and entry.get("itemCode"):
        item_id = _item_by_code(sale.accountID, str(entry["itemCode"]))
    quantity = to_int(entry.get("unitQuantity", 1), "unitQuantity")
    if quantity == 0:
        raise bad_request("SaleLine not created. unitQuantity cannot be 0.")
    item = None
    if item_id:
        item = catalog.item(item_id)
        if item is None:
            raise not_found("Item", item_id)
    if "unitPrice" in entry:
        unit_price = to_decimal(entry["unitPrice"], "unitPrice")
    elif item is not None:
        unit_price = catalog.default_price(item_id)
    else:
        raise bad_request("SaleLine not created. A misc line (itemID 0) needs a unitPrice.")
    parent_id = to_int(entry.get("parentSaleLineID", 0), "parentSaleLineID")
    if parent_id:
        catalog.check_parent(parent_id)
        if quantity > 0:
            raise bad_request("A refund line (with parentSaleLineID) must have a negative unitQuantity.")
    taxed = to_bool(entry["tax"]) if "tax" in entry else (item.tax if item is not None else True)
    rate = shop.taxRate if taxed else ZERO
    subtotal = unit_price * quantity
    discount = to_decimal(entry.get("discountAmount", 0), "discountAmount") + subtotal * to_decimal(
        entry.get("discountPercent", 0), "discountPercent"
    )
    net = subtotal - discount
    tax = net * rate
    note = entry.get("Note", {}).get("note", "") if isinstance(entry.get("Note"), dict) else ""
    cost = item.defaultCost if item is not None else ZERO
    return SaleLine(
        accountID=sale.accountID,
        saleID=sale.saleID,
        itemID=item_id,
        unitQuantity=quantity,
        unitPrice=unit_price,
        normalUnitPrice=unit_price if item is not None else ZERO,
        discountAmount=to_decimal(entry.get("discountAmount", 0), "discountAmount"),
        discountPercent=to_decimal(entry.get("discountPercent", 0), "discountPercent"),
        avgCost=cost,
        fifoCost=cost,
        tax=taxed,
        tax1Rate=rate,
        isLayaway=to_bool(entry.get("isLayaway", False)),
        isWorkorder=to_bool(entry.get("isWorkorder", False)),
        isSpecialOrder=to_bool(entry.get("isSpecialOrder", False)),
        displayableSubtotal=subtotal,
        displayableUnitPrice=unit_price,
        calcLineDiscount=discount,
        calcSubtotal=subtotal,
        calcTotal=net + tax,  # unrounded, as Lightspeed reports it
        calcTax1=tax,
        customerID=sale.customerID,
        employeeID=to_int(entry.get("employeeID", sale.employeeID), "employeeID"),
        parentSaleLineID=parent_id,
        shopID=shop.shopID,
        lineType=str(entry.get("lineType", "")),
        note=str(note),
        noteID=0,
        createTime=now,
        timeStamp=now,
    )


def _payments_build(sale: Sale, entries: list[dict], *, now: datetime) -> list[SalePayment]:
    payments = []
    for entry in entries:
        type_id = to_int(entry.get("paymentTypeID", 0), "paymentTypeID")
        if not PaymentType.objects.filter(accountID=sale.accountID, paymentTypeID=type_id).exists():
            raise not_found("PaymentType", type_id)
        payments.append(
            SalePayment(
                accountID=sale.accountID,
                saleID=sale.saleID,
                paymentTypeID=type_id,
                amount=to_decimal(entry.get("amount", 0), "amount"),
                registerID=sale.registerID,
                employeeID=sale.employeeID,
                createTime=now,
            )
        )
    return payments


def _totals_refresh(sale: Sale) -> None:
    lines = list(SaleLine.objects.filter(saleID=sale.saleID))
    payments = list(SalePayment.objects.filter(saleID=sale.saleID, archived=False).order_by("salePaymentID"))
    totals_apply(sale, lines, sum((p.amount for p in payments), ZERO))
    for payment in overpayment_settle(sale, payments, cash_types=cash_payment_types(sale.accountID)):
        SalePayment.objects.filter(pk=payment.pk).update(amount=payment.amount)


def cash_payment_types(account_id: int) -> set[int]:
    return set(
        PaymentType.objects.filter(accountID=account_id, type="cash").values_list("paymentTypeID", flat=True)
    )


def overpayment_settle(sale: Sale, payments: list[SalePayment], *, cash_types: set[int]) -> list[SalePayment]:
    """Cash tendered beyond the amount due is change: "the payment is saved as $11.49 and the
    remaining $3.51 is marked as change" (tutorials/sales). The cash payments, last first, come
    down to what is due, `change` holds the rest and `calcPayments` is the total; the payments
    that changed are returned. Assumed (not documented): other payment types cannot overpay."""
    excess = sale.calcPayments - sale.total if sale.total >= 0 else ZERO
    if excess <= 0:
        return []
    changed = []
    for payment in reversed(payments):
        if excess <= 0:
            break
        if payment.paymentTypeID in cash_types and payment.amount > 0:
            taken = min(payment.amount, excess)
            payment.amount -= taken
            excess -= taken
            sale.change += taken
            changed.append(payment)
    if excess > 0:
        raise bad_request(
            f"Sale not saved. Payments exceed the amount due ({sale.total}) by {excess}; "
            "only a cash payment can be more than what is due (the rest is change)."
        )
    sale.calcPayments = sale.total
    sale.balance = ZERO
    return changed


def totals_apply(sale: Sale, lines: list[SaleLine], payments: Decimal) -> None:
    """The sale's totals from its lines: lines stay unrounded, the sale's totals are in cents."""
    subtotal = sum((line.calcSubtotal for line in lines), ZERO)
    discount = sum((line.calcLineDiscount for line in lines), ZERO)
    tax = sum((line.calcTax1 for line in lines), ZERO)
    taxable = sum((line.calcSubtotal - line.calcLineDiscount for line in lines if line.tax), ZERO)
    total = _cents(subtotal - discount + tax)
    sale.calcSubtotal = subtotal
    sale.calcDiscount = discount
    sale.calcTax1 = tax
    sale.calcTaxable = taxable
    sale.calcNonTaxable = subtotal - discount - taxable
    sale.taxTotal = _cents(tax)
    sale.calcTotal = total
    sale.total = total
    sale.totalDue = total
    sale.calcPayments = payments
    sale.calcAvgCost = sum((line.avgCost * line.unitQuantity for line in lines), ZERO)
    sale.calcFIFOCost = sale.calcAvgCost
    sale.balance = total - payments if payments < total or total < 0 else ZERO


def _reserve(sale: Sale, lines: list[SaleLine], sign: int, now: datetime) -> None:
    for line in lines:
        if line.isLayaway or line.isWorkorder:
            stock_move(
                item_id=line.itemID,
                shop_id=line.shopID,
                layaway_delta=sign * line.unitQuantity if line.isLayaway else 0,
                workorder_delta=sign * line.unitQuantity if line.isWorkorder else 0,
                now=now,
            )


def _complete(sale: Sale, now: datetime, *, reserved: bool) -> None:
    if sale.total >= 0 and sale.calcPayments < sale.total:
        raise SandboxApiError(
            422, f"Sale not completed. Payments ({sale.calcPayments}) do not cover the total ({sale.total})."
        )
    if not sale.registerID:
        raise bad_request("Sale not completed. A registerID is required to complete a sale.")
    lines = list(SaleLine.objects.filter(saleID=sale.saleID))
    if reserved:
        _reserve(sale, lines, -1, now)  # reservations become sold units
    for line in lines:
        stock_move(item_id=line.itemID, shop_id=line.shopID, qoh_delta=-line.unitQuantity, now=now)
    sale.completed = True
    sale.completeTime = now
    sale.timeStamp = now


def _backdate(sale: Sale, data: dict) -> None:
    """`completeTime` can be set: the sale then reads as completed then, timeStamp included, although
    it reached the API now (only `updatetime` tells)."""
    raw = data.get("completeTime")
    if not raw:
        return
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Invalid completeTime '{raw}'.") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    sale.completeTime = sale.timeStamp = when.astimezone(UTC).replace(microsecond=0)


def _header(sale: Sale, data: dict, *, creating: bool) -> Shop:
    for name in ("shopID", "registerID", "employeeID", "customerID"):
        if name in data:
            setattr(sale, name, to_int(data[name], name))
    for name in ("referenceNumber", "referenceNumberSource"):
        if name in data:
            setattr(sale, name, str(data[name]))
    shop = Shop.objects.filter(accountID=sale.accountID, shopID=sale.shopID).first()
    if shop is None:
        raise (
            bad_request("Sale not created. A valid shopID is required.")
            if creating
            else not_found("Shop", sale.shopID)
        )
    if not Employee.objects.filter(accountID=sale.accountID, employeeID=sale.employeeID).exists():
        raise bad_request("Sale not created. A valid employeeID is required.")
    if (
        sale.registerID
        and not Register.objects.filter(
            accountID=sale.accountID, registerID=sale.registerID, shopID=sale.shopID
        ).exists()
    ):
        raise bad_request(f"Register {sale.registerID} does not belong to shop {sale.shopID}.")
    if (
        sale.customerID
        and not Customer.objects.filter(accountID=sale.accountID, customerID=sale.customerID).exists()
    ):
        raise not_found("Customer", sale.customerID)
    sale.tax1Rate = shop.taxRate
    return shop


def _add_lines_and_payments(
    sale: Sale, data: dict, shop: Shop, now: datetime, *, keep_ids: bool = False
) -> list[SaleLine]:
    entries = as_list(data.get("SaleLines"), "SaleLine")
    new_lines = [_line_build(sale, e, shop=shop, now=now) for e in entries]
    if keep_ids:
        for line, entry in zip(new_lines, entries, strict=True):
            line.saleLineID = to_int(entry["saleLineID"], "saleLineID") if entry.get("saleLineID") else None
    SaleLine.objects.bulk_create(new_lines)
    SalePayment.objects.bulk_create(
        _payments_build(sale, as_list(data.get("SalePayments"), "SalePayment"), now=now)
    )
    return new_lines


@transaction.atomic
def sale_create(*, account_id: int, data: dict, now: datetime | None = None, keep_ids: bool = False) -> Sale:
    """`POST Sale`; `keep_ids` (seeding only) keeps the saleID and saleLineIDs of the record."""
    now = now or clock.now()
    sale = Sale(accountID=account_id, timeStamp=now, createTime=now, updatetime=now)
    if keep_ids and data.get("saleID"):
        sale.saleID = to_int(data["saleID"], "saleID")
    shop = _header(sale, data, creating=True)
    sale.save()
    sale.ticketNumber = f"22{sale.saleID:010d}"
    new_lines = _add_lines_and_payments(sale, data, shop, now, keep_ids=keep_ids)
    _totals_refresh(sale)
    if to_bool(data.get("completed", False)):
        _complete(sale, now, reserved=False)
        _backdate(sale, data)
    else:
        _reserve(sale, new_lines, 1, now)
    sale.save()
    return sale


@transaction.atomic
def sale_update(*, account_id: int, sale_id: int, data: dict, now: datetime | None = None) -> Sale:
    sale = Sale.objects.filter(accountID=account_id, saleID=sale_id).first()
    if sale is None:
        raise not_found("Sale", sale_id)
    editable_after_completion = {"referenceNumber", "referenceNumberSource", "completed"}
    if (sale.completed or sale.voided) and (
        set(data) - editable_after_completion or not to_bool(data.get("completed", True))
    ):
        raise SandboxApiError(400, f"Sale {sale_id} is completed and cannot be changed.")
    now = now or clock.now()
    shop = _header(sale, data, creating=False)
    new_lines = []
    if not sale.completed:
        new_lines = _add_lines_and_payments(sale, data, shop, now)
    _totals_refresh(sale)
    if not sale.completed and to_bool(data.get("completed", False)):
        _reserve(sale, new_lines, 1, now)
        _complete(sale, now, reserved=True)
        _backdate(sale, data)
    elif not sale.completed:
        if to_bool(data.get("archived", False)) and not sale.archived:
            sale.archived = True
            _reserve(sale, list(SaleLine.objects.filter(saleID=sale.saleID)), -1, now)
            new_lines = []
        _reserve(sale, new_lines, 1, now)
        sale.timeStamp = now
    sale.updatetime = now
    sale.save()
    return sale


@transaction.atomic
def sale_delete(*, account_id: int, sale_id: int) -> Sale:
    sale = Sale.objects.filter(accountID=account_id, saleID=sale_id).first()
    if sale is None:
        raise not_found("Sale", sale_id)
    if sale.completed or sale.voided:
        raise bad_request(f"Sale {sale_id} is completed and cannot be deleted.")
    now = clock.now()
    if not sale.archived:
        _reserve(sale, list(SaleLine.objects.filter(saleID=sale.saleID)), -1, now)
    sale.archived = True
    sale.timeStamp = now
    sale.updatetime = now
    sale.save()
    return sale
