"""The product admin: products, styles (parent products) with their variations inline, stock per
warehouse (read-only) and the "Adjust stock" page.

Styles and variations are validated by `Product.clean` (integrations.commerce.variation_rules),
the same path the CSV import and the services take; this module only lays them out.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import OuterRef, Q, Subquery, Sum
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportMixin

from integrations.commerce.admin_money import MONEY_INPUTS, money_text
from integrations.commerce.forms import StockAdjustForm
from integrations.commerce.models import Product, StockLedgerEntry, StockLevel
from integrations.commerce.resources import ProductResource
from integrations.commerce.services.stock import StockError, stock_adjust
from integrations.core.admin import (
    CompanyScopedAdmin,
    CompanyScopedImportExportMixin,
    CompanyScopedInline,
    scope_to_company,
)

ATTRIBUTE_CHOICES_SHOWN = 300  # distinct attribute values offered in the list filter
STYLE_HELP = (
    "A style is a product sold in sizes and/or colours: tick “style (parent)” and name its one or "
    "two attributes (e.g. Color and Size). A variation is an ordinary product of a style: choose the "
    "style and enter its values. A style holds no stock and is never sold; its variations are."
)


class ProductForm(forms.ModelForm):
    """Errors `Product.clean` gives a field this form does not show go on top of the form."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            absent = [f for f in errors.error_dict if f != NON_FIELD_ERRORS and f not in self.fields]
            for field in absent:
                errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(errors.error_dict.pop(field))
        super()._update_errors(errors)


class ProductKindFilter(admin.SimpleListFilter):
    title = "style or variation"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("style", "Styles"), ("variation", "Variations"), ("plain", "Neither")]

    def queryset(self, request, queryset):
        if self.value() == "style":
            return queryset.filter(is_parent=True)
        if self.value() == "variation":
            return queryset.filter(parent__isnull=False)
        if self.value() == "plain":
            return queryset.filter(is_parent=False, parent__isnull=True)
        return queryset


class AttributeValueFilter(admin.SimpleListFilter):
    """Variations by one attribute value, e.g. "Size: M" — the values of the user's company only."""

    title = "attribute value"
    parameter_name = "attribute"

    def lookups(self, request, model_admin):
        variations = scope_to_company(Product.objects.filter(parent__isnull=False), request.user, "company")
        pairs = set()
        for n in (1, 2):
            pairs.update(
                variations.exclude(**{f"attribute_{n}_value": ""})
                .values_list(f"parent__attribute_{n}_name", f"attribute_{n}_value")
                .order_by()
                .distinct()[:ATTRIBUTE_CHOICES_SHOWN]
            )
        shown = sorted(pairs, key=lambda pair: (pair[0].casefold(), pair[1].casefold()))
        return [(f"{name}={value}", f"{name}: {value}") for name, value in shown[:ATTRIBUTE_CHOICES_SHOWN]]

    def queryset(self, request, queryset):
        if not self.value() or "=" not in self.value():
            return queryset
        name, value = self.value().split("=", 1)
        return queryset.filter(
            Q(parent__attribute_1_name=name, attribute_1_value=value)
            | Q(parent__attribute_2_name=name, attribute_2_value=value)
        )


def stock_summary_text(product: Product) -> str:
    """'12 on hand: Main 5 · Downtown 7' from the prefetched stock levels."""
    levels = [level for level in product.stock_levels.all() if level.on_hand]
    if not levels:
        return "0 on hand"
    per_warehouse = " · ".join(f"{level.warehouse.name} {level.on_hand}" for level in levels)
    return f"{sum(level.on_hand for level in levels)} on hand: {per_warehouse}"


class StockLevelInline(CompanyScopedInline, admin.TabularInline):
    model = StockLevel
    verbose_name_plural = "stock per warehouse"
    fields = ("warehouse", "on_hand", "reserved", "available", "updated_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse")


class VariationFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.company_id = self.instance.company_id  # a style's variations are its company's
        return form


class VariationInline(CompanyScopedInline, admin.TabularInline):
    model = Product
    fk_name = "parent"
    form = ProductForm
    formset = VariationFormSet
    verbose_name = "variation"
    verbose_name_plural = "variations"
    fields = ("sku", "title", "attribute_1_value", "attribute_2_value", "site_price", "stock_summary")
    readonly_fields = ("stock_summary",)
    formfield_overrides = MONEY_INPUTS
    show_change_link = True
    can_delete = False  # a variation is a product with stock and history: detach it on its own page
    extra = 0

    @admin.display(description="stock")
    def stock_summary(self, product: Product) -> str:
        return stock_summary_text(product) if product.pk else ""

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stock_levels__warehouse").order_by("id")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not obj.attribute_2_name:
            return [f for f in fields if f != "attribute_2_value"]
        return fields

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            for n in (1, 2):
                field = formset.form.base_fields.get(f"attribute_{n}_value")
                name = getattr(obj, f"attribute_{n}_name")
                if field is not None and name:
                    field.label, field.required = name, True
        return formset


def _variation_stock():
    return (
        StockLevel.objects.filter(product__parent=OuterRef("pk"))
        .order_by()
        .values("product__parent")
        .annotate(total=Sum("on_hand"))
        .values("total")
    )


PRODUCT_FIELDS = (
    "company",
    "sku",
    "title",
    ("upc", "ean", "manufacturer_sku"),
    ("site_price", "site_cost"),
    ("category", "active"),
)


# Admin autocompletes (model_name of the form's model) whose `product` must be sellable.
PICKERS_OF_SELLABLE = {"orderline", "returnline", "stocklevel"}


