"""Item matrices, the attribute sets they use, and inventory counts (Lightspeed's field names)."""

from django.db import models

from .retail import money


class ItemAttributeSet(models.Model):
    """Lightspeed's built-in sets (1 Color/Size, 2 Size, 3 Color, 4 3 Attributes) are the same in
    every account: they are stored once, with accountID 0 (migration 0009), and never reset."""

    itemAttributeSetID = models.IntegerField(primary_key=True)
    accountID = models.IntegerField(default=0, db_index=True)  # 0: shared by every account
    name = models.CharField(max_length=100)
    attributeName1 = models.CharField(max_length=100, default="")
    attributeName2 = models.CharField(max_length=100, default="")
    attributeName3 = models.CharField(max_length=100, default="")
    system = models.BooleanField(default=True)
    archived = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    def attribute_names(self) -> tuple[str, str, str]:
        return (self.attributeName1, self.attributeName2, self.attributeName3)


class ItemMatrix(models.Model):
    """A style sold in variants: its items carry `itemMatrixID` and their ItemAttributes."""

    itemMatrixID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    description = models.CharField(max_length=500)
    tax = models.BooleanField(default=True)
    defaultCost = money()
    itemType = models.CharField(max_length=50, default="default")
    serialized = models.BooleanField(default=False)
    modelYear = models.IntegerField(default=0)
    archived = models.BooleanField(default=False)
    itemAttributeSetID = models.IntegerField()
    manufacturerID = models.IntegerField(default=0)
    categoryID = models.IntegerField(default=0)
    defaultVendorID = models.IntegerField(default=0)
    taxClassID = models.IntegerField(default=1)
    seasonID = models.IntegerField(default=0)
    departmentID = models.IntegerField(default=0)
    itemECommerceID = models.IntegerField(default=0)
    # {"1": "149", "2": "0", ...}: the matrix's price per level (useTypeID), as text.
    prices = models.JSONField(default=dict)
    createTime = models.DateTimeField()
    timeStamp = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "itemMatrixID"]),
            models.Index(fields=["accountID", "timeStamp", "itemMatrixID"]),
            models.Index(fields=["accountID", "description", "itemMatrixID"]),
        ]

    def __str__(self) -> str:
        return self.description


class InventoryCount(models.Model):
    """A physical stock count at a shop (read-only here: the sandbox does not reconcile)."""

    inventoryCountID = models.AutoField(primary_key=True)
    accountID = models.IntegerField(db_index=True)
    name = models.CharField(max_length=200)
    shopID = models.IntegerField(default=0)
    archived = models.BooleanField(default=False)
    timeStamp = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
