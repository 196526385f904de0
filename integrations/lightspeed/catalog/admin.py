"""Catalog admin, from the Lightspeed side: product links, a Lightspeed column, enabled filter and
bulk actions on the products list, the drift report with its "push" action, and the "Preview upload" list.

The product page gets a Lightspeed panel (a style's matrix; a variation's item, style and matrix).
Commerce's ProductAdmin belongs to commerce: the filter and actions are attached to the registered
instance from here, so commerce never imports the channel. Every action calls one service.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join

from integrations.commerce.models import Product
from integrations.core.admin import CompanyScopedAdmin
from integrations.lightspeed.api.records.matrices import BUILT_IN_ATTRIBUTE_SETS
from integrations.lightspeed.catalog.services.drift import drift_push
from integrations.lightspeed.catalog.services.enable import products_enabled_set
from integrations.lightspeed.catalog.services.upload import (
    UploadScope,
    plan_lines,
    upload_fields,
    upload_plan,
)
from integrations.lightspeed.models import (
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    MatrixLink,
    ProductLink,
    StockDrift,
    UploadPreview,
)

_preview = threading.local()


def _by_company(ids_with_company) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for pk, company_id in ids_with_company:
        grouped[company_id].append(pk)
    return grouped


def _set_enabled(request, product_ids_with_company, enabled: bool, admin_obj) -> None:
    changed = 0
    for company_id, ids in _by_company(product_ids_with_company).items():
        changed += products_enabled_set(company_id=company_id, product_ids=ids, enabled=enabled)
    word = "enabled for" if enabled else "disabled for"
    admin_obj.message_user(request, f"{changed} product(s) {word} Lightspeed.", messages.SUCCESS)


# --- on commerce's product list -------------------------------------------------------------


class LightspeedEnabledFilter(admin.SimpleListFilter):
    title = "enabled for Lightspeed"
    parameter_name = "lightspeed"

    def lookups(self, request, model_admin):
        return [
            ("enabled", "Enabled"),
            ("disabled", "Not enabled"),
            ("unlinked", "Enabled, not in Lightspeed yet"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "enabled":
            return queryset.filter(lightspeed_link__enabled=True)
        if self.value() == "disabled":
            return queryset.exclude(lightspeed_link__enabled=True)
        if self.value() == "unlinked":
            # A style is in Lightspeed as its matrix, not as an item.
            enabled = queryset.filter(lightspeed_link__enabled=True)
            return enabled.filter(is_parent=False, lightspeed_link__item_id__isnull=True) | enabled.filter(
                Q(lightspeed_matrix_link__isnull=True)
                | Q(lightspeed_matrix_link__item_matrix_id__isnull=True),
                is_parent=True,
            )
        return queryset


@admin.action(description="Enable selected products for Lightspeed", permissions=["change"])
def enable_for_lightspeed(modeladmin, request, queryset: QuerySet[Product]) -> None:
    _set_enabled(request, queryset.values_list("pk", "company_id"), True, modeladmin)


@admin.action(description="Disable selected products for Lightspeed", permissions=["change"])
def disable_for_lightspeed(modeladmin, request, queryset: QuerySet[Product]) -> None:
    _set_enabled(request, queryset.values_list("pk", "company_id"), False, modeladmin)


@admin.display(description="Lightspeed")
def lightspeed_state(product: Product) -> str:
    """Whether the product goes to Lightspeed, and as which item (the link comes in the list query)."""
    try:
        link = product.lightspeed_link
    except ProductLink.DoesNotExist:
        return "—"
    if product.is_parent:  # in Lightspeed as its matrix, never as an item
        matrix = getattr(product, "lightspeed_matrix_link", None)
        if matrix is not None and matrix.item_matrix_id:
            return f"matrix {matrix.item_matrix_id}" + ("" if link.enabled else ", not enabled")
        return "enabled, matrix not in Lightspeed yet" if link.enabled else "—"
    if not link.enabled:
        return f"not enabled (item {link.item_id})" if link.item_id else "—"
    return f"item {link.item_id}" if link.item_id else "enabled, not in Lightspeed yet"


def _matrix_text(style: Product) -> str:
    link = MatrixLink.objects.filter(product_id=style.pk).first()
    if link is None or not link.item_matrix_id:
        if link is not None and link.create_sent_at:
            return "matrix being created in Lightspeed"
        return "no Lightspeed matrix yet"
    attribute_set = BUILT_IN_ATTRIBUTE_SETS.get(link.item_attribute_set_id or 0)
    how = ProductLink.MatchedBy(link.matched_by).label if link.matched_by else ""
    details = ", ".join(
        part for part in (f"attribute set {attribute_set.name}" if attribute_set else "", how) if part
    )
    return f"item matrix {link.item_matrix_id}" + (f" ({details})" if details else "")


@admin.display(description="Lightspeed")
def lightspeed_panel(product: Product) -> str:
    """The product page's Lightspeed line: a style's matrix; a variation's style, matrix and item."""
    if product.pk is None:
        return "—"
    if product.is_parent:
        return f"Style: {_matrix_text(product)}."
    item = lightspeed_state(product)
    if product.parent_id is None:
        return f"Item: {item}."
    return f"Item: {item}. Style {product.parent.sku}: {_matrix_text(product.parent)}."


