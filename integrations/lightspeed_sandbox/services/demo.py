"""The `demo` dataset: Demo Outfitters' Lightspeed account, built from the shared demo catalogue.

Account 100001 with the catalogue's three shops and their registers, its employees (the owner
logs in as demo/demo), its items with per-shop stock, its customers, the `lightsync-demo` API
client, the price levels (Default, MSRP, Online and a custom Wholesale, 4), the catalogue's item
matrices with their items (`demo_lightspeed_matrices()`), two inventory counts, and two weeks of
completed sales rung up through the same code as `POST Sale`:
ordinary sales, a full refund, a partial refund, an exchange, a voided sale, an open layaway,
a misc line (itemID 0) and bag-fee lines. Everything is deterministic except that the history
ends at the moment of seeding, so the demo always shows recent sales.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.services import datasets
from integrations.lightspeed_sandbox.services.catalogue import matrices_bulk_create
from integrations.lightspeed_sandbox.services.price_levels import price_level_put
from integrations.lightspeed_sandbox.services.refunds import refund_in_kind, sale_refund, sale_void
from integrations.lightspeed_sandbox.services.sales import sale_create, sale_update
from integrations.lightspeed_sandbox.store import models as m

HISTORY_DAYS = 14
DEMO_WHOLESALE_LEVEL = 4
HISTORY_SALES = 72
SHOP_ADDRESSES = {
    1: ("101 Main St", "Burlington", "VT", "05401"),
    2: ("2200 Hill Rd", "Burlington", "VT", "05405"),
    3: ("9 Factory Ln", "Williston", "VT", "05495"),
}


def payment_type_id(name: str) -> int:
    """The demo account's payment type of that name (1 Cash and 3 Credit Card on a fresh sandbox;
    other ids when the demo is seeded beside other accounts)."""
    return (
        m.PaymentType.objects.filter(accountID=catalogue.DEMO_ACCOUNT_ID, name=name)
        .values_list("paymentTypeID", flat=True)
        .get()
    )


def _seed_structure(now: datetime) -> None:
    account_id = catalogue.DEMO_ACCOUNT_ID
    datasets._account_base(account_id=account_id, name=catalogue.DEMO_ACCOUNT_NAME, now=now)
    # A custom price level beside the built-in three, as merchants who sell to trade have.
    price_level_put(account_id, {"priceLevelID": DEMO_WHOLESALE_LEVEL, "name": "Wholesale"})
    for shop in catalogue.DEMO_SHOPS:
        address1, city, state, zip_code = SHOP_ADDRESSES.get(shop.shop_id, ("", "", "", ""))
        m.Shop.objects.create(
            shopID=shop.shop_id,
            accountID=account_id,
            name=shop.name,
            timeZone=shop.time_zone,
            taxRate=datasets.SHOP_TAX_RATES.get(shop.time_zone, Decimal("0.08")),
            address1=address1,
            city=city,
            state=state,
            zip=zip_code,
            country="United States",
            phone=f"802-555-01{shop.shop_id:02d}",
            timeStamp=now,
        )
        for name in shop.registers:
            m.Register.objects.create(accountID=account_id, shopID=shop.shop_id, name=name, timeStamp=now)
    for employee in catalogue.DEMO_EMPLOYEES:
        owner = employee.employee_id == 1
        m.Employee.objects.create(
            employeeID=employee.employee_id,
            accountID=account_id,
            firstName=employee.first_name,
            lastName=employee.last_name,
            limitToShopID=employee.limit_to_shop_id,
            username=datasets.DEMO_LOGIN[0] if owner else "",
            password=datasets._password_hash(datasets.DEMO_LOGIN[1]) if owner else "",
            email=f"{employee.first_name.lower()}@demo-outfitters.example",
            timeStamp=now,
        )


def _demo_prices(price: Decimal) -> dict:
    """Default and Online at the catalogue's price, MSRP 0 (Wholesale stays 0 as well)."""
    amounts = ((1, str(price)), (2, "0"), (3, str(price)))
    return {"ItemPrice": [{"useTypeID": level, "amount": amount} for level, amount in amounts]}


def _seed_matrices(now: datetime) -> None:
    """The demo account's item matrices (its matrix items follow with the other items)."""
    records = [
        {
            "itemMatrixID": matrix.matrix_id,
            "description": matrix.description,
            "itemAttributeSetID": matrix.item_attribute_set_id,
            "defaultCost": str(matrix.default_cost),
            "Prices": _demo_prices(matrix.default_price),
        }
        for matrix in catalogue.demo_lightspeed_matrices()
    ]
    matrices_bulk_create(account_id=catalogue.DEMO_ACCOUNT_ID, records=records, now=now)
    # Two stock counts at Downtown, one long since archived (InventoryCount is read-only here).
    for name, archived in (("Spring count 2026", True), ("Year-end count", False)):
        m.InventoryCount.objects.create(
            accountID=catalogue.DEMO_ACCOUNT_ID, name=name, shopID=1, archived=archived, timeStamp=now
        )


