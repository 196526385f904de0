"""Builders for the order download's unit tests: Lightspeed sale records as the API sends them
(every scalar a string, a collection of one as an object) and the mocked conversation."""

from __future__ import annotations

import itertools
from decimal import Decimal

from responses import matchers

from integrations.commerce.models import Product, Warehouse
from integrations.lightspeed.models import LightspeedShop, LightspeedShopWarehouse
from integrations.lightspeed.tests.conftest import resource_url

SALE_URL = resource_url("Sale")
_line_ids = itertools.count(1000)


def item(
    item_id: int, *, sku: str = "", upc: str = "", ean: str = "", msku: str = "", archived=False
) -> dict:
    return {
        "itemID": str(item_id),
        "systemSku": f"21{item_id:010d}",
        "description": f"Item {item_id}",
        "customSku": sku,
        "upc": upc,
        "ean": ean,
        "manufacturerSku": msku,
        "archived": "true" if archived else "false",
    }


def line(
    item_record: dict | None,
    quantity: int = 1,
    *,
    price: str = "10.00",
    total: str | None = None,
    parent: int = 0,
    line_id: int | None = None,
    line_type: str = "",
    note: str = "",
    **flags,
) -> dict:
    line_id = line_id or next(_line_ids)
    subtotal = Decimal(price) * quantity
    record = {
        "saleLineID": str(line_id),
        "itemID": item_record["itemID"] if item_record else "0",
        "unitQuantity": str(quantity),
        "unitPrice": price,
        "calcLineDiscount": "0",
        "calcSubtotal": str(subtotal),
        "calcTax1": str(subtotal * Decimal("0.08")),
        "calcTax2": "0",
        "calcTotal": total or str(subtotal * Decimal("1.08")),
        "parentSaleLineID": str(parent),
        "isLayaway": "true" if flags.get("layaway") else "false",
        "isWorkorder": "false",
        "isSpecialOrder": "false",
        "shopID": "1",
    }
    if line_type:
        record["lineType"] = line_type
    if note:
        record["Note"] = {"noteID": "1", "note": note, "isPublic": "false"}
    if item_record:
        record["Item"] = item_record
    return record


def sale(
    sale_id: int,
    lines: list[dict],
    *,
    time_stamp: str = "2026-11-20T10:00:00+00:00",
    shop_id: int = 1,
    completed: bool = True,
    voided: bool = False,
    customer: dict | None = None,
    payments: list[dict] | None = None,
    total: str | None = None,
    single_line_object: bool = False,
    update_time: str | None = None,
) -> dict:
    line_total = sum((Decimal(ln["calcTotal"]) for ln in lines), Decimal("0"))
    subtotal = sum((Decimal(ln["calcSubtotal"]) for ln in lines), Decimal("0"))
    tax = sum((Decimal(ln["calcTax1"]) for ln in lines), Decimal("0"))
    record = {
        "saleID": str(sale_id),
        "timeStamp": time_stamp,
        "createTime": time_stamp,
        "completeTime": time_stamp if completed else "",
        "updatetime": update_time or time_stamp,
        "completed": "true" if completed else "false",
        "voided": "true" if voided else "false",
        "archived": "false",
        "ticketNumber": f"22{sale_id:010d}",
        "calcSubtotal": str(subtotal),
        "calcDiscount": "0",
        "calcTax1": str(tax),
        "calcTax2": "0",
        "calcTotal": total or str(line_total),
        "total": total or str(line_total.quantize(Decimal("0.01"))),
        "shopID": str(shop_id),
        "registerID": "1",
        "employeeID": "1",
        "customerID": customer["customerID"] if customer else "0",
    }
    if lines:
        record["SaleLines"] = {"SaleLine": lines[0] if single_line_object and len(lines) == 1 else lines}
    if payments is None:
        payments = [{"salePaymentID": str(sale_id * 10), "amount": record["total"], "name": "Cash"}]
    if payments:
        record["SalePayments"] = {
            "SalePayment": [
                {
                    "salePaymentID": p["salePaymentID"],
                    "amount": p["amount"],
                    "paymentTypeID": "1",
                    "createTime": time_stamp,
                    "PaymentType": {"paymentTypeID": "1", "name": p["name"]},
                }
                for p in payments
            ]
        }
    if customer:
        record["Customer"] = customer
    return record


def customer(customer_id: int = 7, *, first="Ada", last="Lovelace", email="ada@example.com") -> dict:
    return {
        "customerID": str(customer_id),
        "firstName": first,
        "lastName": last,
        "company": "",
        "Contact": {
            "Addresses": {
                "ContactAddress": {
                    "address1": "12 Elm St",
                    "address2": "",
                    "city": "Burlington",
                    "state": "VT",
                    "zip": "05401",
                    "country": "United States",
                }
            },
            "Emails": {"ContactEmail": {"address": email, "useType": "Primary"}},
            "Phones": {"ContactPhone": {"number": "802-555-0199", "useType": "Home"}},
        },
    }


def page(records: list[dict], next_url: str = "") -> dict:
    body: dict = {"@attributes": {"next": next_url, "previous": ""}}
    if len(records) == 1:
        body["Sale"] = records[0]
    elif records:
        body["Sale"] = records
    return body


def mock_sales(mock, new: list[dict], changed: list[dict] | None = None, fetched: list[dict] | None = None):
    """One run's conversation: sales by timeStamp, then changes by updatetime (and any fetch)."""
    mock.get(
        SALE_URL,
        json=page(new),
        match=[matchers.query_param_matcher({"sort": "timeStamp"}, strict_match=False)],
    )
    headers = [
        {k: v for k, v in s.items() if k not in ("SaleLines", "SalePayments", "Customer")}
        for s in (changed if changed is not None else new)
    ]
    mock.get(
        SALE_URL,
        json=page(headers),
        match=[matchers.query_param_matcher({"sort": "updatetime"}, strict_match=False)],
    )
    if fetched:
        mock.get(
            SALE_URL,
            json=page(fetched),
            match=[matchers.query_param_matcher({"sort": "saleID"}, strict_match=False)],
        )


def shop_with_warehouses(
    company, *warehouses: Warehouse, shop_id: int = 1, name: str = "Downtown"
) -> LightspeedShop:
    shop = LightspeedShop.objects.create(
        company=company, shop_id=shop_id, name=name, time_zone="America/New_York"
    )
    for position, warehouse in enumerate(warehouses):
        LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouse, position=position)
    return shop


def product(company, sku: str, **codes) -> Product:
    return Product.objects.create(company=company, sku=sku, title=f"Product {sku}", **codes)
