"""The order download's own records: where it has read up to, and every sale it has seen.

`OrderCursor` is written in the same transaction as the orders of the page it covers, so a crash
between pages leaves the cursor exactly at the last page committed. `LightspeedSale` (one per
saleID) and `LightspeedSaleLine` (one per saleLineID) are what makes the import exactly once and
what voids, returns and unmatched-item fixes read back: which order a sale became, which lines
took stock from which warehouses.
"""

from __future__ import annotations

from django.db import models

from integrations.commerce.models import Company, Order, OrderLine, Product, Return, ReturnLine
from integrations.core.models import TimeStampedModel
from integrations.lightspeed.models.runs import SyncIssue


class OrderCursor(models.Model):
    """How far a company's order download has read, per way of reading."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="lightspeed_order_cursor")
    start_at = models.DateTimeField(help_text="Sales completed before this are not downloaded.")
    sales_after = models.DateTimeField(
        help_text="Sale.timeStamp read up to (sales are re-read from here minus the overlap)."
    )
    updates_after = models.DateTimeField(help_text="Sale.updatetime read up to: voids and late completions.")
    voids_after_id = models.PositiveBigIntegerField(default=0, help_text="Last SaleVoid read.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "order download cursor"

    def __str__(self) -> str:
        return f"{self.company}: sales after {self.sales_after:%Y-%m-%d %H:%M:%S}"


class LightspeedSale(TimeStampedModel):
    class State(models.TextChoices):
        IMPORTED = "imported", "Imported"
        OPEN = "open", "Open in Lightspeed (not completed)"
        VOIDED = "voided", "Voided"
        OTHER_SHOP = "other_shop", "Shop not imported"
        INVALID = "invalid", "Could not be read"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_sales")
    sale_id = models.PositiveBigIntegerField("Lightspeed saleID")
    state = models.CharField(max_length=20, choices=State.choices, db_index=True)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="lightspeed_sales"
    )
    order_return = models.ForeignKey(
        Return, on_delete=models.SET_NULL, null=True, blank=True, related_name="lightspeed_sales"
    )
    shop = models.ForeignKey(
        "lightspeed.LightspeedShop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    register = models.ForeignKey(
        "lightspeed.LightspeedRegister", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    employee = models.ForeignKey(
        "lightspeed.LightspeedEmployee", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shop_id_seen = models.PositiveBigIntegerField("Lightspeed shopID", default=0)
    register_id_seen = models.PositiveBigIntegerField("Lightspeed registerID", default=0)
    employee_id_seen = models.PositiveBigIntegerField("Lightspeed employeeID", default=0)
    ticket_number = models.CharField(max_length=50, blank=True)
    time_stamp = models.DateTimeField("timeStamp seen", null=True, blank=True)
    update_time = models.DateTimeField("updatetime seen", null=True, blank=True)
    complete_time = models.DateTimeField("completeTime", null=True, blank=True)
    total = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True, help_text="When LightSync saw the void.")
    digest = models.CharField(max_length=64, blank=True, help_text="Of what was imported.")

    class Meta:
        verbose_name = "Lightspeed sale"
        ordering = ["-time_stamp", "-sale_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sale_id"], name="lightspeed_sale_once_per_company")
        ]
        indexes = [models.Index(fields=["company", "state"], name="ls_sale_state")]

    def __str__(self) -> str:
        return f"Sale {self.sale_id} ({self.get_state_display()})"


class LightspeedSaleLine(models.Model):
    """One imported sale line: what it became and the stock it moved (to undo a void exactly)."""

    class Kind(models.TextChoices):
        STOCK = "stock", "Stock line"
        RETURN = "return", "Return line"
        NON_STOCK = "non_stock", "Non-stock line (misc, fee)"

    company_field = "sale__company"

    sale = models.ForeignKey(LightspeedSale, on_delete=models.CASCADE, related_name="lines")
    sale_line_id = models.PositiveBigIntegerField("Lightspeed saleLineID")
    item_id = models.PositiveBigIntegerField("Lightspeed itemID", default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Positive sold, negative returned.")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # [[warehouse_id, quantity_change], ...] as applied; empty until the product is known.
    stock_moves = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "Lightspeed sale line"
        constraints = [
            models.UniqueConstraint(fields=["sale", "sale_line_id"], name="lightspeed_sale_line_once")
        ]
        indexes = [
            models.Index(fields=["sale_line_id"], name="ls_sale_line_id"),
            models.Index(fields=["item_id"], name="ls_sale_line_item"),
        ]

    def __str__(self) -> str:
        return f"line {self.sale_line_id}: {self.quantity} × item {self.item_id}"


class UnmatchedItem(SyncIssue):
    """The issues of sale lines whose Lightspeed item matched no product: mapped here by a person."""

    class Meta:
        proxy = True
        verbose_name = "unmatched Lightspeed item"
