"""A Lightspeed sale, read once into plain values: no database, no HTTP.

The client has already made every collection a list (`normalise.py`); here strings become
Decimals, ints, booleans and UTC datetimes, and anything that cannot be read raises
`SaleParseError` with the field's name, so one bad sale is recorded and never stops the others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api.normalise import to_bool, to_datetime, to_decimal, to_int
from integrations.lightspeed.catalog.services.matching import ItemCodes

ZERO = Decimal("0")
WALK_IN = "Walk-in customer"
# Lightspeed stores the country as typed; commerce keeps ISO 3166-1 alpha-2 codes.
COUNTRIES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "great britain": "GB",
    "australia": "AU",
    "new zealand": "NZ",
    "ireland": "IE",
    "france": "FR",
    "germany": "DE",
    "belgium": "BE",
    "netherlands": "NL",
    "mexico": "MX",
}


class SaleParseError(ValueError):
    pass


@dataclass(frozen=True)
class SaleLineData:
    sale_line_id: int
    item_id: int
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    parent_sale_line_id: int
    line_type: str
    note: str
    is_reservation: bool  # layaway, work order or special order
    item: ItemCodes | None

    @property
    def is_stock(self) -> bool:
        return self.item_id != 0 and self.line_type != "item_fee"

    @property
    def is_return(self) -> bool:
        return self.quantity < 0

    @property
    def title(self) -> str:
        if self.item is not None and self.item.description:
            return self.item.description
        if self.line_type == "item_fee":
            return self.note or "Fee"
        return self.note or ("Miscellaneous" if self.item_id == 0 else f"Lightspeed item {self.item_id}")


@dataclass(frozen=True)
class PaymentData:
    payment_type: str
    amount: Decimal
    reference: str
    paid_at: datetime | None


@dataclass(frozen=True)
class CustomerData:
    name: str = WALK_IN
    company: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class SaleData:
    sale_id: int
    completed: bool
    voided: bool
    archived: bool
    shop_id: int
    register_id: int
    employee_id: int
    customer_id: int
    ticket_number: str
    time_stamp: datetime | None
    update_time: datetime | None
    complete_time: datetime | None
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    lines: list[SaleLineData] = field(default_factory=list)
    payments: list[PaymentData] = field(default_factory=list)
    customer: CustomerData | None = None  # None: a customer is set but was not loaded

    @property
    def order_date(self) -> datetime | None:
        return self.complete_time or self.time_stamp

    def digest(self) -> str:
        """What the import depends on: a sale whose digest is unchanged needs nothing more."""
        shape = [
            self.completed,
            self.voided,
            str(self.total),
            [(ln.sale_line_id, ln.item_id, ln.quantity, str(ln.total)) for ln in self.lines],
        ]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()


def _text(record: dict, name: str, limit: int = 255) -> str:
    value = record.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:limit]


def _read(record: dict, name: str, reader, **kwargs) -> Any:
    try:
        return reader(record.get(name), **kwargs)
    except (ValueError, TypeError) as exc:
        raise SaleParseError(f"{name}: {exc}") from None


def _money(record: dict, *names: str) -> Decimal:
    return sum((_read(record, n, to_decimal, default=ZERO) for n in names), ZERO)


def item_codes_parse(item: dict) -> ItemCodes:
    return ItemCodes(
        item_id=_read(item, "itemID", to_int, default=0),
        description=_text(item, "description"),
        custom_sku=_text(item, "customSku", 100),
        system_sku=_text(item, "systemSku", 20),
        upc=_text(item, "upc", 20),
        ean=_text(item, "ean", 20),
        manufacturer_sku=_text(item, "manufacturerSku", 100),
        archived=_read(item, "archived", to_bool),
    )


def _line_parse(line: dict, items: dict[int, ItemCodes]) -> SaleLineData:
    item_id = _read(line, "itemID", to_int, default=0)
    item_record = line.get("Item")
    item = item_codes_parse(item_record) if isinstance(item_record, dict) else items.get(item_id)
    note = line.get("Note")
    quantity = _read(line, "unitQuantity", to_int, default=0)
    return SaleLineData(
        sale_line_id=_read(line, "saleLineID", to_int, default=0),
        item_id=item_id,
        quantity=quantity,
        unit_price=_money(line, "unitPrice"),
        discount=_money(line, "calcLineDiscount"),
        tax=_money(line, "calcTax1", "calcTax2"),
        total=_money(line, "calcTotal"),
        parent_sale_line_id=_read(line, "parentSaleLineID", to_int, default=0),
        line_type=_text(line, "lineType", 50),
        note=_text(note, "note") if isinstance(note, dict) else "",
        is_reservation=any(
            _read(line, name, to_bool)
            for name in ("isLayaway", "isWorkorder", "isWorkOrder", "isSpecialOrder")
        ),
        item=item,
    )


def _first(records: list, name: str) -> str:
    for record in records or []:
        if isinstance(record, dict) and _text(record, name):
            return _text(record, name)
    return ""


def country_code(value: str) -> str:
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return COUNTRIES.get(text.lower(), "")


def customer_parse(customer: dict) -> CustomerData:
    contact = customer.get("Contact") if isinstance(customer.get("Contact"), dict) else {}
    addresses = [a for a in contact.get("Addresses") or [] if isinstance(a, dict)]
    address = addresses[0] if addresses else {}
    name = " ".join(p for p in (_text(customer, "firstName"), _text(customer, "lastName")) if p)
    company = _text(customer, "company")
    return CustomerData(
        name=(name or company or WALK_IN)[:255],
        company=company,
        email=_first(contact.get("Emails"), "address")[:254],
        phone=_first(contact.get("Phones"), "number")[:50],
        address1=_text(address, "address1"),
        address2=_text(address, "address2"),
        city=_text(address, "city", 100),
        state=_text(address, "state", 100),
        postal_code=_text(address, "zip", 20),
        country=country_code(_text(address, "country")),
    )


def _payment_parse(payment: dict) -> PaymentData:
    kind = payment.get("PaymentType") if isinstance(payment.get("PaymentType"), dict) else {}
    type_name = _text(kind, "name", 100) or f"Payment type {_text(payment, 'paymentTypeID')}"
    return PaymentData(
        payment_type=type_name,
        amount=_money(payment, "amount"),
        reference=_text(payment, "salePaymentID", 100),
        paid_at=_read(payment, "createTime", to_datetime),
    )


def sale_parse(
    record: dict,
    *,
    items: dict[int, ItemCodes] | None = None,
    customers: dict[int, CustomerData] | None = None,
) -> SaleData:
    """One sale record (normalised by the client) as plain values; raises SaleParseError."""
    if not isinstance(record, dict):
        raise SaleParseError(f"a sale must be an object, not {type(record).__name__}")
    sale_id = _read(record, "saleID", to_int, default=0)
    if not sale_id:
        raise SaleParseError("saleID: missing")
    customer_id = _read(record, "customerID", to_int, default=0)
    customer: CustomerData | None = CustomerData()
    if customer_id:
        loaded = record.get("Customer")
        customer = customer_parse(loaded) if isinstance(loaded, dict) else (customers or {}).get(customer_id)
    lines_raw = record.get("SaleLines") or []
    if not isinstance(lines_raw, list):
        raise SaleParseError("SaleLines: not a collection")
    payments_raw = record.get("SalePayments") or []
    return SaleData(
        sale_id=sale_id,
        completed=_read(record, "completed", to_bool),
        voided=_read(record, "voided", to_bool),
        archived=_read(record, "archived", to_bool),
        shop_id=_read(record, "shopID", to_int, default=0),
        register_id=_read(record, "registerID", to_int, default=0),
        employee_id=_read(record, "employeeID", to_int, default=0),
        customer_id=customer_id,
        ticket_number=_text(record, "ticketNumber", 50),
        time_stamp=_read(record, "timeStamp", to_datetime),
        update_time=_read(record, "updatetime", to_datetime) or _read(record, "updateTime", to_datetime),
        complete_time=_read(record, "completeTime", to_datetime),
        subtotal=_money(record, "calcSubtotal"),
        discount=_money(record, "calcDiscount"),
        tax=_money(record, "calcTax1", "calcTax2"),
        total=_read(record, "calcTotal", to_decimal, default=None)
        if record.get("calcTotal") not in (None, "")
        else _money(record, "total"),
        lines=[_line_parse(line, items or {}) for line in lines_raw if isinstance(line, dict)],
        payments=[_payment_parse(p) for p in payments_raw if isinstance(p, dict)],
        customer=customer,
    )


def missing_relations(record: dict) -> tuple[set[int], set[int]]:
    """The item ids and customer id a sale refers to but did not carry (to fetch in one batch)."""
    items = set()
    for line in record.get("SaleLines") or []:
        if isinstance(line, dict) and not isinstance(line.get("Item"), dict):
            try:
                item_id = to_int(line.get("itemID"), default=0)
            except ValueError:
                continue
            if item_id:
                items.add(item_id)
    customers = set()
    try:
        customer_id = to_int(record.get("customerID"), default=0)
    except ValueError:
        customer_id = 0
    if customer_id and not isinstance(record.get("Customer"), dict):
        customers.add(customer_id)
    return items, customers
