"""Admin of the order download: the Lightspeed sales seen (with links to their orders and
returns, times in the shop's time zone) and the unmatched items a person maps to a product."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from integrations.commerce.models import Product
from integrations.core.admin import CompanyScopedAdmin
from integrations.lightspeed.models import SyncIssue
from integrations.lightspeed.models.orders import LightspeedSale, UnmatchedItem
from integrations.lightspeed.orders.services.resolve import (
    UnmatchedItemResolveError,
    unmatched_item_conflict,
    unmatched_item_resolve,
)
from integrations.lightspeed.orders.services.sale_build import shop_time


def _local(moment, shop) -> str:
    return shop_time(moment, shop.time_zone if shop is not None else "") or "—"


@admin.register(LightspeedSale)
class LightspeedSaleAdmin(CompanyScopedAdmin):
    list_display = (
        "sale_id",
        "state",
        "completed_local",
        "shop",
        "register",
        "employee",
        "order_link",
        "return_link",
        "company",
    )
    list_filter = ("state", "shop")
    search_fields = ("sale_id", "ticket_number")
    list_select_related = ("shop", "register", "employee", "order", "order_return", "company")
    readonly_fields = [f.name for f in LightspeedSale._meta.fields] + [
        "completed_local",
        "order_link",
        "return_link",
    ]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="completed (shop time)", ordering="complete_time")
    def completed_local(self, obj: LightspeedSale) -> str:
        return _local(obj.complete_time or obj.time_stamp, obj.shop)

    @admin.display(description="order")
    def order_link(self, obj: LightspeedSale):
        if not obj.order_id:
            return "—"
        url = reverse("admin:commerce_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order)

    @admin.display(description="return")
    def return_link(self, obj: LightspeedSale):
        if not obj.order_return_id:
            return "—"
        url = reverse("admin:commerce_return_change", args=[obj.order_return_id])
        return format_html('<a href="{}">{}</a>', url, obj.order_return)


class MapToProductForm(forms.ModelForm):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        help_text="Every sale line of this Lightspeed item becomes this product, and its stock moves once.",
    )

    class Meta:
        model = UnmatchedItem
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["product"].queryset = Product.objects.filter(
                company_id=self.instance.company_id, is_parent=False
            )

    def clean_product(self):
        product = self.cleaned_data["product"]
        conflict = unmatched_item_conflict(issue=self.instance, product=product)
        if conflict:
            raise forms.ValidationError(conflict)
        return product


@admin.register(UnmatchedItem)
class UnmatchedItemAdmin(CompanyScopedAdmin):
    """Choose the product of a Lightspeed item that matched none: Save maps it."""

    form = MapToProductForm
    list_display = ("key", "message", "count", "status", "last_seen_at", "company")
    list_filter = ("status",)
    search_fields = ("key", "message")
    readonly_fields = ("company", "key", "message", "count", "status", "first_seen_at", "last_seen_at")
    fields = ("company", "key", "message", "count", "status", "first_seen_at", "last_seen_at", "product")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=SyncIssue.Kind.UNMATCHED_ITEM)

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        try:
            result = unmatched_item_resolve(
                issue=obj, product=form.cleaned_data["product"], user=request.user
            )
        except UnmatchedItemResolveError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            f"Lightspeed item {obj.key} is now {form.cleaned_data['product'].sku}: "
            f"{result['lines']} line(s) fixed, {result['stock_moves']} stock move(s).",
            messages.SUCCESS,
        )

    def log_change(self, request, obj, message):
        return None  # the issue records the resolution itself
