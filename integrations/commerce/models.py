"""The order and inventory system (OMS) side of LightSync.

`commerce` knows no sales channel: channel integrations (Lightspeed) listen to it and write to
it through its services, never the other way round. Money is Decimal, quantities are integers.
Every stock change goes through `services.stock.stock_adjust`, which writes a ledger row in the
same transaction, so a product/warehouse ledger always sums to its stock level.
"""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from integrations.commerce.variation_rules import variation_errors
from integrations.core.models import TimeStampedModel

OPS_STAFF_GROUP = "Ops staff"

# Line values arrive unrounded from channels (Lightspeed sends e.g. "11.4860025"): keep them.
MONEY = {"max_digits": 20, "decimal_places": 8, "default": Decimal("0")}
NOT_SOLD = "A style (parent product) is never sold or returned: choose one of its variations."
PRICE = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0")}
COST = {"max_digits": 14, "decimal_places": 4, "default": Decimal("0")}


class Address(models.Model):
    """A postal address, inlined into the models that have one (name prefix-free)."""

    address1 = models.CharField("address line 1", max_length=255, blank=True)
    address2 = models.CharField("address line 2", max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / province", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. US.")

    class Meta:
        abstract = True


class Company(Address, TimeStampedModel):
    """A merchant: the tenant every other record belongs to."""

    name = models.CharField(max_length=200, unique=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def address_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "company": self.name,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "country": self.country,
            "phone": self.phone,
            "email": self.email,
        }


class User(AbstractUser):
    """A person signing in. Merchants belong to exactly one company; ops staff to none or any."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )

    @property
    def is_ops_staff(self) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        cached = getattr(self, "_is_ops_staff", None)
        if cached is None:
            cached = self.groups.filter(name=OPS_STAFF_GROUP).exists()
            self._is_ops_staff = cached
        return cached

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and self.company_id:
            raise ValidationError(
                {
                    "company": "Superusers operate the server and belong to no company; merchants are staff users."
                }
            )


class Warehouse(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="warehouses")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=30, help_text="Short code, unique within the company.")
    is_sellable = models.BooleanField(
        "sellable", default=True, help_text="Stock here can be offered for sale (returns warehouses are not)."
    )
    is_default = models.BooleanField("default", default=False)

    class Meta:
        ordering = ["company", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="warehouse_code_unique_per_company"),
            models.UniqueConstraint(fields=["company", "name"], name="warehouse_name_unique_per_company"),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(is_default=True),
                name="one_default_warehouse_per_company",
                violation_error_message="This company already has a default warehouse.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField("SKU", max_length=100)
    title = models.CharField(max_length=255)
    upc = models.CharField("UPC", max_length=20, blank=True, db_index=True)
    ean = models.CharField("EAN", max_length=20, blank=True, db_index=True)
    manufacturer_sku = models.CharField("manufacturer SKU", max_length=100, blank=True, db_index=True)
    # One validation path for a product's money: these validators run in full_clean, which both
    # the admin's form and the CSV import (clean_model_instances) go through; the database's check
    # constraints hold whatever skips them.
    site_price = models.DecimalField(
        **PRICE, validators=[MinValueValidator(Decimal("0"), message="The site price cannot be negative.")]
    )
    site_cost = models.DecimalField(
        **COST, validators=[MinValueValidator(Decimal("0"), message="The site cost cannot be negative.")]
    )
    active = models.BooleanField(default=True)
    # The new columns carry database defaults too, so rows written by raw SQL (the upload
    # benchmark's 100,000 products) need not name them.
    category = models.CharField(max_length=100, blank=True, default="", db_default="")
    # Variations (issue 15): a style is a parent product that names one or two attributes and
    # holds no stock; each of its children is an ordinary product with a value per attribute.
    is_parent = models.BooleanField(
        "style (parent)",
        default=False,
        db_default=False,
        db_index=True,
        help_text="A style: it names the attributes its variations differ in, holds no stock and is never sold.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="variations",
        verbose_name="style (parent)",
        help_text="The style this product is a variation of.",
    )
    attribute_1_name = models.CharField(
        "attribute 1",
        default="",
        db_default="",
        max_length=50,
        blank=True,
        help_text='On a style: e.g. "Color" (or "Size" alone).',
    )
    attribute_2_name = models.CharField(
        "attribute 2",
        default="",
        db_default="",
        max_length=50,
        blank=True,
        help_text='On a style: e.g. "Size"; blank for one attribute.',
    )
    attribute_1_value = models.CharField(
        "attribute 1 value",
        default="",
        db_default="",
        max_length=100,
        blank=True,
        help_text="On a variation: e.g. Navy.",
    )
    attribute_2_value = models.CharField(
        "attribute 2 value",
        default="",
        db_default="",
        max_length=100,
        blank=True,
        help_text="On a variation: e.g. M.",
    )

    class Meta:
        ordering = ["company", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="product_sku_unique_per_company"),
            models.CheckConstraint(
                condition=Q(is_parent=False) | Q(parent__isnull=True),
                name="product_style_is_no_variation",
                violation_error_message="A style cannot itself be a variation of another style.",
            ),
            models.UniqueConstraint(
                fields=["parent", "attribute_1_value", "attribute_2_value"],
                condition=Q(parent__isnull=False),
                name="product_variation_values_unique",
                violation_error_message="This style already has a variation with these attribute values.",
            ),
            models.CheckConstraint(
                condition=Q(site_price__gte=0),
                name="product_site_price_not_negative",
                violation_error_message="The site price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(site_cost__gte=0),
                name="product_site_cost_not_negative",
                violation_error_message="The site cost cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.title}"

    @property
    def attribute_names(self) -> tuple[str, ...]:
        """A style's attribute names, in order ("Color", "Size"), without the blank second."""
        return tuple(name for name in (self.attribute_1_name, self.attribute_2_name) if name)

    @property
    def attribute_values(self) -> tuple[str, ...]:
        """A variation's values in its style's attribute order."""
        return tuple(value for value in (self.attribute_1_value, self.attribute_2_value) if value)

    def clean(self) -> None:
        # The one validation path for styles and variations: the admin form, the CSV import and
        # the services (full_clean) all come here.
        super().clean()
        errors = variation_errors(self)
        if errors:
            raise ValidationError(errors)


