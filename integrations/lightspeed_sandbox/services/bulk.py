"""Fast seeding of many plain sales (benchmarks import 10,000): `{"fast": true, "Sale": [...]}`.

Lines are priced and totalled by the same code as `POST Sale` (`_line_build`, `totals_apply`),
against a catalogue loaded once; rows go in with a few bulk INSERTs and the stock moves once per
item and shop. Only plain sales qualify: no layaway or work-order lines, no void or refund flags,
refund lines only against lines that already exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max

from integrations.lightspeed_sandbox.errors import SandboxApiError, bad_request, not_found
from integrations.lightspeed_sandbox.services.items import as_list, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.services.rows import rows_insert
from integrations.lightspeed_sandbox.services.sales import (
    ZERO,
    Catalog,
    _backdate,
    _line_build,
    cash_payment_types,
    overpayment_settle,
    totals_apply,
)
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
    rows = _SaleRows(account_id, records)
    for record in records:
        rows.add(record, now=now)
    rows.insert()
    return len(rows.sales)


def _item_ids(records: list[dict]) -> set[int]:
    return {
        to_int(entry.get("itemID", 0), "itemID")
        for record in records
        for entry in as_list(record.get("SaleLines"), "SaleLine")
    } - {0}


@dataclass
class _Known:
    """What the account's sales may refer to, loaded once."""

    shops: dict[int, Shop]
    registers: set[tuple[int, int]]  # (registerID, shopID)
    employees: set[int]
    customers: set[int]
    payment_types: set[int]
    cash_types: set[int]

    @classmethod
    def load(cls, account_id: int) -> _Known:
        return cls(
            shops={s.shopID: s for s in Shop.objects.filter(accountID=account_id)},
            registers=set(Register.objects.filter(accountID=account_id).values_list("registerID", "shopID")),
            employees=set(Employee.objects.filter(accountID=account_id).values_list("employeeID", flat=True)),
            customers=set(Customer.objects.filter(accountID=account_id).values_list("customerID", flat=True)),
            payment_types=set(
                PaymentType.objects.filter(accountID=account_id).values_list("paymentTypeID", flat=True)
            ),
            cash_types=cash_payment_types(account_id),
        )

    def shop_for(self, sale: Sale) -> Shop:
        """The sale's shop, once its shop, employee, register and customer are known to be valid."""
        shop = self.shops.get(sale.shopID)
        if shop is None:
            raise bad_request("Sale not created. A valid shopID is required.")
        if sale.employeeID not in self.employees:
            raise bad_request("Sale not created. A valid employeeID is required.")
        if sale.registerID and (sale.registerID, sale.shopID) not in self.registers:
            raise bad_request(f"Register {sale.registerID} does not belong to shop {sale.shopID}.")
        if sale.customerID and sale.customerID not in self.customers:
            raise not_found("Customer", sale.customerID)
        return shop


