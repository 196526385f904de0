"""Refunds (`POST Sale/{id}/refund`) and voids (as the POS does them, through the control API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import SandboxApiError, bad_request, not_found
from integrations.lightspeed_sandbox.services.items import as_list, stock_move, to_bool, to_decimal, to_int
from integrations.lightspeed_sandbox.services.sales import _complete, _totals_refresh, sale_create
from integrations.lightspeed_sandbox.store.models import PaymentType, Sale, SaleLine, SalePayment, SaleVoid

VOID_REASON_PREFIX = "Lightspeed Retail System Administrator Void: "


def _original(account_id: int, sale_id: int) -> Sale:
    """The refunded sale, by saleID or by its ticketNumber (both are accepted in the URL)."""
    sale = (
        Sale.objects.filter(accountID=account_id)
        .filter(Q(saleID=sale_id) | Q(ticketNumber=str(sale_id)))
        .order_by("saleID")
        .first()
    )
    if sale is None:
        raise not_found("Sale", sale_id)
    if not sale.completed or sale.voided:
        raise bad_request(f"Sale {sale_id} is not a completed sale and cannot be refunded.")
    return sale


def _refund_lines(original: Sale, requested: list[dict]) -> list[dict]:
    refunded = dict(
        SaleLine.objects.filter(accountID=original.accountID, parentSaleLineID__gt=0)
        .values("parentSaleLineID")
        .annotate(q=Sum("unitQuantity"))
        .values_list("parentSaleLineID", "q")
    )
    lines = {
        line.saleLineID: line for line in SaleLine.objects.filter(saleID=original.saleID, unitQuantity__gt=0)
    }
    wanted = {
        to_int(e.get("parentSaleLineID", 0), "parentSaleLineID"): e for e in requested
    } or dict.fromkeys(lines)
    out = []
    for parent_id in sorted(wanted):
        line = lines.get(parent_id)
        if line is None:
            raise bad_request(f"SaleLine {parent_id} is not a line of sale {original.saleID}.")
        remaining = line.unitQuantity + (refunded.get(parent_id) or 0)
        entry = wanted[parent_id] or {}
        quantity = -abs(to_int(entry.get("unitQuantity", remaining), "unitQuantity"))
        if remaining <= 0 or -quantity > remaining:
            if requested:
                raise bad_request(f"SaleLine {parent_id} has only {max(remaining, 0)} units left to refund.")
            continue
        out.append(
            {
                "itemID": line.itemID,
                "unitQuantity": quantity,
                "unitPrice": entry.get("unitPrice", line.unitPrice),
                "tax": line.tax,
                "parentSaleLineID": parent_id,
                "lineType": line.lineType,
            }
        )
    if not out:
        raise bad_request(f"Sale {original.saleID} has nothing left to refund.")
    return out


@transaction.atomic
def sale_refund(*, account_id: int, sale_id: int, data: dict, now: datetime | None = None) -> Sale:
    """A refund sale: negative lines pointing at the original's, negative payments.

    Without SaleLines every unit not yet refunded comes back; a payment without an amount takes
    the refund's total; `completed` defaults to true (stock comes back and payments are logged).
    """
    original = _original(account_id, sale_id)
    payments = as_list(data.get("SalePayments"), "SalePayment")
    if not payments or not all(p.get("paymentTypeID") for p in payments):
        raise bad_request("Refund not created. At least one SalePayment with a paymentTypeID is required.")
    known = set(PaymentType.objects.filter(accountID=account_id).values_list("paymentTypeID", flat=True))
    for entry in payments:
        if to_int(entry["paymentTypeID"], "paymentTypeID") not in known:
            raise not_found("PaymentType", entry["paymentTypeID"])
    header = {
        "shopID": data.get("shopID", original.shopID),
        "registerID": data.get("registerID", original.registerID),
        "employeeID": data.get("employeeID", original.employeeID),
        "customerID": original.customerID,
        "SaleLines": {"SaleLine": _refund_lines(original, as_list(data.get("SaleLines"), "SaleLine"))},
    }
    refund = sale_create(account_id=account_id, data=header, now=now)
    first_payment = SalePayment.objects.filter(saleID=original.saleID).order_by("salePaymentID").first()
    for index, entry in enumerate(payments):
        amount = entry.get("amount")
        SalePayment.objects.create(
            accountID=account_id,
            saleID=refund.saleID,
            paymentTypeID=to_int(entry["paymentTypeID"], "paymentTypeID"),
            amount=to_decimal(amount, "amount")
            if amount is not None
            else (refund.total if index == 0 else 0),
            registerID=refund.registerID,
            employeeID=refund.employeeID,
            refPaymentID=first_payment.salePaymentID if first_payment else 0,
            createTime=refund.createTime,
        )
    _totals_refresh(refund)
    if to_bool(data.get("completed", True)):
        _complete(refund, refund.createTime, reserved=True)
    refund.save()
    return refund


def refund_in_kind(sale: Sale) -> dict:
    """A refund body paying back with the original's first payment type (demo and simulator)."""
    payment = SalePayment.objects.filter(saleID=sale.saleID).order_by("salePaymentID").first()
    return {"SalePayments": {"SalePayment": {"paymentTypeID": payment.paymentTypeID if payment else 1}}}


@transaction.atomic
def sale_void(*, account_id: int | None, sale_id: int, reason: str = "", now: datetime | None = None) -> Sale:
    """Void as the POS does: stock restocked, `voided`, a SaleVoid, `updatetime` moves, `timeStamp` not."""
    filters: dict[str, Any] = {"saleID": sale_id}
    if account_id is not None:
        filters["accountID"] = account_id
    sale = Sale.objects.filter(**filters).first()
    if sale is None:
        raise not_found("Sale", sale_id)
    if sale.voided:
        raise SandboxApiError(409, f"Sale {sale_id} is already voided.")
    if not sale.completed:
        raise bad_request(f"Sale {sale_id} is not completed; only completed sales are voided.")
    now = now or clock.now()
    for line in SaleLine.objects.filter(saleID=sale.saleID):
        stock_move(item_id=line.itemID, shop_id=line.shopID, qoh_delta=line.unitQuantity, now=now)
    sale.voided = True
    # The one documented voided sale reads completed "false"; keep it that way.
    sale.completed = False
    sale.updatetime = now
    sale.save(update_fields=["voided", "completed", "updatetime"])
    SaleVoid.objects.create(
        accountID=sale.accountID,
        saleID=sale.saleID,
        shopID=sale.shopID,
        registerID=sale.registerID,
        employeeID=sale.employeeID,
        reason=VOID_REASON_PREFIX + reason,
        createTime=now,
        timeStamp=now,
    )
    return sale
