"""Fast seeding of many plain sales (benchmarks import 10,000): `{"fast": true, "Sale": [...]}`.

Lines are priced and totalled by the same code as `POST Sale` (`_line_build`, `totals_apply`),
against a catalogue loaded once; rows go in with a few bulk INSERTs and the stock moves once per
item and shop. Only plain sales qualify: no layaway or work-order lines, no void or refund flags,
refund lines only against lines that already exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max

from integrations.lightspeed_sandbox.errors import SandboxApiError, bad_request, not_found
from integrations.lightspeed_sandbox.services.items import as_list, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.services.sales import ZERO, Catalog, _backdate, _line_build, totals_apply
from integrations.lightspeed_sandbox.store.models import (
    Customer,
    Employee,
    Item,
    ItemPrice,
    ItemShop,
    PaymentType,
    Register,
    Sale,
    SaleLine,
    SalePayment,
    Shop,
)

BATCH = 2000


class PreloadedCatalog(Catalog):
    def __init__(self, account_id: int, item_ids: set[int]):
        super().__init__(account_id)
        self.items = {i.itemID: i for i in Item.objects.filter(accountID=account_id, itemID__in=item_ids)}
        prices = ItemPrice.objects.filter(itemID__in=item_ids, useTypeID=1).values_list("itemID", "amount")
        self.prices: dict[int, Decimal] = dict(prices)

    def item(self, item_id: int) -> Item | None:
        return self.items.get(item_id)

    def default_price(self, item_id: int) -> Decimal:
        return self.prices.get(item_id, ZERO)


def _next_id(model: type, field: str) -> int:
    return (model.objects.aggregate(m=Max(field))["m"] or 0) + 1


def _check_plain(record: dict) -> None:
    if any(to_bool(record.get(flag, False)) for flag in ("void", "refund")):
        raise bad_request("Fast seeding takes plain sales only: no void or refund flags.")
    for entry in as_list(record.get("SaleLines"), "SaleLine"):
        if to_bool(entry.get("isLayaway", False)) or to_bool(entry.get("isWorkorder", False)):
            raise bad_request("Fast seeding takes plain sales only: no layaway or work-order lines.")


@transaction.atomic
def sales_bulk_create(*, account_id: int, records: list[dict], now: datetime) -> int:
    for record in records:
        _check_plain(record)
    item_ids = {
        to_int(entry.get("itemID", 0), "itemID")
        for record in records
        for entry in as_list(record.get("SaleLines"), "SaleLine")
    } - {0}
    catalog = PreloadedCatalog(account_id, item_ids)
    shops = {s.shopID: s for s in Shop.objects.filter(accountID=account_id)}
    registers = set(Register.objects.filter(accountID=account_id).values_list("registerID", "shopID"))
    employees = set(Employee.objects.filter(accountID=account_id).values_list("employeeID", flat=True))
    customers = set(Customer.objects.filter(accountID=account_id).values_list("customerID", flat=True))
    payment_types = set(
        PaymentType.objects.filter(accountID=account_id).values_list("paymentTypeID", flat=True)
    )
    next_sale, next_line, next_payment = (
        _next_id(Sale, "saleID"),
        _next_id(SaleLine, "saleLineID"),
        _next_id(SalePayment, "salePaymentID"),
    )
    sales: list[Sale] = []
    lines: list[SaleLine] = []
    payments: list[SalePayment] = []
    moves: dict[tuple[int, int], int] = defaultdict(int)
    moved_at: dict[tuple[int, int], datetime] = {}
    for record in records:
        when = now
        for key in ("completeTime", "createTime"):
            if record.get(key):
                when = datetime.fromisoformat(str(record[key]).replace("Z", "+00:00"))
                break
        sale = Sale(
            saleID=to_int(record["saleID"], "saleID") if record.get("saleID") else next_sale,
            accountID=account_id,
            shopID=to_int(record.get("shopID", 0), "shopID"),
            registerID=to_int(record.get("registerID", 0), "registerID"),
            employeeID=to_int(record.get("employeeID", 0), "employeeID"),
            customerID=to_int(record.get("customerID", 0), "customerID"),
            referenceNumber=str(record.get("referenceNumber", "")),
            timeStamp=when,
            createTime=when,
            updatetime=when,
        )
        next_sale = max(next_sale, sale.saleID + 1)
        shop = shops.get(sale.shopID)
        if shop is None:
            raise bad_request("Sale not created. A valid shopID is required.")
        if sale.employeeID not in employees:
            raise bad_request("Sale not created. A valid employeeID is required.")
        if sale.registerID and (sale.registerID, sale.shopID) not in registers:
            raise bad_request(f"Register {sale.registerID} does not belong to shop {sale.shopID}.")
        if sale.customerID and sale.customerID not in customers:
            raise not_found("Customer", sale.customerID)
        sale.tax1Rate = shop.taxRate
        sale.ticketNumber = f"22{sale.saleID:010d}"
        sale_lines = []
        for entry in as_list(record.get("SaleLines"), "SaleLine"):
            line = _line_build(sale, entry, shop=shop, now=when, catalog=catalog)
            line.saleLineID, next_line = next_line, next_line + 1
            sale_lines.append(line)
        paid = ZERO
        for entry in as_list(record.get("SalePayments"), "SalePayment"):
            type_id = to_int(entry.get("paymentTypeID", 0), "paymentTypeID")
            if type_id not in payment_types:
                raise not_found("PaymentType", type_id)
            amount = to_decimal(entry.get("amount", 0), "amount")
            paid += amount
            payments.append(
                SalePayment(
                    salePaymentID=next_payment,
                    accountID=account_id,
                    saleID=sale.saleID,
                    paymentTypeID=type_id,
                    amount=amount,
                    registerID=sale.registerID,
                    employeeID=sale.employeeID,
                    createTime=when,
                )
            )
            next_payment += 1
        totals_apply(sale, sale_lines, paid)
        if to_bool(record.get("completed", False)):
            if sale.total >= 0 and paid < sale.total:
                raise SandboxApiError(
                    422, f"Sale not completed. Payments ({paid}) do not cover the total ({sale.total})."
                )
            if not sale.registerID:
                raise bad_request("Sale not completed. A registerID is required to complete a sale.")
            sale.completed = True
            sale.completeTime = when
            _backdate(sale, record)
            for line in sale_lines:
                if line.itemID:
                    key = (line.itemID, line.shopID)
                    moves[key] -= line.unitQuantity
                    moved_at[key] = max(moved_at.get(key, when), when)
        sales.append(sale)
        lines.extend(sale_lines)
    Sale.objects.bulk_create(sales, batch_size=BATCH)
    SaleLine.objects.bulk_create(lines, batch_size=BATCH)
    SalePayment.objects.bulk_create(payments, batch_size=BATCH)
    for (item_id, shop_id), delta in moves.items():
        if delta:
            ItemShop.objects.filter(itemID=item_id, shopID__in=(shop_id, 0)).update(
                qoh=F("qoh") + delta, timeStamp=moved_at[(item_id, shop_id)]
            )
    return len(sales)