class StockLevel(models.Model):
    """Stock of one product in one warehouse. Changed only through `stock_adjust`."""

    company_field = "product__company"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["product", "warehouse"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="one_stock_level_per_product_warehouse"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
        ]
        permissions = [("adjust_stock", "Can adjust stock (writes a stock ledger row)")]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.name}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockLedgerEntry(models.Model):
    class Reason(models.TextChoices):
        ORDER = "order", "Order"
        RETURN = "return", "Return"
        VOID = "void", "Void"
        ADJUSTMENT = "adjustment", "Adjustment"
        IMPORT = "import", "Import"

    company_field = "product__company"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="ledger_entries")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="ledger_entries")
    quantity_change = models.IntegerField()
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reference = models.CharField(
        max_length=255, blank=True, help_text="What caused it, e.g. an order number."
    )
    order = models.ForeignKey("Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "stock ledger entry"
        verbose_name_plural = "stock ledger"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse", "created_at"])]

    def __str__(self) -> str:
        return f"{self.quantity_change:+d} {self.product.sku} @ {self.warehouse.name} ({self.reason})"


class Order(TimeStampedModel):
    class Channel(models.TextChoices):
        LOCAL_STORE = "local_store", "Local Store"
        MANUAL = "manual", "Manual"
        WEBSITE = "website", "Website"
        MARKETPLACE = "marketplace", "Marketplace"

    class Status(models.TextChoices):
        IN_PROCESS = "in_process", "In Process"
        COMPLETED = "completed", "Completed"
        CANCELED = "canceled", "Canceled"
        VOID = "void", "Void"
        PROBLEM = "problem", "Problem"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"

    class ShippingStatus(models.TextChoices):
        UNSHIPPED = "unshipped", "Unshipped"
        SHIPPED = "shipped", "Shipped"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="orders")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.MANUAL)
    channel_order_id = models.CharField("channel order id", max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROCESS, db_index=True)
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    shipping_status = models.CharField(
        max_length=20, choices=ShippingStatus.choices, default=ShippingStatus.UNSHIPPED
    )
    shipping_carrier = models.CharField(max_length=50, blank=True)
    shipping_service = models.CharField(max_length=50, blank=True)
    order_date = models.DateTimeField(db_index=True)

    customer_name = models.CharField(max_length=255, blank=True)
    customer_email = models.EmailField(blank=True)
    customer_phone = models.CharField(max_length=50, blank=True)

    billing_name = models.CharField(max_length=255, blank=True)
    billing_company = models.CharField(max_length=255, blank=True)
    billing_address1 = models.CharField(max_length=255, blank=True)
    billing_address2 = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_state = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True)

    shipping_name = models.CharField(max_length=255, blank=True)
    shipping_company = models.CharField(max_length=255, blank=True)
    shipping_address1 = models.CharField(max_length=255, blank=True)
    shipping_address2 = models.CharField(max_length=255, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_state = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)

    subtotal = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who created the order: a person, or the system user of the channel that imported it.",
    )

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "channel_order_id"],
                condition=~Q(channel_order_id=""),
                name="order_unique_per_company_channel",
                violation_error_message="This company already has an order with this channel order id.",
            ),
        ]
        indexes = [models.Index(fields=["company", "channel", "order_date"])]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_channel_display()} {self.channel_order_id})".replace(" )", ")")


