"""Product ↔ Lightspeed item links, shared by the order download and the catalog upload.

A `ProductLink` row exists for every product that is enabled for Lightspeed or linked to an item
(enabled products wait here, unlinked, until the products job matches or creates their item).
It remembers the last values seen in Lightspeed and the last values sent, so the upload sends
only what changed and can tell a quantity moved by a register from one it set itself.
`CatalogCursor` keeps the catalog's read positions; `StockDrift` records quantities Lightspeed moved
on its own. Commerce knows nothing of these tables: the Lightspeed app points at commerce, never back.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from integrations.commerce.models import COST, PRICE, Company, Product
from integrations.core.models import TimeStampedModel


def _no_default(spec: dict) -> dict:
    """A commerce money spec without its default: "not seen yet" is NULL here, not 0."""
    return {key: value for key, value in spec.items() if key != "default"}


class ProductLink(TimeStampedModel):
    class MatchedBy(models.TextChoices):
        ITEM_ID = "item_id", "Stored itemID"
        CUSTOM_SKU = "custom_sku", "Custom SKU = SKU"
        UPC = "upc", "UPC"
        EAN = "ean", "EAN"
        MANUFACTURER_SKU = "manufacturer_sku", "Manufacturer SKU"
        CREATED = "created", "Created in Lightspeed by LightSync"
        IMPORTED = "imported", "Imported from Lightspeed as a new product"
        MANUAL = "manual", "Chosen by a person"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_links")
    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="lightspeed_link")
    enabled = models.BooleanField(
        "enabled for Lightspeed",
        default=False,
        db_index=True,
        help_text="Its stock, price and cost go up to Lightspeed; with auto-create on, it is created there.",
    )
    item_id = models.PositiveBigIntegerField("Lightspeed itemID", null=True, blank=True)
    system_sku = models.CharField("Lightspeed systemSku", max_length=20, blank=True)
    item_matrix_id = models.PositiveBigIntegerField(
        "Lightspeed itemMatrixID",
        null=True,
        blank=True,
        help_text="The matrix its item is in, as last downloaded: how a style finds its matrix.",
    )
    matched_by = models.CharField(max_length=20, choices=MatchedBy.choices, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    create_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When auto-create sent this product's item and heard no answer (a timeout, a dropped "
        "connection): it may still be made, so it is not sent again until a lookup settles it.",
    )
    item_archived = models.BooleanField(
        "archived in Lightspeed", default=False, help_text="Reported, never silently recreated."
    )
    item_time_stamp = models.DateTimeField(
        "item timeStamp seen", null=True, blank=True, help_text="Item.timeStamp when last downloaded."
    )
    price_seen = models.DecimalField("price in Lightspeed", null=True, blank=True, **_no_default(PRICE))
    price_sent = models.DecimalField("price last sent", null=True, blank=True, **_no_default(PRICE))
    price_sent_at = models.DateTimeField(null=True, blank=True)
    cost_seen = models.DecimalField("cost in Lightspeed", null=True, blank=True, **_no_default(COST))
    cost_sent = models.DecimalField("cost last sent", null=True, blank=True, **_no_default(COST))
    cost_sent_at = models.DateTimeField(null=True, blank=True)
    upload_due_at = models.DateTimeField(
        "upload due since",
        null=True,
        blank=True,
        db_index=True,
        help_text="Set when its stock, price or cost changed here; cleared once the upload has looked at it.",
    )

    class Meta:
        verbose_name = "product link"
        ordering = ["company", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "item_id"],
                condition=Q(item_id__isnull=False),
                name="lightspeed_item_linked_once_per_company",
            )
        ]
        indexes = [models.Index(fields=["company", "enabled"], name="ls_link_enabled")]

    def __str__(self) -> str:
        return f"{self.product.sku} ↔ item {self.item_id or '—'}"


class MatrixLink(TimeStampedModel):
    """A style (a parent product) ↔ a Lightspeed item matrix; its variations link item by item
    through their own `ProductLink`s. Made by the products job when it links a matrix, or by
    auto-create, which marks `create_sent_at` while its `POST ItemMatrix` has no answer."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_matrix_links")
    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="lightspeed_matrix_link")
    item_matrix_id = models.PositiveBigIntegerField(
        "Lightspeed itemMatrixID", null=True, blank=True, help_text="Empty until linked or created."
    )
    item_attribute_set_id = models.PositiveIntegerField(
        "Lightspeed itemAttributeSetID",
        null=True,
        blank=True,
        help_text="1 Color/Size, 2 Size, 3 Color, 4 3 Attributes.",
    )
    matched_by = models.CharField(max_length=20, choices=ProductLink.MatchedBy.choices, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    create_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When auto-create sent this style's matrix and heard no answer: it is not sent again "
        "until a lookup settles it.",
    )

    class Meta:
        verbose_name = "matrix link"
        ordering = ["company", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "item_matrix_id"],
                condition=Q(item_matrix_id__isnull=False),
                name="lightspeed_matrix_linked_once_per_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} ↔ matrix {self.item_matrix_id or '—'}"