def _with_lightspeed_panel(get_fieldsets):
    def fieldsets(request, obj=None):
        sets = list(get_fieldsets(request, obj))
        if obj is not None:
            sets.append(("Lightspeed", {"fields": ("lightspeed_panel",)}))
        return sets

    return fieldsets


def _attach_to_product_admin() -> None:
    product_admin = admin.site._registry.get(Product)
    if product_admin is None or enable_for_lightspeed in (product_admin.actions or []):
        return
    # The change view's Lightspeed panel: a style's matrix, a variation's style and matrix.
    product_admin.lightspeed_panel = lightspeed_panel
    product_admin.readonly_fields = (*product_admin.readonly_fields, "lightspeed_panel")
    product_admin.get_fieldsets = _with_lightspeed_panel(product_admin.get_fieldsets)
    product_admin.actions = [*(product_admin.actions or []), enable_for_lightspeed, disable_for_lightspeed]
    product_admin.list_filter = (*product_admin.list_filter, LightspeedEnabledFilter)
    columns = list(product_admin.list_display)
    columns.insert(columns.index("active") if "active" in columns else len(columns), lightspeed_state)
    product_admin.list_display = tuple(columns)
    product_admin.list_select_related = (
        *(product_admin.list_select_related or ()),
        "lightspeed_link",
        "lightspeed_matrix_link",
    )


_attach_to_product_admin()


# --- product links -----------------------------------------------------------------------------


@admin.register(ProductLink)
class ProductLinkAdmin(CompanyScopedAdmin):
    list_display = (
        "product",
        "enabled",
        "item_id",
        "system_sku",
        "matched_by",
        "item_archived",
        "upload_due_at",
        "company",
    )
    list_filter = ("enabled", "matched_by", "item_archived", "company")
    search_fields = ("product__sku", "product__title", "system_sku", "=item_id")
    list_select_related = ("product", "company")
    raw_id_fields = ("product",)
    actions = ["enable", "disable"]
    readonly_fields = (
        "system_sku",
        "linked_at",
        "item_time_stamp",
        "price_seen",
        "price_sent",
        "price_sent_at",
        "cost_seen",
        "cost_sent",
        "cost_sent_at",
        "upload_due_at",
    )

    def save_model(self, request, obj, form, change):
        if change and "item_id" in form.changed_data:
            # Linked to another item by hand: what was seen of (and sent to) the old item says
            # nothing of the new one. Forget it, so the next upload reads the item and sends
            # what differs.
            now = timezone.now()
            obj.matched_by = ProductLink.MatchedBy.MANUAL if obj.item_id else ""
            obj.linked_at = now if obj.item_id else None
            obj.system_sku, obj.item_time_stamp, obj.item_archived = "", None, False
            obj.price_seen = obj.price_sent = obj.price_sent_at = None
            obj.cost_seen = obj.cost_sent = obj.cost_sent_at = None
            obj.upload_due_at = obj.upload_due_at or now
            ItemShopState.objects.filter(link_id=obj.pk).delete()
        super().save_model(request, obj, form, change)

    @admin.action(description="Enable selected products for Lightspeed", permissions=["change"])
    def enable(self, request, queryset):
        _set_enabled(request, queryset.values_list("product_id", "company_id"), True, self)

    @admin.action(description="Disable selected products for Lightspeed", permissions=["change"])
    def disable(self, request, queryset):
        _set_enabled(request, queryset.values_list("product_id", "company_id"), False, self)


