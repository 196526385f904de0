"""What a Lightspeed sale's order looks like: its fields, notes and the record of the sale."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import timezone

from integrations.commerce.models import Order, User
from integrations.lightspeed.api.records.sales import SaleData
from integrations.lightspeed.orders.services.sale_stock import ShopScope

NO_PAYMENT_NOTE = (
    "Marked paid although Lightspeed sent no payment lines: a completed POS sale has been settled "
    "at the counter (a zero total, a gift or a payment on account)."
)


def sale_reference(sale_id: int) -> str:
    return f"Lightspeed sale {sale_id}"


def unknown_reference(item_id: int) -> str:
    return f"Lightspeed item {item_id}"


def customer_fields(scope: ShopScope, sale: SaleData) -> dict:
    customer = sale.customer
    fields: dict = {}
    if customer is not None:
        fields.update(
            customer_name=customer.name, customer_email=customer.email, customer_phone=customer.phone
        )
        address = {
            "name": customer.name,
            "company": customer.company,
            "address1": customer.address1,
            "address2": customer.address2,
            "city": customer.city,
            "state": customer.state,
            "postal_code": customer.postal_code,
            "country": customer.country,
        }
    else:
        address = {}
    if scope.settings.use_company_address:
        address = scope.company.address_dict()
    for prefix in ("billing", "shipping"):
        for key in ("name", "company", "address1", "address2", "city", "state", "postal_code", "country"):
            if key in address:
                fields[f"{prefix}_{key}"] = (address[key] or "")[: 2 if key == "country" else 255]
    return fields


def attribution(scope: ShopScope, sale: SaleData) -> str:
    shop = scope.shops.get(sale.shop_id)
    register = scope.registers.get(sale.register_id)
    employee = scope.employees.get(sale.employee_id)
    parts = [
        f"Lightspeed sale {sale.sale_id}" + (f", ticket {sale.ticket_number}" if sale.ticket_number else ""),
        f"shop {shop.name if shop else sale.shop_id}",
        f"register {register.name if register else sale.register_id}",
        f"employee {employee if employee else sale.employee_id}",
    ]
    local = shop_time(sale.order_date, shop.time_zone if shop else "")
    if local:
        parts.append(f"completed {local}")
    return "; ".join(parts) + "."


def shop_time(moment: datetime | None, time_zone: str) -> str:
    """A moment (stored in UTC) as the shop's clock read it, with the zone's name."""
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(time_zone) if time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {time_zone}"


def order_build(scope: ShopScope, sale: SaleData, *, void: bool, created_by: User | None = None) -> Order:
    notes = [attribution(scope, sale)]
    if not sale.payments and not void:
        notes.append(NO_PAYMENT_NOTE)
    if void:
        notes.append("Voided in Lightspeed before it was downloaded: no stock was moved.")
    return Order(
        company=scope.company,
        channel=Order.Channel.LOCAL_STORE,
        channel_order_id=str(sale.sale_id),
        status=Order.Status.VOID if void else Order.Status.COMPLETED,
        payment_status=Order.PaymentStatus.PAID,
        shipping_status=Order.ShippingStatus.SHIPPED,
        shipping_carrier="Other",
        shipping_service="Pickup",
        order_date=sale.order_date or timezone.now(),
        subtotal=sale.subtotal,
        discount=sale.discount,
        tax=sale.tax,
        total=sale.total,
        notes="\n".join(notes),
        created_by=created_by,
        **customer_fields(scope, sale),
    )


def sale_record_fields(scope: ShopScope, sale: SaleData) -> dict:
    return {
        "shop": scope.shops.get(sale.shop_id),
        "register": scope.registers.get(sale.register_id),
        "employee": scope.employees.get(sale.employee_id),
        "shop_id_seen": sale.shop_id,
        "register_id_seen": sale.register_id,
        "employee_id_seen": sale.employee_id,
        "ticket_number": sale.ticket_number,
        "time_stamp": sale.time_stamp,
        "update_time": sale.update_time,
        "complete_time": sale.complete_time,
        "total": sale.total,
        "digest": sale.digest(),
    }