class ItemShopState(models.Model):
    """One linked item's quantity in one Lightspeed shop: last seen there and last sent."""

    link = models.ForeignKey(ProductLink, on_delete=models.CASCADE, related_name="shop_states")
    shop = models.ForeignKey("lightspeed.LightspeedShop", on_delete=models.CASCADE, related_name="+")
    item_shop_id = models.PositiveBigIntegerField("Lightspeed itemShopID", null=True, blank=True)
    qoh_seen = models.IntegerField("quantity in Lightspeed", null=True, blank=True)
    seen_time_stamp = models.DateTimeField(
        "ItemShop timeStamp seen", null=True, blank=True, help_text="When Lightspeed last changed the row."
    )
    qoh_sent = models.IntegerField("quantity last sent", null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    moved_at = models.DateTimeField(
        "moved in Lightspeed at",
        null=True,
        blank=True,
        help_text="ItemShop timeStamp of a change LightSync did not make (a sale, a count), not yet settled: "
        "the quantity is not overwritten until the order download has caught up past it.",
    )
    moved_from = models.IntegerField(
        "quantity before the move", null=True, blank=True, help_text="Lightspeed's quantity before it moved."
    )
    moved_from_at = models.DateTimeField(
        "timeStamp before the move", null=True, blank=True, help_text="When Lightspeed's quantity was that."
    )

    class Meta:
        verbose_name = "item shop state"
        constraints = [
            models.UniqueConstraint(fields=["link", "shop"], name="one_item_shop_state_per_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id}@{self.shop_id}: seen {self.qoh_seen}, sent {self.qoh_sent}"


class CatalogCursor(models.Model):
    """Where the products job and the ItemShop poll of one company have read up to (Lightspeed time)."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="lightspeed_catalog_cursor"
    )
    items_since = models.DateTimeField(null=True, blank=True, help_text="Latest Item.timeStamp downloaded.")
    item_shops_since = models.DateTimeField(
        null=True, blank=True, help_text="Latest ItemShop.timeStamp polled."
    )
    item_shops_after_id = models.BigIntegerField(
        default=0,
        help_text="Tie-breaker: rows of item_shops_since's second up to this itemShopID are polled.",
    )
    item_shops_newest_seen = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Newest ItemShop.timeStamp a poll has read: Lightspeed's clock had reached it.",
    )
    item_shops_polled_at = models.DateTimeField(null=True, blank=True)
    changes_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Stock levels and products changed after this (by any path, bulk ones included) are due.",
    )

    class Meta:
        verbose_name = "catalog cursor"

    def __str__(self) -> str:
        return f"{self.company}: items {self.items_since}, item shops {self.item_shops_since}"


class StockDrift(models.Model):
    """A quantity Lightspeed moved on its own (a count, a receiving) that no downloaded sale explains."""

    class Status(models.TextChoices):
        OPEN = "open", "Open (not overwritten yet)"
        PUSHED = "pushed", "Overwritten with LightSync's quantity"
        RESOLVED = "resolved", "Resolved (the quantities agree again)"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_drifts")
    link = models.ForeignKey(ProductLink, on_delete=models.CASCADE, related_name="drifts")
    shop = models.ForeignKey("lightspeed.LightspeedShop", on_delete=models.CASCADE, related_name="+")
    lightsync_qoh = models.IntegerField("LightSync quantity")
    lightspeed_qoh = models.IntegerField("Lightspeed quantity")
    moved_at = models.DateTimeField("moved in Lightspeed at", null=True, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    company_field = "company"

    class Meta:
        verbose_name = "stock drift"
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "shop"], condition=Q(status="open"), name="one_open_drift_per_item_shop"
            )
        ]

    def __str__(self) -> str:
        return f"{self.link.product.sku} @ {self.shop}: LightSync {self.lightsync_qoh}, Lightspeed {self.lightspeed_qoh}"

    @property
    def difference(self) -> int:
        return self.lightspeed_qoh - self.lightsync_qoh


class UploadPreview(ProductLink):
    """The admin's "Preview upload" list: the links whose next upload would send something."""

    class Meta:
        proxy = True
        verbose_name = "upload preview"
        verbose_name_plural = "preview upload"