class OrderLine(models.Model):
    company_field = "order__company"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines"
    )
    sku = models.CharField("SKU", max_length=100, blank=True, help_text="As sold.")
    title = models.CharField(max_length=255, blank=True)
    unknown_reference = models.CharField(
        max_length=255, blank=True, help_text="The channel's item reference when no product matched."
    )
    quantity = models.IntegerField()
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    channel_line_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "channel_line_id"],
                condition=~Q(channel_line_id=""),
                name="order_line_unique_channel_line",
                violation_error_message="This order already has a line with this channel line id.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.unknown_reference or self.title}"

    def clean(self) -> None:
        # The order may be unsaved (an inline on the add page): read it, not `order_id`.
        try:
            company_id = self.order.company_id
        except Order.DoesNotExist:
            return
        if self.product_id and company_id and self.product.company_id != company_id:
            raise ValidationError({"product": "This product belongs to another company."})
        if self.product_id and self.product.is_parent:
            raise ValidationError({"product": NOT_SOLD})


class OrderPayment(models.Model):
    company_field = "order__company"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    payment_type = models.CharField(max_length=100)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=100, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.payment_type} {self.amount}"


class Return(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="returns")
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        help_text="The original order; empty for a standalone return.",
    )
    channel = models.CharField(max_length=20, choices=Order.Channel.choices, default=Order.Channel.MANUAL)
    channel_return_id = models.CharField(max_length=100, blank=True)
    return_date = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    refund_amount = models.DecimalField(**MONEY)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-return_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "channel_return_id"],
                condition=~Q(channel_return_id=""),
                name="return_unique_per_company_channel",
                violation_error_message="This company already has a return with this channel return id.",
            ),
        ]

    def __str__(self) -> str:
        return f"Return #{self.pk}"

    def clean(self) -> None:
        if self.order_id and self.company_id and self.order.company_id != self.company_id:
            raise ValidationError({"order": "This order belongs to another company."})


class ReturnLine(models.Model):
    company_field = "order_return__company"

    order_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sku = models.CharField("SKU", max_length=100, blank=True)
    quantity = models.PositiveIntegerField()
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the returned units were received.",
    )
    refund_amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255, blank=True)
    channel_line_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["order_return", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.product or ''}".rstrip()

    def clean(self) -> None:
        try:
            company_id = self.order_return.company_id
        except Return.DoesNotExist:
            return
        if not company_id:
            return
        errors = {}
        if self.product_id and self.product.company_id != company_id:
            errors["product"] = "This product belongs to another company."
        elif self.product_id and self.product.is_parent:
            errors["product"] = NOT_SOLD
        if self.warehouse_id and self.warehouse.company_id != company_id:
            errors["warehouse"] = "This warehouse belongs to another company."
        if self.order_line_id and self.order_line.order.company_id != company_id:
            errors["order_line"] = "This order line belongs to another company."
        if errors:
            raise ValidationError(errors)
