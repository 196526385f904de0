"""The admin merchants and ops staff work in, behind the company wall (integrations.core.admin).

Stock is read-only everywhere: it changes only through the stock service, from the product's
"Adjust stock" page or a stock CSV import, so the ledger stays whole.
"""

from django import forms
from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportMixin

from integrations.commerce import (
    product_admin,  # noqa: F401 - registers the product admin
    users_admin,  # noqa: F401 - registers the user and group admins
)
from integrations.commerce.admin_money import MONEY_INPUTS, money_text
from integrations.commerce.models import (
    Company,
    Order,
    OrderLine,
    OrderPayment,
    Return,
    ReturnLine,
    StockLedgerEntry,
    StockLevel,
    Warehouse,
)
from integrations.commerce.resources import StockLevelResource
from integrations.core.admin import CompanyScopedAdmin, CompanyScopedImportExportMixin, CompanyScopedInline

ADDRESS_FIELDS = ("address1", "address2", "city", "state", "postal_code", "country")


def _prefixed(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{name}" for name in ADDRESS_FIELDS)


class ReadOnlyAdminMixin:
    """Records written only by services (stock levels, the ledger): readable, never edited here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MerchantCompanyForm(forms.ModelForm):
    """A merchant's own company. A name another company holds is refused without saying so:
    "already exists" would confirm to one merchant that another company of that name uses LightSync."""

    class Meta:
        model = Company
        fields = ("name", "phone", "email", *ADDRESS_FIELDS)
        error_messages = {"name": {"unique": "This name cannot be used; choose another."}}


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    company_field = "pk"
    list_display = ("name", "city", "state", "country", "phone", "email")
    search_fields = ("name", "email", "city")
    fieldsets = (
        (None, {"fields": ("name", "phone", "email")}),
        ("Address", {"fields": ADDRESS_FIELDS}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self.sees_all(request):  # ops staff see every company, and the real reason
            kwargs["form"] = MerchantCompanyForm
        return super().get_form(request, obj, change, **kwargs)


@admin.register(Warehouse)
class WarehouseAdmin(CompanyScopedAdmin):
    list_display = ("name", "code", "company", "is_sellable", "is_default")
    list_filter = ("is_sellable", "is_default", "company")
    search_fields = ("name", "code")
    fields = ("company", "name", "code", "is_sellable", "is_default")


@admin.register(StockLevel)
class StockLevelAdmin(
    ReadOnlyAdminMixin, CompanyScopedImportExportMixin, ImportExportMixin, CompanyScopedAdmin
):
    company_field = "product__company"
    resource_classes = [StockLevelResource]
    list_display = ("product", "warehouse", "on_hand", "reserved", "available", "updated_at")
    list_filter = ("warehouse", "warehouse__is_sellable", "product__company")
    search_fields = ("product__sku", "product__upc", "product__ean", "product__title")
    list_select_related = ("product", "warehouse")

    def has_import_permission(self, request):
        # A stock import is a stock adjustment: it needs that permission, not "add".
        return self.has_view_permission(request) and request.user.has_perm("commerce.adjust_stock")


@admin.register(StockLedgerEntry)
class StockLedgerEntryAdmin(
    ReadOnlyAdminMixin, CompanyScopedImportExportMixin, ExportMixin, CompanyScopedAdmin
):
    company_field = "product__company"
    list_display = (
        "created_at",
        "product",
        "warehouse",
        "quantity_change",
        "on_hand_after",
        "reason",
        "reference",
        "created_by",
    )
    list_filter = ("reason", "warehouse", "created_at", "product__company")
    search_fields = ("product__sku", "product__upc", "product__ean", "reference")
    list_select_related = ("product", "warehouse", "created_by")
    date_hierarchy = "created_at"


CHANNEL_MONEY_TEXT = ("subtotal_text", "discount_text", "tax_text", "total_text")


def _renamed(fields, money: set[str]):
    """A fieldset's fields with the money ones swapped for their read-only `*_text` columns."""
    renamed = []
    for field in fields:
        if isinstance(field, (tuple, list)):
            renamed.append(tuple(f"{f}_text" if f in money else f for f in field))
        else:
            renamed.append(f"{field}_text" if field in money else field)
    return tuple(renamed)


def from_channel(record: Order | Return | None) -> bool:
    """An order or return a sales channel brought in (a POS sale, a refund) is that channel's record.

    Its lines, payments and money are shown, not edited: an edit here would move no stock, and the
    channel would never learn of it. Manual orders stay fully editable.
    """
    return record is not None and record.pk is not None and record.channel != Order.Channel.MANUAL


def money_column(name: str, label: str):
    """A read-only money column shown as money_text (354.92, 11.4860025), for channel records."""

    @admin.display(description=label)
    def column(self, obj) -> str:
        value = getattr(obj, name)
        return money_text(value) if value is not None else "—"

    column.__name__ = f"{name}_text"
    return column


class ChannelRecordInline:
    """Mix into a line inline of orders/returns: read-only (money as text) on a channel's record."""

    money_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if from_channel(obj):
            return list(_renamed(fields, set(self.money_fields)))
        return fields

    def get_readonly_fields(self, request, obj=None):
        if from_channel(obj):
            return self.get_fields(request, obj)
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return not from_channel(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not from_channel(obj) and super().has_delete_permission(request, obj)


class OrderLineInline(ChannelRecordInline, CompanyScopedInline, admin.TabularInline):
    model = OrderLine
    company_field = "order__company"
    autocomplete_fields = ("product",)
    fields = (
        "product",
        "sku",
        "title",
        "unknown_reference",
        "quantity",
        "unit_price",
        "discount",
        "tax",
        "line_total",
        "channel_line_id",
    )
    money_fields = ("unit_price", "discount", "tax", "line_total")
    unit_price_text = money_column("unit_price", "unit price")
    discount_text = money_column("discount", "discount")
    tax_text = money_column("tax", "tax")
    line_total_text = money_column("line_total", "line total")
    formfield_overrides = MONEY_INPUTS
    extra = 0


class OrderPaymentInline(ChannelRecordInline, CompanyScopedInline, admin.TabularInline):
    model = OrderPayment
    company_field = "order__company"
    fields = ("payment_type", "amount", "reference", "paid_at")
    money_fields = ("amount",)
    amount_text = money_column("amount", "amount")
    formfield_overrides = MONEY_INPUTS
    extra = 0


@admin.register(Order)
class OrderAdmin(CompanyScopedImportExportMixin, ExportMixin, CompanyScopedAdmin):
    list_display = (
        "__str__",
        "channel",
        "channel_order_id",
        "status",
        "order_date",
        "customer_name",
        "total_text",
        "company",
    )
    list_filter = ("status", "channel", "payment_status", "shipping_status", "company", "order_date")
    search_fields = ("=id", "channel_order_id", "customer_name", "customer_email", "lines__sku")
    search_help_text = "Order number, channel order id, customer or SKU"
    list_select_related = ("company",)
    date_hierarchy = "order_date"
    inlines = [OrderLineInline, OrderPaymentInline]
    formfield_overrides = MONEY_INPUTS
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "company",
                    ("channel", "channel_order_id"),
                    ("status", "payment_status", "shipping_status"),
                    "order_date",
                )
            },
        ),
        ("Customer", {"fields": ("customer_name", "customer_email", "customer_phone")}),
        (
            "Billing address",
            {"classes": ("collapse",), "fields": ("billing_name", "billing_company", *_prefixed("billing"))},
        ),
        (
            "Shipping",
            {
                "classes": ("collapse",),
                "fields": (
                    ("shipping_carrier", "shipping_service"),
                    "shipping_name",
                    "shipping_company",
                    *_prefixed("shipping"),
                ),
            },
        ),
        ("Totals", {"fields": (("subtotal", "discount", "tax", "total"),)}),
        ("Notes", {"fields": ("notes",)}),
    )

    @admin.display(description="total", ordering="total")
    def total_text(self, order: Order) -> str:
        return money_text(order.total)

    subtotal_text = money_column("subtotal", "subtotal")
    discount_text = money_column("discount", "discount")
    tax_text = money_column("tax", "tax")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not from_channel(obj):
            return fieldsets
        money = {"subtotal", "discount", "tax", "total"}
        return [
            (name, {**options, "fields": _renamed(options["fields"], money)}) for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if from_channel(obj):
            # The channel's record: what was sold, when and for how much (status and notes stay
            # editable, e.g. to mark a Problem).
            return (*readonly, "channel", "channel_order_id", "order_date", *CHANNEL_MONEY_TEXT)
        return readonly


class ReturnLineInline(ChannelRecordInline, CompanyScopedInline, admin.TabularInline):
    model = ReturnLine
    company_field = "order_return__company"
    autocomplete_fields = ("product",)
    raw_id_fields = ("order_line",)
    fields = ("product", "sku", "order_line", "quantity", "warehouse", "refund_amount", "reason")
    money_fields = ("refund_amount",)
    refund_amount_text = money_column("refund_amount", "refund amount")
    formfield_overrides = MONEY_INPUTS
    extra = 0


@admin.register(Return)
class ReturnAdmin(CompanyScopedImportExportMixin, ExportMixin, CompanyScopedAdmin):
    list_display = ("__str__", "order", "channel", "return_date", "refund_text", "reason", "company")
    list_filter = ("channel", "company", "return_date")
    search_fields = ("=id", "channel_return_id", "=order__id", "order__channel_order_id", "lines__sku")
    search_help_text = "Return number, order number, channel ids or SKU"
    list_select_related = ("company", "order")
    raw_id_fields = ("order",)
    date_hierarchy = "return_date"
    inlines = [ReturnLineInline]
    formfield_overrides = MONEY_INPUTS
    fields = (
        "company",
        "order",
        ("channel", "channel_return_id"),
        "return_date",
        "reason",
        "refund_amount",
        "notes",
    )

    @admin.display(description="refund amount", ordering="refund_amount")
    def refund_text(self, order_return: Return) -> str:
        return money_text(order_return.refund_amount)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return _renamed(fields, {"refund_amount"}) if from_channel(obj) else fields

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if from_channel(obj):
            return (*readonly, "order", "channel", "channel_return_id", "return_date", "refund_amount_text")
        return readonly

    refund_amount_text = money_column("refund_amount", "refund amount")