def _seed_catalogue(now: datetime) -> None:
    _seed_matrices(now)
    records = [
        {
            "itemID": item.item_id,
            "description": item.description,
            "customSku": item.custom_sku,
            "upc": item.upc,
            "ean": item.ean,
            "manufacturerSku": item.manufacturer_sku,
            "defaultCost": str(item.default_cost),
            "Prices": _demo_prices(item.default_price),
            "ItemShops": {"ItemShop": [{"shopID": shop_id, "qoh": qoh} for shop_id, qoh in item.qoh]},
            "itemMatrixID": item.matrix_id,
            "ItemAttributes": dict(
                zip(("attribute1", "attribute2", "attribute3"), item.attribute_values, strict=True)
            ),
        }
        for item in catalogue.demo_lightspeed_items()
    ]
    datasets.items_bulk_create(account_id=catalogue.DEMO_ACCOUNT_ID, records=records, now=now)
    for customer in catalogue.demo_customers():
        contact = {
            "Addresses": [
                {
                    "address1": customer.address1,
                    "address2": "",
                    "city": customer.city,
                    "state": customer.state,
                    "zip": customer.zip,
                    "country": customer.country,
                }
            ]
            if customer.address1
            else [],
            "Emails": [{"address": customer.email, "useType": "Primary"}] if customer.email else [],
            "Phones": [{"number": customer.phone, "useType": "Home"}] if customer.phone else [],
        }
        datasets._customer_create(
            catalogue.DEMO_ACCOUNT_ID,
            {
                "customerID": customer.customer_id,
                "firstName": customer.first_name,
                "lastName": customer.last_name,
                "company": customer.company,
                "Contact": contact,
            },
            now,
        )


def sale_body(rng: random.Random, *, item_ids: list[int], shop_id: int | None = None) -> dict:
    """A realistic open sale at a random shop, register and employee (shared with the simulator)."""
    shops = catalogue.DEMO_SHOPS
    shop = next((s for s in shops if s.shop_id == shop_id), None) or rng.choice(shops)
    registers = list(
        m.Register.objects.filter(accountID=catalogue.DEMO_ACCOUNT_ID, shopID=shop.shop_id).values_list(
            "registerID", flat=True
        )
    )
    employees = [e.employee_id for e in catalogue.DEMO_EMPLOYEES if e.limit_to_shop_id in (0, shop.shop_id)]
    customer = rng.choice([0, 0, 0, *[c.customer_id for c in catalogue.demo_customers()]])
    # A shop sells what it has: LightSync's warehouse behind the shop holds the same stock, and a
    # sale of more would show up there as a shortfall the demo never meant to have.
    stock = in_stock(shop.shop_id, item_ids)
    candidates = [item_id for item_id in item_ids if item_id in stock]
    lines = [
        {"itemID": item_id, "unitQuantity": min(rng.choice((1, 1, 1, 2, 3)), stock[item_id])}
        for item_id in rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2, 2, 3, 4))))
    ]
    return {
        "shopID": shop.shop_id,
        "registerID": rng.choice(registers),
        "employeeID": rng.choice(employees),
        "customerID": customer,
        "SaleLines": {"SaleLine": lines},
    }


def ring_up(body: dict, *, rng: random.Random, now: datetime) -> m.Sale:
    """Ring up and pay a sale as a POS does: `POST Sale`, then `PUT Sale` with the payment."""
    sale = sale_create(account_id=catalogue.DEMO_ACCOUNT_ID, data=body, now=now)
    kind = rng.choice(("Cash", "Credit Card", "Credit Card"))
    payment = {"paymentTypeID": payment_type_id(kind), "amount": str(sale.total)}
    return sale_update(
        account_id=catalogue.DEMO_ACCOUNT_ID,
        sale_id=sale.saleID,
        data={"SalePayments": {"SalePayment": payment}, "completed": True},
        now=now,
    )


def in_stock(shop_id: int, item_ids: list[int]) -> dict[int, int]:
    """Item → quantity on hand at the shop now, for those of `item_ids` it has."""
    rows = m.ItemShop.objects.filter(
        accountID=catalogue.DEMO_ACCOUNT_ID, shopID=shop_id, itemID__in=item_ids, qoh__gt=0
    )
    return dict(rows.values_list("itemID", "qoh"))


def sellable_item_ids() -> list[int]:
    """Items a shop would ring up: with stock, a SKU and not a deliberate conflict."""
    return [i.item_id for i in catalogue.demo_lightspeed_items() if i.custom_sku and any(q for _, q in i.qoh)]


