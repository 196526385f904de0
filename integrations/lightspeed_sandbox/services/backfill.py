"""Bulk history for one account: tens of thousands of completed sales, or of items, in seconds.

`POST /_sandbox/accounts/{id}/sales {"count": 50000, "days": 30}` and `…/items {"count": 20000}`
give one merchant a large backfill or a large first upload beside a fleet of small ones. Sales are
priced and totalled by the same code as `POST Sale` (through `services.bulk`), paid exactly, spread
evenly over the last `days` days (ids in time order), and move stock as a register's would; items
get a price per level and stock in every shop, as `items_bulk_create` gives seeded items.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import bad_request, not_found
from integrations.lightspeed_sandbox.services.bulk import _sale_complete, _sale_time, _SaleRows
from integrations.lightspeed_sandbox.services.catalogue import (
    CatalogueSpec,
    catalogue_records,
    matrices_bulk_create,
)
from integrations.lightspeed_sandbox.services.datasets import items_bulk_create
from integrations.lightspeed_sandbox.services.sales import ZERO, totals_apply
from integrations.lightspeed_sandbox.store import models as m

MAX_SALES = 500_000
MAX_ITEMS = 200_000


class _PaidSaleRows(_SaleRows):
    """Plain completed sales paid to the cent by one payment (the total is known once priced)."""

    def __init__(self, account_id: int, records: list[dict], payment_type: int):
        super().__init__(account_id, records)
        self.payment_type = payment_type

    def add(self, record: dict, *, now) -> None:  # noqa: ANN001 - as the parent's
        when = _sale_time(record, now)
        sale = self._sale(record, when)
        shop = self.known.shop_for(sale)
        sale.tax1Rate = shop.taxRate
        sale.ticketNumber = f"22{sale.saleID:010d}"
        sale_lines = self._lines(record, sale, shop, when)
        totals_apply(sale, sale_lines, ZERO)
        paid = max(sale.total, ZERO)
        self.payments.append(
            m.SalePayment(
                salePaymentID=self.next_payment,
                accountID=self.account_id,
                saleID=sale.saleID,
                paymentTypeID=self.payment_type,
                amount=paid,
                registerID=sale.registerID,
                employeeID=sale.employeeID,
                createTime=when,
            )
        )
        self.next_payment += 1
        totals_apply(sale, sale_lines, paid)
        _sale_complete(sale, record, paid=paid, when=when)
        self._stock_out(sale_lines, when)
        self.sales.append(sale)
        self.lines.extend(sale_lines)


def _count(data: dict, name: str, default: int | None, high: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise bad_request(f"{name} must be a whole number from 1 to {high}.")
    return value


def _account(account_id: int) -> None:
    if not m.Account.objects.filter(accountID=account_id).exists():
        raise not_found("Account", account_id)


@transaction.atomic
def sales_backfill(*, account_id: int, data: dict) -> dict:
    """`count` completed sales of 1–3 lines of the account's items, spread over the last `days` days."""
    count = _count(data, "count", None, MAX_SALES)
    days = _count(data, "days", 30, 3650)
    _account(account_id)
    rng = random.Random(int(data.get("seed", account_id)))
    item_ids = list(
        m.Item.objects.filter(accountID=account_id, archived=False)
        .order_by("itemID")
        .values_list("itemID", flat=True)
    )
    shops = list(
        m.Shop.objects.filter(accountID=account_id, archived=False)
        .order_by("shopID")
        .values_list("shopID", flat=True)
    )
    registers: dict[int, list[int]] = {}
    for register_id, shop_id in m.Register.objects.filter(accountID=account_id, archived=False).values_list(
        "registerID", "shopID"
    ):
        registers.setdefault(shop_id, []).append(register_id)
    staff: dict[int, list[int]] = {}
    for employee_id, shop_id in m.Employee.objects.filter(
        accountID=account_id, archived=False, lockOut=False
    ).values_list("employeeID", "limitToShopID"):
        for shop in shops if shop_id == 0 else [shop_id]:
            staff.setdefault(shop, []).append(employee_id)
    payment_type = (
        m.PaymentType.objects.filter(accountID=account_id)
        .order_by("paymentTypeID")
        .values_list("paymentTypeID", flat=True)
        .first()
    )
    shops = [s for s in shops if registers.get(s) and staff.get(s)]
    if not item_ids or not shops or payment_type is None:
        raise bad_request(
            "The account needs items, a shop with a register and an employee, and a payment type."
        )
    now = clock.now().replace(microsecond=0)
    span = timedelta(days=days).total_seconds()
    records = []
    for n in range(count):
        shop = rng.choice(shops)
        when = now - timedelta(seconds=span * (1 - (n + 1) / count))
        lines = [
            {"itemID": item_id, "unitQuantity": rng.choice((1, 1, 1, 2))}
            for item_id in rng.sample(item_ids, k=min(len(item_ids), rng.choice((1, 1, 2, 3))))
        ]
        records.append(
            {
                "shopID": shop,
                "registerID": rng.choice(registers[shop]),
                "employeeID": rng.choice(staff[shop]),
                "completed": True,
                "completeTime": when.isoformat(),
                "SaleLines": {"SaleLine": lines},
            }
        )
    rows = _PaidSaleRows(account_id, records, payment_type)
    for record in records:
        rows.add(record, now=now)
    rows.insert()
    return {
        "accountID": account_id,
        "created": len(rows.sales),
        "lines": len(rows.lines),
        "firstSaleID": rows.sales[0].saleID,
        "lastSaleID": rows.sales[-1].saleID,
        "from": rows.sales[0].completeTime.isoformat(),
        "to": rows.sales[-1].completeTime.isoformat(),
    }


@transaction.atomic
def items_add(*, account_id: int, data: dict) -> dict:
    """`count` new items with a price per level and `qoh` (default 10) in every shop; with
    `matrix_share`, that share of them in new matrices of `matrix_sizes` ([low, high]) items."""
    spec = CatalogueSpec.from_json(data, high=MAX_ITEMS)
    _account(account_id)
    shops = list(m.Shop.objects.filter(accountID=account_id).values_list("shopID", flat=True))
    first_item = (m.Item.objects.order_by("-itemID").values_list("itemID", flat=True).first() or 0) + 1
    first_matrix = (
        m.ItemMatrix.objects.order_by("-itemMatrixID").values_list("itemMatrixID", flat=True).first() or 0
    ) + 1
    matrices, records = catalogue_records(
        account_id=account_id, spec=spec, first_item=first_item, first_matrix=first_matrix, shop_ids=shops
    )
    now = clock.now()
    matrices_bulk_create(account_id=account_id, records=matrices, now=now)
    created = items_bulk_create(account_id=account_id, records=records, now=now)
    return {
        "accountID": account_id,
        "created": created,
        "lastItemID": first_item + created - 1,
        "matrices": len(matrices),
        "matrixItems": sum(1 for record in records if record.get("itemMatrixID")),
    }
