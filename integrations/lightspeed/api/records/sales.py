"""Sales, their lines, payments and customers, and SaleVoid records, read into plain values.

The client has already made every collection a list (`normalise.py`); here strings become
Decimals, ints, booleans and UTC datetimes, and anything that cannot be read raises
`RecordParseError` with the field's name, so one bad sale is recorded and never stops the others
(`sales_parse` keeps it as an `UnreadableSale`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api.normalise import to_bool, to_datetime, to_decimal, to_int
from integrations.lightspeed.api.records.fields import RecordParseError, first_text, money, read, text
from integrations.lightspeed.api.records.items import ItemCodes, item_codes_parse

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


def _line_parse(line: dict, items: dict[int, ItemCodes]) -> SaleLineData:
    item_id = read(line, "itemID", to_int, default=0)
    item_record = line.get("Item")
    item = item_codes_parse(item_record) if isinstance(item_record, dict) else items.get(item_id)
    note = line.get("Note")
    quantity = read(line, "unitQuantity", to_int, default=0)
    return SaleLineData(
        sale_line_id=read(line, "saleLineID", to_int, default=0),
        item_id=item_id,
        quantity=quantity,
        unit_price=money(line, "unitPrice"),
        discount=money(line, "calcLineDiscount"),
        tax=money(line, "calcTax1", "calcTax2"),
        total=money(line, "calcTotal"),
        parent_sale_line_id=read(line, "parentSaleLineID", to_int, default=0),
        line_type=text(line, "lineType", 50),
        note=text(note, "note") if isinstance(note, dict) else "",
        is_reservation=any(
            read(line, name, to_bool)
            for name in ("isLayaway", "isWorkorder", "isWorkOrder", "isSpecialOrder")
        ),
        item=item,
    )


def country_code(value: str) -> str:
    typed = value.strip()
    if len(typed) == 2 and typed.isalpha():
        return typed.upper()
    return COUNTRIES.get(typed.lower(), "")


def customer_parse(customer: dict) -> CustomerData:
    contact = customer.get("Contact") if isinstance(customer.get("Contact"), dict) else {}
    addresses = [a for a in contact.get("Addresses") or [] if isinstance(a, dict)]
    address = addresses[0] if addresses else {}
    name = " ".join(p for p in (text(customer, "firstName"), text(customer, "lastName")) if p)
    company = text(customer, "company")
    return CustomerData(
        name=(name or company or WALK_IN)[:255],
        company=company,
        email=first_text(contact.get("Emails"), "address")[:254],
        phone=first_text(contact.get("Phones"), "number")[:50],
        address1=text(address, "address1"),
        address2=text(address, "address2"),
        city=text(address, "city", 100),
        state=text(address, "state", 100),
        postal_code=text(address, "zip", 20),
        country=country_code(text(address, "country")),
    )


def _payment_parse(payment: dict) -> PaymentData:
    kind = payment.get("PaymentType") if isinstance(payment.get("PaymentType"), dict) else {}
    type_name = text(kind, "name", 100) or f"Payment type {text(payment, 'paymentTypeID')}"
    return PaymentData(
        payment_type=type_name,
        amount=money(payment, "amount"),
        reference=text(payment, "salePaymentID", 100),
        paid_at=read(payment, "createTime", to_datetime),
    )


def sale_parse(
    record: dict,
    *,
    items: dict[int, ItemCodes] | None = None,
    customers: dict[int, CustomerData] | None = None,
) -> SaleData:
    """One sale record (normalised by the client) as plain values; raises RecordParseError."""
    if not isinstance(record, dict):
        raise RecordParseError(f"a sale must be an object, not {type(record).__name__}")
    sale_id = read(record, "saleID", to_int, default=0)
    if not sale_id:
        raise RecordParseError("saleID: missing")
    customer_id = read(record, "customerID", to_int, default=0)
    customer: CustomerData | None = CustomerData()
    if customer_id:
        loaded = record.get("Customer")
        customer = customer_parse(loaded) if isinstance(loaded, dict) else (customers or {}).get(customer_id)
    lines_raw = record.get("SaleLines") or []
    if not isinstance(lines_raw, list):
        raise RecordParseError("SaleLines: not a collection")
    payments_raw = record.get("SalePayments") or []
    return SaleData(
        sale_id=sale_id,
        completed=read(record, "completed", to_bool),
        voided=read(record, "voided", to_bool),
        archived=read(record, "archived", to_bool),
        shop_id=read(record, "shopID", to_int, default=0),
        register_id=read(record, "registerID", to_int, default=0),
        employee_id=read(record, "employeeID", to_int, default=0),
        customer_id=customer_id,
        ticket_number=text(record, "ticketNumber", 50),
        time_stamp=read(record, "timeStamp", to_datetime),
        update_time=read(record, "updatetime", to_datetime) or read(record, "updateTime", to_datetime),
        complete_time=read(record, "completeTime", to_datetime),
        subtotal=money(record, "calcSubtotal"),
        discount=money(record, "calcDiscount"),
        tax=money(record, "calcTax1", "calcTax2"),
        total=read(record, "calcTotal", to_decimal, default=None)
        if record.get("calcTotal") not in (None, "")
        else money(record, "total"),
        lines=[_line_parse(line, items or {}) for line in lines_raw if isinstance(line, dict)],
        payments=[_payment_parse(p) for p in payments_raw if isinstance(p, dict)],
        customer=customer,
    )


def items_by_id(items: Iterable[dict]) -> dict[int, ItemCodes]:
    """Items fetched apart from their sales (`missing_relations`), as `sale_parse` takes them."""
    return {codes.item_id: codes for codes in map(item_codes_parse, items)}


def customers_by_id(customers: Iterable[dict]) -> dict[int, CustomerData]:
    """Customers fetched apart from their sales, as `sale_parse` takes them."""
    return {read(c, "customerID", to_int, default=0): customer_parse(c) for c in customers}


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


@dataclass(frozen=True)
class UnreadableSale:
    """A sale record that could not be read, and why: what the issue reporting it shows."""

    record: Any  # as the client handed it over (normalised), for the excerpt
    reason: str

    @property
    def key(self) -> str:
        """The saleID as Lightspeed sent it ("?" when the record is not even an object)."""
        return str(self.record.get("saleID") if isinstance(self.record, dict) else "?")

    @property
    def sale_id(self) -> int | None:
        return int(self.key) if self.key.isdigit() else None

    @property
    def update_time(self) -> datetime | None:
        return sale_update_time(self.record) if isinstance(self.record, dict) else None


def sales_parse(
    records: list[dict],
    *,
    items: dict[int, ItemCodes] | None = None,
    customers: dict[int, CustomerData] | None = None,
) -> list[SaleData | UnreadableSale]:
    """Every sale of a page, in order; one that cannot be read is kept as an UnreadableSale."""
    out: list[SaleData | UnreadableSale] = []
    for record in records:
        try:
            out.append(sale_parse(record, items=items, customers=customers))
        except RecordParseError as exc:
            out.append(UnreadableSale(record, str(exc)))
    return out


def _moment(value: Any) -> datetime | None:
    try:
        return to_datetime(value)
    except ValueError:
        return None


def sale_time_stamp(record: dict) -> datetime | None:
    """A sale's timeStamp, None when absent or unreadable (a cursor skips what it cannot read)."""
    return _moment(record.get("timeStamp"))


def sale_update_time(record: dict) -> datetime | None:
    """A sale's updatetime (`updateTime` in some answers), None when absent or unreadable."""
    return _moment(record.get("updatetime") or record.get("updateTime"))


@dataclass(frozen=True)
class SaleChange:
    """What a changed sale says of itself without its relations: enough to decide whether to
    fetch it in full, or to void the order it became."""

    sale_id: int
    completed: bool
    voided: bool
    shop_id: int
    update_time: datetime | None


def sale_change_parse(record: dict) -> SaleChange:
    """Raises RecordParseError when the id, state or shop cannot be read; the time is lenient."""
    return SaleChange(
        sale_id=read(record, "saleID", to_int, default=0),
        completed=read(record, "completed", to_bool),
        voided=read(record, "voided", to_bool),
        shop_id=read(record, "shopID", to_int, default=0),
        update_time=sale_update_time(record),
    )


@dataclass(frozen=True)
class SaleVoidRecord:
    sale_void_id: int
    sale_id: int  # 0 when Lightspeed left it out


def sale_void_parse(record: dict) -> SaleVoidRecord:
    return SaleVoidRecord(
        sale_void_id=read(record, "saleVoidID", to_int, default=0),
        sale_id=read(record, "saleID", to_int, default=0),
    )