@admin.register(Product)
class ProductAdmin(CompanyScopedImportExportMixin, ImportExportMixin, CompanyScopedAdmin):
    resource_classes = [ProductResource]
    form = ProductForm
    change_form_template = "admin/commerce/product/change_form.html"
    list_display = (
        "sku",
        "title",
        "variation_text",
        "upc",
        "ean",
        "price_text",
        "cost_text",
        "on_hand",
        "active",
        "company",
    )
    list_filter = ("active", ProductKindFilter, AttributeValueFilter, "company")
    search_fields = ("sku", "upc", "ean", "manufacturer_sku", "title", "parent__sku")
    search_help_text = "SKU, UPC, EAN, manufacturer SKU, title or style SKU"
    list_select_related = ("company", "parent")
    readonly_fields = ("style_link",)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.is_parent:
            style = ("is_parent", ("attribute_1_name", "attribute_2_name"))
            return [
                (None, {"fields": PRODUCT_FIELDS}),
                ("Style", {"fields": style, "description": STYLE_HELP}),
            ]
        if obj is not None and obj.parent_id:
            values = (
                ("attribute_1_value", "attribute_2_value")
                if obj.parent.attribute_2_name
                else ("attribute_1_value",)
            )
            variation = ("style_link", "parent", values)
            return [(None, {"fields": PRODUCT_FIELDS}), ("Variation", {"fields": variation})]
        both = (
            "is_parent",
            ("attribute_1_name", "attribute_2_name"),
            "parent",
            ("attribute_1_value", "attribute_2_value"),
        )
        # A new product may be either; an existing plain one seldom becomes one: fold it away.
        classes = () if obj is None or request.GET.get("is_parent") else ("collapse",)
        section = {"fields": both, "description": STYLE_HELP, "classes": classes}
        return [(None, {"fields": PRODUCT_FIELDS}), ("Style or variation", section)]

    def get_inlines(self, request, obj):
        return [VariationInline] if obj is not None and obj.is_parent else [StockLevelInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and obj.parent_id:
            for n in (1, 2):
                name = getattr(obj.parent, f"attribute_{n}_name")
                field = form.base_fields.get(f"attribute_{n}_value")
                if field is not None and name:
                    field.label = name
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent" and formfield is not None:
            formfield.queryset = formfield.queryset.filter(is_parent=True)
            formfield.label = "style (parent)"
        return formfield

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (
            request.GET.get("model_name") in PICKERS_OF_SELLABLE
            and request.GET.get("field_name") == "product"
        ):
            # The product picker of an order line, a return line or a stock level: a style is
            # never sold and holds no stock, so only its variations are offered.
            queryset = queryset.filter(is_parent=False)
        return queryset, may_have_duplicates

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering from the query; keep it so autocomplete pages are stable.
        queryset = (
            super()
            .get_queryset(request)
            .annotate(
                total_on_hand=Sum("stock_levels__on_hand"), variations_on_hand=Subquery(_variation_stock())
            )
        )
        return queryset.order_by(*Product._meta.ordering)

    @admin.display(description="style / values", ordering="parent__sku")
    def variation_text(self, product: Product) -> str:
        if product.is_parent:
            return f"style: {' / '.join(product.attribute_names)}"
        if product.parent_id:
            return f"{product.parent.sku}: {' / '.join(product.attribute_values)}"
        return ""

    @admin.display(description="style (parent)")
    def style_link(self, product: Product) -> str:
        if not product.parent_id:
            return "—"
        url = reverse("admin:commerce_product_change", args=[product.parent_id])
        return format_html('<a href="{}">{}</a>', url, str(product.parent))

    @admin.display(description="site price", ordering="site_price")
    def price_text(self, product: Product) -> str:
        return money_text(product.site_price)

    @admin.display(description="site cost", ordering="site_cost")
    def cost_text(self, product: Product) -> str:
        return money_text(product.site_cost)  # 46.92, not 46.9200

    @admin.display(description="on hand", ordering="total_on_hand")
    def on_hand(self, product: Product) -> int:
        if product.is_parent:  # a style holds none: its variations' total
            return product.variations_on_hand or 0
        return product.total_on_hand or 0

    def get_urls(self):
        adjust = path(
            "<path:object_id>/adjust-stock/",
            self.admin_site.admin_view(self.adjust_stock_view),
            name="commerce_product_adjust_stock",
        )
        return [adjust, *super().get_urls()]

    def adjust_stock_view(self, request, object_id):
        product = self.get_object(request, unquote(object_id))
        if product is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm("commerce.adjust_stock"):
            raise PermissionDenied
        form = StockAdjustForm(request.POST or None, product=product)
        if request.method == "POST" and form.is_valid():
            try:
                level = stock_adjust(
                    product=product,
                    warehouse=form.cleaned_data["warehouse"],
                    quantity_change=form.cleaned_data["quantity_change"],
                    reason=StockLedgerEntry.Reason.ADJUSTMENT,
                    reference=form.cleaned_data["note"],
                    user=request.user,
                )
            except StockError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, f"{product.sku} in {level.warehouse}: {level.on_hand} on hand.", messages.SUCCESS
                )
                return redirect(reverse("admin:commerce_product_change", args=[product.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product}",
            "opts": self.opts,
            "original": product,
            "form": form,
            "levels": product.stock_levels.select_related("warehouse").order_by("warehouse__name"),
        }
        return TemplateResponse(request, "admin/commerce/product/adjust_stock.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_adjust_stock": request.user.has_perm("commerce.adjust_stock"),
        }
        return super().change_view(request, object_id, form_url, extra_context)
