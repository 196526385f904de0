"""The API's resources: model, id, scopes, sortable fields, relations (API-NOTES is the source)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from integrations.lightspeed_sandbox import serializers as s
from integrations.lightspeed_sandbox import serializers_catalog as sc
from integrations.lightspeed_sandbox import serializers_matrices as sm
from integrations.lightspeed_sandbox.store import models as m

# "Any of" these (with the `employee:` prefix) opens the endpoint; `all` opens every one.
SHOP_SCOPES = ("register", "reports", "workbench", "customers", "admin", "inventory_base", "cfd")
ITEM_SCOPES = ("register", "product_cost", "reports", "workbench", "customers", "admin", "cfd")
ITEM_SHOP_SCOPES = ("inventory", "inventory_read", "product_cost")
SALE_SCOPES = ("register", "cfd")
# The ItemMatrix page names product_cost; the scopes page says inventory opens "items and
# inventory", so the sandbox opens matrices to what opens Item and to inventory(_read) too.
MATRIX_SCOPES = (*ITEM_SCOPES, "inventory", "inventory_read")
# ItemAttributeSet's page names inventory_base; whatever reads items can read their sets.
ATTRIBUTE_SET_SCOPES = (*MATRIX_SCOPES, "inventory_base")
VALID_SCOPES = {
    "all",
    "register",
    "register_read",
    "inventory",
    "inventory_read",
    "inventory_base",
    "inventory_counts",
    "product_cost",
    "reports",
    "workbench",
    "customers",
    "customers_read",
    "admin",
    "admin_void_sale",
    "cfd",
    "purchase_orders",
    "employee_hours",
}


@dataclass(frozen=True)
class Relation:
    """A loadable relation; `model`/`local`/`remote` make `Name.field=…` filters possible."""

    many: bool
    model: type[models.Model] | None = None
    local: str = ""
    remote: str = ""
    fields: tuple[str, ...] = ()  # the fields `Name.field=` may search; empty: any of the model's


@dataclass(frozen=True)
class Resource:
    name: str
    model: type[models.Model]
    pk: str
    render: Callable[[list, set[str]], list[dict]]
    scopes: tuple[str, ...] | None  # None: any valid token
    sortable: tuple[str, ...]
    relations: dict[str, Relation] = field(default_factory=dict)
    always: tuple[str, ...] = ()  # relations returned without asking
    methods: tuple[str, ...] = ("GET",)
    read_only_scopes: tuple[str, ...] = ()  # listed scopes that only allow GET
    hidden: tuple[str, ...] = ()  # columns that are not API fields
    shared: bool = False  # rows of accountID 0 belong to every account (the built-in sets)

    @property
    def has_archived(self) -> bool:
        return any(f.name == "archived" for f in self.model._meta.get_fields())

    def rows(self, account_id: int) -> models.QuerySet:
        """The account's records (and, for a shared resource, everybody's)."""
        if self.shared:
            return self.model.objects.filter(accountID__in=(0, account_id))
        return self.model.objects.filter(accountID=account_id)


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "Shop",
            m.Shop,
            "shopID",
            s.render_shops,
            SHOP_SCOPES,
            ("shopID", "timeStamp"),
            {"Registers": Relation(True, m.Register, "shopID", "shopID"), "Contact": Relation(False)},
            hidden=("taxRate", "address1", "city", "state", "zip", "country", "phone"),
        ),
        Resource(
            "Register",
            m.Register,
            "registerID",
            s.render_registers,
            SHOP_SCOPES,
            ("registerID", "timeStamp"),
            {"Shop": Relation(False, m.Shop, "shopID", "shopID")},
        ),
        Resource(
            "Employee",
            m.Employee,
            "employeeID",
            s.render_employees,
            None,
            ("employeeID", "timeStamp"),
            {"Contact": Relation(False)},
            hidden=("username", "password", "email", "phone"),
        ),
        Resource(
            "PriceLevel",
            m.PriceLevel,
            "priceLevelID",
            s.render_price_levels,
            None,  # no particular scope: any valid token (API-NOTES)
            ("priceLevelID", "name"),
            methods=("GET", "PUT"),
            hidden=("id",),
        ),
        Resource(
            "Item",
            m.Item,
            "itemID",
            s.render_items,
            ITEM_SCOPES,
            ("itemID", "timeStamp", "description"),
            {
                "ItemShops": Relation(True, m.ItemShop, "itemID", "itemID"),
                "Prices": Relation(True, m.ItemPrice, "itemID", "itemID"),
                # Kept on the item's own row: `ItemAttributes.attribute1=Navy` filters work.
                "ItemAttributes": Relation(
                    False,
                    m.Item,
                    "itemID",
                    "itemID",
                    ("attribute1", "attribute2", "attribute3", "itemAttributeSetID"),
                ),
                "ItemAttributes.ItemAttributeSet": Relation(False),
            },
            always=("Prices",),
            methods=("GET", "POST", "PUT", "DELETE"),
            hidden=("itemAttributeSetID", "attribute1", "attribute2", "attribute3"),
        ),
        Resource(
            "ItemMatrix",
            m.ItemMatrix,
            "itemMatrixID",
            sm.render_item_matrices,
            MATRIX_SCOPES,
            ("itemMatrixID", "timeStamp", "description"),
            {
                "ItemAttributeSet": Relation(False),
                "Items": Relation(True, m.Item, "itemMatrixID", "itemMatrixID"),
            },
            methods=("GET", "POST", "PUT", "DELETE"),
            read_only_scopes=("inventory_read",),
            hidden=("prices", "createTime"),
        ),
        Resource(
            "ItemAttributeSet",
            m.ItemAttributeSet,
            "itemAttributeSetID",
            sc.render_item_attribute_sets,
            ATTRIBUTE_SET_SCOPES,
            ("itemAttributeSetID",),
            hidden=("accountID",),
            shared=True,
        ),
        Resource(
            "ItemShop",
            m.ItemShop,
            "itemShopID",
            s.render_item_shops,
            ITEM_SHOP_SCOPES,
            ("itemShopID", "timeStamp"),
            {"Item": Relation(False, m.Item, "itemID", "itemID")},
            methods=("GET", "PUT"),
            read_only_scopes=("inventory_read",),
        ),
        Resource(
            "Customer",
            m.Customer,
            "customerID",
            s.render_customers,
            SHOP_SCOPES,
            ("customerID", "timeStamp", "firstName", "lastName"),
            # Contact's searchable fields are columns of the customer's row (tutorials/searching).
            {
                "Contact": Relation(
                    False,
                    m.Customer,
                    "customerID",
                    "customerID",
                    ("email", "phoneHome", "phoneWork", "mobile", "pager", "fax"),
                ),
                "Tags": Relation(True),
            },
            methods=("GET", "POST", "PUT", "DELETE"),
            hidden=("contact", "email", "phoneHome", "phoneWork", "mobile", "pager", "fax"),
        ),
        Resource(
            "Sale",
            m.Sale,
            "saleID",
            s.render_sales,
            SALE_SCOPES,
            ("saleID", "timeStamp", "completeTime", "updatetime"),
            {
                "SaleLines": Relation(True, m.SaleLine, "saleID", "saleID"),
                "SaleLines.Item": Relation(False),
                "SaleLines.Note": Relation(False),
                "SalePayments": Relation(True, m.SalePayment, "saleID", "saleID"),
                "SalePayments.PaymentType": Relation(False),
                "Customer": Relation(False, m.Customer, "customerID", "customerID"),
                "Customer.Contact": Relation(False),
            },
            methods=("GET", "POST", "PUT", "DELETE"),
        ),
        Resource(
            "SaleLine",
            m.SaleLine,
            "saleLineID",
            s.render_sale_lines,
            SALE_SCOPES,
            ("saleLineID", "timeStamp"),
            {"Item": Relation(False, m.Item, "itemID", "itemID"), "Note": Relation(False)},
            hidden=("note", "lineType"),
        ),
        Resource(
            "PaymentType",
            m.PaymentType,
            "paymentTypeID",
            sc.render_payment_types,
            SHOP_SCOPES,
            ("paymentTypeID",),
        ),
        Resource(
            "InventoryCount",
            m.InventoryCount,
            "inventoryCountID",
            sc.render_inventory_counts,
            ("inventory_counts",),
            ("inventoryCountID",),
        ),
        Resource(
            "SaleVoid",
            m.SaleVoid,
            "saleVoidID",
            s.render_sale_voids,
            ("admin_void_sale",),
            ("saleVoidID", "saleID"),
            hidden=("registerID", "timeStamp"),
        ),
    )
}


# Real relations of entities the sandbox does not model: accepted and returned absent (as
# Lightspeed returns empty relations), so asking for them is not an error only here.
UNMODELLED = {
    "Shop": ("TaxCategory", "ReceiptSetup", "CCGateway", "PriceLevel", "ShelfLocations"),
    "Employee": ("EmployeeRole", "EmployeeRights"),
    "Item": (
        "Category",
        "Manufacturer",
        "Note",
        "TaxClass",
        "ItemComponents",
        "ItemVendorNums",
        "CustomFieldValues",
        "ItemECommerce",
        "Images",
        "Tags",
        "TagRelations",
        "TagRelations.Tag",
        "CustomFieldValues.value",
        "ItemShelfLocations",
        "ItemPrices",
        "DefaultVendor",
        "Department",
        "Season",
    ),
    "ItemMatrix": (
        "Category",
        "TaxClass",
        "Department",
        "Manufacturer",
        "Season",
        "Images",
        "ItemECommerce",
        "TagRelations",
        "TagRelations.Tag",
        "CustomFieldValues",
    ),
    "Customer": ("CreditAccount", "Note", "CustomFieldValues", "CustomerType", "Discount", "TaxCategory"),
    "Sale": (
        "TaxCategory",
        "TaxClassTotals",
        "Quote",
        "ShipTo",
        "Shop",
        "Register",
        "Employee",
        "SaleNotes",
        "Discount",
        "SaleLines.Discount",
        "SaleLines.TaxClass",
        "SaleLines.Item.ItemShops",
        "SaleLines.Item.Prices",
        "SaleLines.InventorySales",
        "SalePayments.CCCharge",
        "SalePayments.SaleAccounts",
        "SalePayments.Signatures",
        "ShipTo.Contact",
        "TaxCategory.TaxCategoryClasses",
    ),
    "SaleLine": ("TaxClass", "Discount", "Sale"),
}


def scope_allows(
    resource_scopes: tuple[str, ...] | None,
    granted: set[str],
    *,
    method: str,
    read_only: tuple[str, ...] = (),
) -> bool:
    if resource_scopes is None or "all" in granted:
        return True
    return any(scope in granted and (method == "GET" or scope not in read_only) for scope in resource_scopes)
