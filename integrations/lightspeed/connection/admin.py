"""Admin pages of the Lightspeed channel, behind the company wall.

The "Lightspeed POS" section: per company a General Settings page (read-only until Edit, with
the Actions menu, the setup checklist and the change log) and Manage Lightspeed Shops — custom
views in views_settings.py, routed here so they share the admin's login, wall and look. Ops
staff get the list of every company with its connection status; a merchant goes straight to
their own company's page. Tokens are only ever shown masked.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from integrations.core.admin import CompanyScopedAdmin, user_company_id
from integrations.lightspeed.catalog.views import catalog_import_view
from integrations.lightspeed.connection import settings_views as views_settings
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
)
from integrations.lightspeed.shops.services.redownload import shops_redownload


@admin.register(LightspeedSettings)
class LightspeedSettingsAdmin(CompanyScopedAdmin):
    list_display = ("company", "connection", "switched_on", "account_id", "token_received_at")
    list_display_links = ("company",)
    list_select_related = ("company",)
    ordering = ("company__name",)
    list_filter = ("connection_status", "enabled")
    search_fields = ("company__name", "account_id")
    actions = ["redownload_shops"]

    def has_add_permission(self, request):
        return False  # one row per company, created with the company

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Enabled", boolean=True, ordering="enabled")
    def switched_on(self, obj: LightspeedSettings) -> bool:
        return obj.enabled

    @admin.display(description="Connection status", ordering="connection_status")
    def connection(self, obj: LightspeedSettings) -> str:
        colour = {"connected": "#2e7d32", "reauthorization_required": "#c62828"}.get(
            obj.connection_status, "#666"
        )
        return format_html('<span style="color:{}">{}</span>', colour, views_settings.connection_summary(obj))

    def get_nav_entries(self, request, entry: dict) -> list[dict]:
        """General Settings in the admin's index and sidebar, and Manage Lightspeed Shops beside it.

        Ops staff open the list of companies, then a company's page (its Actions menu holds Manage
        Lightspeed Shops). A merchant has one company: the entries open its pages directly, as
        the list itself does for them (see changelist_view). Manage Lightspeed Shops is offered,
        as in the Actions menu, only while Enable Lightspeed Shops Mapping is on.
        """
        if self.sees_all(request):
            return [entry]
        own = self._own_settings(request)
        if own is None:
            return [entry]
        settings_id, shops_mapping_enabled = own
        entries = [
            {**entry, "admin_url": reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_id])}
        ]
        if shops_mapping_enabled:
            entries.append(
                {
                    **entry,
                    "name": "Manage Lightspeed Shops",
                    "object_name": "ManageLightspeedShops",
                    "admin_url": reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_id]),
                    "add_url": None,
                }
            )
        return entries

    def _own_settings(self, request) -> tuple[int, bool] | None:
        # Every admin page draws the sidebar, the index twice: one query per request.
        if not hasattr(request, "_lightspeed_own_settings"):
            own = self.get_queryset(request).order_by().values_list("pk", "shops_mapping_enabled")
            request._lightspeed_own_settings = own.first()
        return request._lightspeed_own_settings

    @admin.action(description="Re-Download Lightspeed POS Shops", permissions=["change"])
    def redownload_shops(self, request, queryset):
        # Two or three requests per company: quick enough to run while the person waits.
        for settings_obj in queryset.select_related("company"):
            report = shops_redownload(company_id=settings_obj.company_id)
            self.message_user(
                request,
                f"{settings_obj.company}: {report.summary()}",
                messages.SUCCESS if report.ok else messages.ERROR,
            )

    def changelist_view(self, request, extra_context=None):
        # A merchant has one company: the list would be one row, so open its page directly.
        if not self.sees_all(request) and request.method == "GET":
            settings_obj = self.get_queryset(request).filter(company_id=user_company_id(request.user)).first()
            if settings_obj is not None:
                return HttpResponseRedirect(views_settings.settings_page_url(settings_obj))
        extra_context = {**(extra_context or {}), "title": "General Settings — companies"}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return views_settings.general_settings_view(request, model_admin=self, object_id=object_id)

    def get_urls(self):
        def wrap(view):
            def wrapper(request, *args, **kwargs):
                return view(request, *args, model_admin=self, **kwargs)

            return self.admin_site.admin_view(update_wrapper(wrapper, view))

        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        return [
            path("<str:object_id>/shops/", wrap(views_settings.manage_shops_view), name=f"{name}_shops"),
            path(
                "<str:object_id>/shops/redownload/",
                wrap(views_settings.redownload_shops_view),
                name=f"{name}_shops_redownload",
            ),
            path("<str:object_id>/sync/<str:job>/", wrap(views_settings.sync_now_view), name=f"{name}_sync"),
            path(
                "<str:object_id>/catalog-import/",
                wrap(catalog_import_view),
                name=f"{name}_catalog_import",
            ),
            path(
                "<str:object_id>/disconnect/",
                wrap(views_settings.disconnect_view),
                name=f"{name}_disconnect",
            ),
            *super().get_urls(),
        ]


@admin.register(LightspeedShop)
class LightspeedShopAdmin(CompanyScopedAdmin):
    """The downloaded shops with their mapping, read-only: the mapping is changed only on
    Manage Lightspeed Shops, where it is validated as a whole and logged."""

    list_display = ("name", "shop_id", "archived", "mapped_warehouses", "employee", "register", "company")
    list_select_related = ("employee", "register", "company")
    list_filter = ("archived", "company")
    search_fields = ("name",)
    fields = (
        "company",
        "shop_id",
        "name",
        "time_zone",
        "archived",
        "downloaded_at",
        "mapped_warehouses",
        "employee",
        "register",
        "manage_link",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # shops come from Lightspeed (the shops job)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="warehouses (in drawing order)")
    def mapped_warehouses(self, shop: LightspeedShop) -> str:
        links = shop.warehouse_links.select_related("warehouse").order_by("position", "id")
        return ", ".join(link.warehouse.name for link in links) or "—"

    @admin.display(description="change the mapping")
    def manage_link(self, shop: LightspeedShop) -> str:
        settings_obj = LightspeedSettings.objects.filter(company_id=shop.company_id).first()
        if settings_obj is None:
            return "—"
        if not settings_obj.shops_mapping_enabled:
            return format_html(
                'Turn on Enable Lightspeed Shops Mapping in <a href="{}">General Settings</a> first.',
                views_settings.settings_page_url(settings_obj),
            )
        url = reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk])
        return format_html('<a href="{}">Manage Lightspeed Shops</a>', url)


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