class _SaleRows:
    """The rows of many sales, numbered on from the highest ids, and the stock they move."""

    def __init__(self, account_id: int, records: list[dict]):
        self.account_id = account_id
        self.catalog = PreloadedCatalog(account_id, _item_ids(records))
        self.known = _Known.load(account_id)
        self.next_sale = _next_id(Sale, "saleID")
        self.next_line = _next_id(SaleLine, "saleLineID")
        self.next_payment = _next_id(SalePayment, "salePaymentID")
        self.sales: list[Sale] = []
        self.lines: list[SaleLine] = []
        self.payments: list[SalePayment] = []
        self.moves: dict[tuple[int, int], int] = defaultdict(int)
        self.moved_at: dict[tuple[int, int], datetime] = {}

    def add(self, record: dict, *, now: datetime) -> None:
        when = _sale_time(record, now)
        sale = self._sale(record, when)
        shop = self.known.shop_for(sale)
        sale.tax1Rate = shop.taxRate
        sale.ticketNumber = f"22{sale.saleID:010d}"
        sale_lines = self._lines(record, sale, shop, when)
        first_payment = len(self.payments)
        paid = self._payments(record, sale, when)
        totals_apply(sale, sale_lines, paid)
        overpayment_settle(sale, self.payments[first_payment:], cash_types=self.known.cash_types)
        if to_bool(record.get("completed", False)):
            _sale_complete(sale, record, paid=sale.calcPayments, when=when)
            self._stock_out(sale_lines, when)
        self.sales.append(sale)
        self.lines.extend(sale_lines)

    def insert(self) -> None:
        rows_insert(Sale, self.sales)
        rows_insert(SaleLine, self.lines)
        rows_insert(SalePayment, self.payments)
        self._stock_update()

    def _stock_update(self) -> None:
        """Each shop's row and the item's account-wide row (shop 0) move by the units sold, in one
        statement run for every row (tens of thousands of rows after a backfill)."""
        totals: dict[int, int] = defaultdict(int)
        latest: dict[int, datetime] = {}
        for (item_id, shop_id), delta in self.moves.items():
            if delta:
                totals[item_id] += delta
                when = self.moved_at[(item_id, shop_id)]
                latest[item_id] = max(latest.get(item_id, when), when)
        adapt = connection.ops.adapt_datetimefield_value
        rows = [(delta, adapt(self.moved_at[key]), *key) for key, delta in self.moves.items() if delta] + [
            (delta, adapt(latest[item_id]), item_id, 0) for item_id, delta in totals.items()
        ]
        if not rows:
            return
        table = connection.ops.quote_name(ItemShop._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE {table} SET "qoh" = "qoh" + %s, "timeStamp" = %s '  # noqa: S608 - our own table
                'WHERE "itemID" = %s AND "shopID" = %s',
                rows,
            )

    def _sale(self, record: dict, when: datetime) -> Sale:
        sale = Sale(
            saleID=to_int(record["saleID"], "saleID") if record.get("saleID") else self.next_sale,
            accountID=self.account_id,
            shopID=to_int(record.get("shopID", 0), "shopID"),
            registerID=to_int(record.get("registerID", 0), "registerID"),
            employeeID=to_int(record.get("employeeID", 0), "employeeID"),
            customerID=to_int(record.get("customerID", 0), "customerID"),
            referenceNumber=str(record.get("referenceNumber", "")),
            timeStamp=when,
            createTime=when,
            updatetime=when,
        )
        self.next_sale = max(self.next_sale, sale.saleID + 1)
        return sale

    def _lines(self, record: dict, sale: Sale, shop: Shop, when: datetime) -> list[SaleLine]:
        sale_lines = []
        for entry in as_list(record.get("SaleLines"), "SaleLine"):
            line = _line_build(sale, entry, shop=shop, now=when, catalog=self.catalog)
            line.saleLineID, self.next_line = self.next_line, self.next_line + 1
            sale_lines.append(line)
        return sale_lines

    def _payments(self, record: dict, sale: Sale, when: datetime) -> Decimal:
        """Adds the sale's payments; returns what they come to."""
        paid = ZERO
        for entry in as_list(record.get("SalePayments"), "SalePayment"):
            type_id = to_int(entry.get("paymentTypeID", 0), "paymentTypeID")
            if type_id not in self.known.payment_types:
                raise not_found("PaymentType", type_id)
            amount = to_decimal(entry.get("amount", 0), "amount")
            paid += amount
            self.payments.append(
                SalePayment(
                    salePaymentID=self.next_payment,
                    accountID=self.account_id,
                    saleID=sale.saleID,
                    paymentTypeID=type_id,
                    amount=amount,
                    registerID=sale.registerID,
                    employeeID=sale.employeeID,
                    createTime=when,
                )
            )
            self.next_payment += 1
        return paid

    def _stock_out(self, sale_lines: list[SaleLine], when: datetime) -> None:
        for line in sale_lines:
            if line.itemID:
                key = (line.itemID, line.shopID)
                self.moves[key] -= line.unitQuantity
                self.moved_at[key] = max(self.moved_at.get(key, when), when)


def _sale_time(record: dict, now: datetime) -> datetime:
    for key in ("completeTime", "createTime"):
        if record.get(key):
            return datetime.fromisoformat(str(record[key]).replace("Z", "+00:00"))
    return now


def _sale_complete(sale: Sale, record: dict, *, paid: Decimal, when: datetime) -> None:
    if sale.total >= 0 and paid < sale.total:
        raise SandboxApiError(
            422, f"Sale not completed. Payments ({paid}) do not cover the total ({sale.total})."
        )
    if not sale.registerID:
        raise bad_request("Sale not completed. A registerID is required to complete a sale.")
    sale.completed = True
    sale.completeTime = when
    _backdate(sale, record)
