"""The sandbox's data, in its own SQLite file.

Field names are Lightspeed's own (camelCase), so that a query parameter, a sort key or a JSON
key maps to a column without a translation table that could drift from the API. Ids are plain
integers with 0 meaning "none", as Lightspeed does, rather than foreign keys.
"""

from decimal import Decimal

from django.db import models

ZERO = Decimal("0")


def money() -> models.DecimalField:
    return models.DecimalField(max_digits=24, decimal_places=8, default=ZERO)


def default_price_levels() -> list:
    # Kept for migration 0005; the levels now live in PriceLevel.
    return [[1, "Default"], [2, "MSRP"], [3, "Online"]]


class Account(models.Model):
    accountID = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"{self.accountID} {self.name}"


class PriceLevel(models.Model):
    """A price level of an account: every item has one ItemPrice per level (useTypeID = the id,
    useType = the name). Ids are per account (1 Default, 2 MSRP, 3 Online in every account)."""

    accountID = models.IntegerField(db_index=True)
    priceLevelID = models.IntegerField()
    name = models.CharField(max_length=100)
    archived = models.BooleanField(default=False)
    canBeArchived = models.BooleanField(default=True)
    type = models.CharField(max_length=20, default="fixed")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["accountID", "priceLevelID"], name="sandbox_price_level_unique")
        ]

    def __str__(self) -> str:
        return f"{self.priceLevelID} {self.name}"


class ApiClient(models.Model):
    """An API client registered at Lightspeed: id, secret and its one redirect URI."""

    clientID = models.CharField(max_length=200, unique=True)
    secret = models.CharField(max_length=200)
    redirectUri = models.CharField(max_length=500)
    name = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return self.clientID


class Employee(models.Model):
    employeeID = models.AutoField(primary_key=True)
    accountID = models.IntegerField(db_index=True)
    firstName = models.CharField(max_length=100, default="")
    lastName = models.CharField(max_length=100, default="")
    lockOut = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    limitToShopID = models.IntegerField(default=0)
    timeStamp = models.DateTimeField()
    # The sandbox's own login (the real one is Lightspeed's); never rendered.
    username = models.CharField(max_length=150, default="", db_index=True)
    password = models.CharField(max_length=200, default="")
    email = models.CharField(max_length=200, default="")
    phone = models.CharField(max_length=50, default="")

    class Meta:
        indexes = [models.Index(fields=["accountID", "timeStamp", "employeeID"])]

    def __str__(self) -> str:
        return f"{self.firstName} {self.lastName}"


class Shop(models.Model):
    shopID = models.AutoField(primary_key=True)
    accountID = models.IntegerField(db_index=True)
    name = models.CharField(max_length=200)
    timeZone = models.CharField(max_length=100, default="America/New_York")
    archived = models.BooleanField(default=False)
    timeStamp = models.DateTimeField()
    taxRate = models.DecimalField(max_digits=10, decimal_places=6, default=ZERO)
    address1 = models.CharField(max_length=200, default="")
    city = models.CharField(max_length=100, default="")
    state = models.CharField(max_length=100, default="")
    zip = models.CharField(max_length=20, default="")
    country = models.CharField(max_length=100, default="")
    phone = models.CharField(max_length=50, default="")

    def __str__(self) -> str:
        return self.name


