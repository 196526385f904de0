"""Admin pages of the Lightspeed channel, behind the company wall.

Minimal for now (the full General Settings page is a later issue), but real: the settings with
their connection status and a Fetch Token button, the downloaded shops with their mapping,
registers, employees, sync runs and issues. Tokens are only ever shown masked.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil

from integrations.core.admin import CompanyScopedAdmin, CompanyScopedInline
from integrations.lightspeed.jobs import JOBS
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncRun,
    mask_secret,
)
from integrations.lightspeed.services.runs import job_run
from integrations.lightspeed.services.settings import (
    SettingsChangeRefused,
    lightspeed_settings_save,
    lightspeed_settings_validate,
)

GENERAL_FIELDS = (
    "enabled",
    "shops_mapping_enabled",
    "account_id",
    "shop",
    "register",
    "employee",
    "redirect_uri",
    "auth_token_masked",
    "refresh_token_masked",
    "token_received_at",
    "returns_warehouse",
    "order_download_enabled",
    "inventory_upload_enabled",
    "price_upload_enabled",
    "cost_upload_enabled",
    "auto_enable_new_products",
    "auto_create_enabled_products",
    "use_company_address",
)


class LightspeedSettingsForm(forms.ModelForm):
    redirect_uri = LightspeedSettings._meta.get_field("redirect_uri").formfield(assume_scheme="https")
    client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Optional. Leave empty to keep the stored secret. Never shown.",
    )

    class Meta:
        model = LightspeedSettings
        fields = [
            *(
                name
                for name in GENERAL_FIELDS
                if not name.endswith("_masked") and name != "token_received_at"
            ),
            "client_id",
            "client_secret",
            "order_download_start",
        ]

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        try:
            lightspeed_settings_validate(self.instance)
        except SettingsChangeRefused as exc:
            self.add_error(None, exc.message)

    def clean_client_secret(self):
        # An empty password box means "unchanged": the stored secret is never sent to the page.
        return self.cleaned_data.get("client_secret") or self.instance.client_secret


def connection_summary(obj: LightspeedSettings) -> str:
    if obj.needs_reauthorization:
        return f"Re-authorization required — {obj.connection_error}"
    if not obj.is_connected:
        return "Not connected — run Fetch Token."
    account = f"account {obj.account_id}" + (f" ({obj.account_name})" if obj.account_name else "")
    return f"Connected to Lightspeed {account}."


@admin.register(LightspeedSettings)
class LightspeedSettingsAdmin(CompanyScopedAdmin):
    form = LightspeedSettingsForm
    change_form_template = "admin/lightspeed/lightspeedsettings/change_form.html"
    list_display = ("company", "enabled", "connection", "account_id", "expires_in", "token_refreshed_at")
    list_select_related = ("company",)
    readonly_fields = (
        "company",
        "auth_token_masked",
        "refresh_token_masked",
        "token_received_at",
        "connection",
        "expires_in",
        "token_refreshed_at",
        "token_scope",
    )
    # DESIGN.md §2: the General Settings fields come first, in the merchants' order.
    fieldsets = (
        ("General Settings", {"fields": GENERAL_FIELDS}),
        ("Connection", {"fields": ("company", "connection", "expires_in", "token_refreshed_at")}),
        (
            "Advanced",
            {
                "classes": ("collapse",),
                "fields": ("client_id", "client_secret", "order_download_start", "token_scope"),
            },
        ),
    )

    actions = ["redownload_shops"]

    def has_add_permission(self, request):
        return False  # one row per company, created with the company

    @admin.action(description="Re-Download Lightspeed POS Shops", permissions=["change"])
    def redownload_shops(self, request, queryset):
        # Two or three requests per company: quick enough to run while the person waits.
        for settings_obj in queryset.select_related("company"):
            run = job_run(
                company_id=settings_obj.company_id, job=JOBS["shops"], trigger=SyncRun.Trigger.ADMIN
            )
            if run.outcome == SyncRun.Outcome.SUCCEEDED:
                counts = run.counts
                self.message_user(
                    request,
                    f"{settings_obj.company}: {counts.get('shops', 0)} shops, {counts.get('registers', 0)} registers "
                    f"and {counts.get('employees', 0)} employees downloaded.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request, f"{settings_obj.company}: shops not downloaded — {run.error}", messages.ERROR
                )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Connection status")
    def connection(self, obj: LightspeedSettings) -> str:
        return connection_summary(obj)

    @admin.display(description="Expires in")
    def expires_in(self, obj: LightspeedSettings) -> str:
        if not obj.token_expires_at or not obj.is_connected:
            return "—"
        if obj.token_expires_at <= timezone.now():
            return "expired (renewed on next use)"
        return timeuntil(obj.token_expires_at)

    @admin.display(description="Auth Token")
    def auth_token_masked(self, obj: LightspeedSettings) -> str:
        return mask_secret(obj.auth_token) or "—"

    @admin.display(description="Refresh Token")
    def refresh_token_masked(self, obj: LightspeedSettings) -> str:
        return mask_secret(obj.refresh_token) or "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        settings_obj = LightspeedSettings.objects.filter(pk=object_id).first() if object_id else None
        if (
            formfield is not None
            and settings_obj is not None
            and db_field.name in {"shop", "register", "employee", "returns_warehouse"}
        ):
            # Choices from this company only, even for ops staff who see every company.
            formfield.queryset = formfield.queryset.filter(company_id=settings_obj.company_id)
        return formfield

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        try:
            lightspeed_settings_save(settings_obj=obj, actor=request.user, changes=changes)
        except SettingsChangeRefused as exc:
            messages.error(request, exc.message)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:
            extra_context["fetch_token_url"] = reverse("lightspeed:fetch_token_start", args=[obj.company_id])
        return super().change_view(request, object_id, form_url, extra_context)


class ShopWarehouseInline(CompanyScopedInline, admin.TabularInline):
    model = LightspeedShopWarehouse
    company_field = "shop__company"
    fields = ("position", "warehouse")
    ordering = ("position",)
    extra = 0


@admin.register(LightspeedShop)
class LightspeedShopAdmin(CompanyScopedAdmin):
    list_display = ("name", "shop_id", "archived", "mapped_warehouses", "employee", "register", "company")
    list_filter = ("archived", "company")
    search_fields = ("name",)
    fields = ("company", "shop_id", "name", "time_zone", "archived", "downloaded_at", "employee", "register")
    readonly_fields = ("company", "shop_id", "name", "time_zone", "archived", "downloaded_at")
    inlines = [ShopWarehouseInline]

    def has_add_permission(self, request):
        return False  # shops come from Lightspeed (the shops job)

    @admin.display(description="warehouses")
    def mapped_warehouses(self, shop: LightspeedShop) -> str:
        return (
            ", ".join(link.warehouse.name for link in shop.warehouse_links.select_related("warehouse")) or "—"
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        shop = LightspeedShop.objects.filter(pk=object_id).first() if object_id else None
        if formfield is not None and shop is not None:
            if db_field.name == "register":
                formfield.queryset = formfield.queryset.filter(shop=shop)
            elif db_field.name == "employee":
                formfield.queryset = formfield.queryset.filter(company_id=shop.company_id)
        return formfield


class DownloadedAdmin(CompanyScopedAdmin):
    """Registers and employees: read-only copies of Lightspeed's."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LightspeedRegister)
class LightspeedRegisterAdmin(DownloadedAdmin):
    list_display = ("name", "register_id", "shop", "archived", "company")
    list_filter = ("archived", "company")


@admin.register(LightspeedEmployee)
class LightspeedEmployeeAdmin(DownloadedAdmin):
    list_display = ("__str__", "employee_id", "lock_out", "archived", "limit_to_shop_id", "company")
    list_filter = ("archived", "lock_out", "company")


# Sync runs and issues live in the operations module.
from integrations.lightspeed import admin_operations  # noqa: E402, F401