@admin.register(MatrixLink)
class MatrixLinkAdmin(CompanyScopedAdmin):
    list_display = (
        "product",
        "item_matrix_id",
        "item_attribute_set_id",
        "matched_by",
        "linked_at",
        "company",
    )
    list_filter = ("matched_by", "company")
    search_fields = ("product__sku", "product__title", "=item_matrix_id")
    list_select_related = ("product", "company")
    raw_id_fields = ("product",)
    readonly_fields = ("linked_at", "create_sent_at")


# --- drift report ------------------------------------------------------------------------------


@admin.register(StockDrift)
class StockDriftAdmin(CompanyScopedAdmin):
    list_display = (
        "product",
        "shop",
        "lightsync",
        "lightspeed",
        "state",
        "detected",
        "company",
    )
    list_filter = ("status", "company")
    search_fields = ("link__product__sku", "link__product__title")
    list_select_related = ("link__product", "shop", "company")
    actions = ["push"]
    readonly_fields = [f.name for f in StockDrift._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="product", ordering="link__product__sku")
    def product(self, drift: StockDrift) -> str:
        return str(drift.link.product)

    @admin.display(description="LightSync", ordering="lightsync_qoh")
    def lightsync(self, drift: StockDrift) -> int:
        return drift.lightsync_qoh

    @admin.display(description="Lightspeed (difference)", ordering="lightspeed_qoh")
    def lightspeed(self, drift: StockDrift) -> str:
        return f"{drift.lightspeed_qoh} ({drift.difference:+d})"

    @admin.display(description="status", ordering="status")
    def state(self, drift: StockDrift) -> str:
        return {"open": "Open", "pushed": "Overwritten", "resolved": "Resolved"}.get(
            drift.status, drift.status
        )

    @admin.display(description="detected", ordering="detected_at")
    def detected(self, drift: StockDrift) -> str:
        return date_format(timezone.localtime(drift.detected_at), "SHORT_DATETIME_FORMAT")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Stock drift report",
            "subtitle": "Quantities changed in Lightspeed that no downloaded sale explains.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description="Push LightSync's quantity to Lightspeed now", permissions=["change"])
    def push(self, request, queryset):
        pushed = 0
        for company_id, ids in _by_company(queryset.values_list("pk", "company_id")).items():
            pushed += drift_push(company_id=company_id, drift_ids=ids)
        self.message_user(
            request, f"{pushed} quantity(ies) will be overwritten with LightSync's in a moment."
        )


# --- preview upload ----------------------------------------------------------------------------


@admin.register(UploadPreview)
class UploadPreviewAdmin(CompanyScopedAdmin):
    """What the next upload would send (product, shop or field: Lightspeed now → new), not sent."""

    list_display = ("product", "would_send", "company")
    list_select_related = ("product", "company")
    search_fields = ("product__sku", "product__title")
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        links = super().get_queryset(request)
        request._upload_previews = previews = {}
        for settings_obj in LightspeedSettings.objects.filter(company_id__in=links.values("company_id")):
            fields = upload_fields(settings_obj)
            if not fields:
                continue
            plans = upload_plan(settings_obj=settings_obj, fields=fields, scope=UploadScope())
            names = dict(
                LightspeedShop.objects.filter(company_id=settings_obj.company_id).values_list("pk", "name")
            )
            for link_id, plan in plans.items():
                previews[link_id] = plan_lines(plan, names)
        return links.filter(pk__in=[pk for pk, lines in previews.items() if lines])

    @admin.display(description="would send (Lightspeed now → new)")
    def would_send(self, link: ProductLink) -> str:
        lines = getattr(_preview, "lines", {}).get(link.pk, [])
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Preview upload",
            "subtitle": "What the next upload would send. Nothing is sent from this page.",
            **(extra_context or {}),
        }
        self.get_queryset(request)
        _preview.lines = request._upload_previews  # list_display callables get no request
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # while the lines are there: a TemplateResponse renders late
            return response
        finally:
            _preview.lines = {}