class Register(models.Model):
    registerID = models.AutoField(primary_key=True)
    accountID = models.IntegerField(db_index=True)
    shopID = models.IntegerField(db_index=True)
    name = models.CharField(max_length=200)
    archived = models.BooleanField(default=False)
    timeStamp = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class PaymentType(models.Model):
    paymentTypeID = models.AutoField(primary_key=True)
    accountID = models.IntegerField(db_index=True)
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=50, default="user defined")
    archived = models.BooleanField(default=False)
    requireCustomer = models.BooleanField(default=False)
    internalReserved = models.BooleanField(default=False)
    refundAsPaymentTypeID = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["accountID", "paymentTypeID"])]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    itemID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    systemSku = models.CharField(max_length=20, default="")
    customSku = models.CharField(max_length=200, default="", db_index=True)
    manufacturerSku = models.CharField(max_length=200, default="")
    upc = models.CharField(max_length=50, default="", db_index=True)
    ean = models.CharField(max_length=50, default="", db_index=True)
    description = models.CharField(max_length=500)
    defaultCost = money()
    avgCost = money()
    discountable = models.BooleanField(default=True)
    tax = models.BooleanField(default=True)
    archived = models.BooleanField(default=False)
    itemType = models.CharField(max_length=50, default="default")
    serialized = models.BooleanField(default=False)
    publishToEcom = models.BooleanField(default=False)
    modelYear = models.IntegerField(default=0)
    categoryID = models.IntegerField(default=0)
    taxClassID = models.IntegerField(default=1)
    departmentID = models.IntegerField(default=0)
    itemMatrixID = models.IntegerField(default=0)
    manufacturerID = models.IntegerField(default=0)
    seasonID = models.IntegerField(default=0)
    defaultVendorID = models.IntegerField(default=0)
    itemECommerceID = models.IntegerField(default=0)
    createTime = models.DateTimeField()
    timeStamp = models.DateTimeField()
    # ItemAttributes (a to-one relation at Lightspeed, kept on the item here): its id is 0 until
    # the item joins a matrix, then the item's own id; the values may stay empty (recorded).
    itemAttributesID = models.IntegerField(default=0)
    itemAttributeSetID = models.IntegerField(default=0)
    attribute1 = models.CharField(max_length=200, default="")
    attribute2 = models.CharField(max_length=200, default="")
    attribute3 = models.CharField(max_length=200, default="")

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "itemMatrixID", "itemID"]),
            models.Index(fields=["accountID", "itemID"]),
            models.Index(fields=["accountID", "timeStamp", "itemID"]),
            models.Index(fields=["accountID", "description", "itemID"]),
        ]

    def __str__(self) -> str:
        return self.description


class ItemPrice(models.Model):
    itemID = models.IntegerField(db_index=True)
    useTypeID = models.IntegerField()
    useType = models.CharField(max_length=100)
    amount = money()

    def __str__(self) -> str:
        return f"{self.useType} {self.amount}"


class ItemShop(models.Model):
    itemShopID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    itemID = models.IntegerField()
    shopID = models.IntegerField()  # 0: the account-wide total
    qoh = models.IntegerField(default=0)
    backorder = models.IntegerField(default=0)
    componentQoh = models.IntegerField(default=0)
    componentBackorder = models.IntegerField(default=0)
    reorderPoint = models.IntegerField(default=0)
    reorderLevel = models.IntegerField(default=0)
    onLayaway = models.IntegerField(default=0)
    onWorkorder = models.IntegerField(default=0)
    timeStamp = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["itemID", "shopID"], name="sandbox_itemshop_unique")]
        indexes = [
            models.Index(fields=["accountID", "itemShopID"]),
            models.Index(fields=["accountID", "timeStamp", "itemShopID"]),
        ]

    def __str__(self) -> str:
        return f"item {self.itemID} shop {self.shopID}: {self.qoh}"


class Customer(models.Model):
    customerID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    firstName = models.CharField(max_length=100, default="")
    lastName = models.CharField(max_length=100, default="")
    title = models.CharField(max_length=100, default="")
    company = models.CharField(max_length=200, default="")
    archived = models.BooleanField(default=False)
    createTime = models.DateTimeField()
    timeStamp = models.DateTimeField()
    # {"Addresses": [...], "Emails": [...], "Phones": [...]}: rendered with Lightspeed's quirks.
    contact = models.JSONField(default=dict)
    # The contact's searchable fields (`Contact.email=~,%x%`, `Contact.mobile=…`), kept from
    # `contact` by every write so the API's operators apply to them as to any column.
    email = models.CharField(max_length=254, default="")
    phoneHome = models.CharField(max_length=50, default="")
    phoneWork = models.CharField(max_length=50, default="")
    mobile = models.CharField(max_length=50, default="")
    pager = models.CharField(max_length=50, default="")
    fax = models.CharField(max_length=50, default="")

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "customerID"]),
            models.Index(fields=["accountID", "timeStamp", "customerID"]),
        ]

    def __str__(self) -> str:
        return f"{self.firstName} {self.lastName}"


