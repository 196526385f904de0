"""What the shops job downloads (shops, registers, employees, price levels) and the shop mapping."""

from __future__ import annotations

from django.db import models

from integrations.commerce.models import Company, Warehouse
from integrations.core.models import TimeStampedModel


class LightspeedShop(TimeStampedModel):
    """A shop downloaded from Lightspeed, with its mapping (warehouses, employee, register)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_shops")
    shop_id = models.PositiveIntegerField("Lightspeed shopID")
    name = models.CharField(max_length=255)
    time_zone = models.CharField(max_length=64, blank=True)
    archived = models.BooleanField(default=False)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    warehouses = models.ManyToManyField(
        Warehouse, through="LightspeedShopWarehouse", related_name="lightspeed_shops", blank=True
    )
    employee = models.ForeignKey(
        "LightspeedEmployee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The employee Lightspeed records LightSync's writes against for this shop.",
    )
    register = models.ForeignKey(
        "LightspeedRegister",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A register of this shop.",
    )

    class Meta:
        verbose_name = "Lightspeed shop"
        ordering = ["company", "name", "shop_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "shop_id"], name="lightspeed_shop_unique_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (archived)' if self.archived else ''}"


class LightspeedShopWarehouse(models.Model):
    """A shop's warehouses, in order: the first is drawn from first."""

    shop = models.ForeignKey(LightspeedShop, on_delete=models.CASCADE, related_name="warehouse_links")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "shop warehouse"
        ordering = ["shop", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "warehouse"], name="lightspeed_shop_warehouse_once")
        ]

    def __str__(self) -> str:
        return f"{self.shop} ← {self.warehouse} (#{self.position + 1})"


class LightspeedRegister(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_registers")
    register_id = models.PositiveIntegerField("Lightspeed registerID")
    shop = models.ForeignKey(LightspeedShop, on_delete=models.CASCADE, related_name="registers")
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)

    class Meta:
        verbose_name = "Lightspeed register"
        ordering = ["company", "shop", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "register_id"], name="lightspeed_register_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.register_id}){' (archived)' if self.archived else ''}"


class LightspeedEmployee(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_employees")
    employee_id = models.PositiveIntegerField("Lightspeed employeeID")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    lock_out = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    limit_to_shop_id = models.PositiveIntegerField(default=0, help_text="0: works in every shop.")

    class Meta:
        verbose_name = "Lightspeed employee"
        ordering = ["company", "first_name", "last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_id"], name="lightspeed_employee_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip() or f"Employee {self.employee_id}"
        return f"{name} ({self.employee_id}){' (archived)' if self.archived else ''}"


class LightspeedPriceLevel(TimeStampedModel):
    """A Lightspeed price level (Default, MSRP, Online, custom ones), downloaded by the shops job
    so Advanced settings can offer them by name; its id is the useTypeID of an item's prices."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_price_levels")
    price_level_id = models.PositiveIntegerField("Lightspeed priceLevelID")
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)
    level_type = models.CharField("type", max_length=30, blank=True, help_text="fixed or calculated")

    class Meta:
        verbose_name = "Lightspeed price level"
        ordering = ["company", "price_level_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "price_level_id"], name="lightspeed_price_level_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_level_id}){' (archived)' if self.archived else ''}"