def _seed_history(now: datetime) -> None:
    rng = random.Random(catalogue.SEED + 3)
    item_ids = sellable_item_ids()
    start = now - timedelta(days=HISTORY_DAYS)
    step = timedelta(days=HISTORY_DAYS) / (HISTORY_SALES + 8)
    sold = _ordinary_sales(rng, item_ids=item_ids, start=start, step=step)
    # The special cases come after the ordinary sales, in this order: the seeded draws depend on it.
    specials = start + step * HISTORY_SALES
    # A full refund of an earlier sale.
    sale_refund(
        account_id=catalogue.DEMO_ACCOUNT_ID,
        sale_id=sold[10].saleID,
        data=refund_in_kind(sold[10]),
        now=specials + timedelta(minutes=5),
    )
    _partial_refund(sold[12], now=specials + timedelta(minutes=20))
    _exchange(sold[15], rng=rng, item_ids=item_ids, now=specials + timedelta(minutes=40))
    # A voided sale: voided at the POS an hour later.
    sale_void(
        account_id=catalogue.DEMO_ACCOUNT_ID,
        sale_id=sold[20].saleID,
        reason="Rung up twice",
        now=sold[20].completeTime + timedelta(hours=1),
    )
    _open_layaway(rng, item_ids=item_ids, now=specials + timedelta(hours=2))


def _ordinary_sales(
    rng: random.Random, *, item_ids: list[int], start: datetime, step: timedelta
) -> list[m.Sale]:
    """`HISTORY_SALES` completed sales, `step` apart from `start`, each up to ten minutes late."""
    sold: list[m.Sale] = []
    for index in range(HISTORY_SALES):
        when = start + step * index + timedelta(seconds=rng.randint(0, 600))
        body = sale_body(rng, item_ids=item_ids)
        body["SaleLines"]["SaleLine"].extend(_lines_without_item(index))
        sold.append(ring_up(body, rng=rng, now=when))
    return sold


def _lines_without_item(index: int) -> list[dict]:
    """A bag fee on every ninth sale, and a misc line on one."""
    lines: list[dict] = []
    if index % 9 == 4:
        # A shopping bag: a fee line with no item behind it.
        lines.append(
            {
                "itemID": 0,
                "unitQuantity": 1,
                "unitPrice": "0.10",
                "tax": False,
                "lineType": "item_fee",
                "Note": {"note": "Bag fee"},
            }
        )
    if index == 7:
        lines.append(
            {"itemID": 0, "unitQuantity": 1, "unitPrice": "15.00", "Note": {"note": "Hemming (misc)"}}
        )
    return lines


def _same_till(sale: m.Sale) -> dict:
    """A new sale's shop, register, employee and customer, as `sale` had them."""
    return {
        "shopID": sale.shopID,
        "registerID": sale.registerID,
        "employeeID": sale.employeeID,
        "customerID": sale.customerID,
    }


def _unit_back(sale: m.Sale) -> dict:
    """A line bringing back one unit of the sale's first line, at the price it was sold for."""
    line = m.SaleLine.objects.filter(saleID=sale.saleID).order_by("saleLineID").first()
    return {
        "itemID": line.itemID,
        "unitQuantity": -1,
        "unitPrice": str(line.unitPrice),
        "parentSaleLineID": line.saleLineID,
    }


def _partial_refund(sale: m.Sale, *, now: datetime) -> None:
    """One unit of the sale back as a normal sale of its own, paid out in cash."""
    body = {**_same_till(sale), "SaleLines": {"SaleLine": [_unit_back(sale)]}}
    refund = sale_create(account_id=catalogue.DEMO_ACCOUNT_ID, data=body, now=now)
    sale_update(
        account_id=catalogue.DEMO_ACCOUNT_ID,
        sale_id=refund.saleID,
        data={
            "SalePayments": {
                "SalePayment": {"paymentTypeID": payment_type_id("Cash"), "amount": str(refund.total)}
            },
            "completed": True,
        },
        now=now,
    )


def _exchange(sale: m.Sale, *, rng: random.Random, item_ids: list[int], now: datetime) -> None:
    """One unit of the sale back and a different item out, in one sale."""
    returned = _unit_back(sale)
    taken = {"itemID": rng.choice(sorted(in_stock(sale.shopID, item_ids))), "unitQuantity": 1}
    ring_up({**_same_till(sale), "SaleLines": {"SaleLine": [returned, taken]}}, rng=rng, now=now)


def _open_layaway(rng: random.Random, *, item_ids: list[int], now: datetime) -> None:
    """The units are reserved and a deposit paid; the sale is not completed."""
    layaway = sale_body(rng, item_ids=item_ids, shop_id=1)
    layaway["customerID"] = 2
    for entry in layaway["SaleLines"]["SaleLine"]:
        entry["isLayaway"] = True
    layaway["SalePayments"] = {"SalePayment": {"paymentTypeID": payment_type_id("Cash"), "amount": "20.00"}}
    sale_create(account_id=catalogue.DEMO_ACCOUNT_ID, data=layaway, now=now)


@transaction.atomic
def seed_demo() -> dict:
    now = clock.now()
    _seed_structure(now)
    _seed_catalogue(now)
    _seed_history(now)
    return {"accountID": catalogue.DEMO_ACCOUNT_ID, "sales": m.Sale.objects.count()}