class Sale(models.Model):
    saleID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    shopID = models.IntegerField(default=0)
    registerID = models.IntegerField(default=0)
    employeeID = models.IntegerField(default=0)
    customerID = models.IntegerField(default=0)
    timeStamp = models.DateTimeField()
    createTime = models.DateTimeField()
    completeTime = models.DateTimeField(null=True)
    updatetime = models.DateTimeField()
    completed = models.BooleanField(default=False)
    voided = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    ticketNumber = models.CharField(max_length=20, default="")
    referenceNumber = models.CharField(max_length=100, default="")
    referenceNumberSource = models.CharField(max_length=100, default="")
    discountPercent = money()
    tax1Rate = money()
    tax2Rate = money()
    change = money()
    calcDiscount = money()
    calcSubtotal = money()
    calcTaxable = money()
    calcNonTaxable = money()
    calcTax1 = money()
    calcTax2 = money()
    calcTotal = money()
    calcPayments = money()
    calcAvgCost = money()
    calcFIFOCost = money()
    total = money()
    totalDue = money()
    balance = money()
    taxTotal = money()
    taxCategoryID = models.IntegerField(default=1)
    quoteID = models.IntegerField(default=0)
    shipToID = models.IntegerField(default=0)
    discountID = models.IntegerField(default=0)
    isTaxInclusive = models.BooleanField(default=False)
    enablePromotions = models.BooleanField(default=True)
    receiptPreference = models.CharField(max_length=20, default="printed")

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "saleID"]),
            models.Index(fields=["accountID", "timeStamp", "saleID"]),
            models.Index(fields=["accountID", "updatetime", "saleID"]),
            models.Index(fields=["accountID", "completeTime", "saleID"]),
        ]

    def __str__(self) -> str:
        return f"sale {self.saleID}"


class SaleLine(models.Model):
    saleLineID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    saleID = models.IntegerField(db_index=True)
    itemID = models.IntegerField(default=0)
    unitQuantity = models.IntegerField(default=1)
    unitPrice = money()
    normalUnitPrice = money()
    discountAmount = money()
    discountPercent = money()
    avgCost = money()
    fifoCost = money()
    tax = models.BooleanField(default=True)
    tax1Rate = money()
    tax2Rate = money()
    isLayaway = models.BooleanField(default=False)
    isWorkorder = models.BooleanField(default=False)
    isSpecialOrder = models.BooleanField(default=False)
    displayableSubtotal = money()
    displayableUnitPrice = money()
    calcLineDiscount = money()
    calcTransactionDiscount = money()
    calcTotal = money()
    calcSubtotal = money()
    calcTax1 = money()
    calcTax2 = money()
    taxClassID = models.IntegerField(default=1)
    customerID = models.IntegerField(default=0)
    discountID = models.IntegerField(default=0)
    employeeID = models.IntegerField(default=0)
    noteID = models.IntegerField(default=0)
    parentSaleLineID = models.IntegerField(default=0)
    shopID = models.IntegerField(default=0)
    lineType = models.CharField(max_length=50, default="")
    note = models.CharField(max_length=500, default="")
    createTime = models.DateTimeField()
    timeStamp = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "saleLineID"]),
            models.Index(fields=["accountID", "timeStamp", "saleLineID"]),
        ]

    def __str__(self) -> str:
        return f"sale line {self.saleLineID}"


class SalePayment(models.Model):
    salePaymentID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    saleID = models.IntegerField(db_index=True)
    paymentTypeID = models.IntegerField(default=1)
    amount = money()
    archived = models.BooleanField(default=False)
    remoteReference = models.CharField(max_length=100, default="")
    registerID = models.IntegerField(default=0)
    employeeID = models.IntegerField(default=0)
    refPaymentID = models.IntegerField(default=0)
    createTime = models.DateTimeField()

    def __str__(self) -> str:
        return f"payment {self.salePaymentID}"


class SaleVoid(models.Model):
    saleVoidID = models.AutoField(primary_key=True)
    accountID = models.IntegerField()
    saleID = models.IntegerField(db_index=True)
    shopID = models.IntegerField(default=0)
    registerID = models.IntegerField(default=0)
    employeeID = models.IntegerField(default=0)
    reason = models.CharField(max_length=200, default="")
    createTime = models.DateTimeField()
    timeStamp = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["accountID", "saleVoidID"]),
            models.Index(fields=["accountID", "timeStamp", "saleVoidID"]),
        ]

    def __str__(self) -> str:
        return f"void of sale {self.saleID}"
