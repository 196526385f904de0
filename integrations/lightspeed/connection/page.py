"""What the settings pages read: the setup checklist, warnings, and the choices offered.

Every step of the checklist is computed from the stored state, never from a flag someone
ticks, so it cannot claim a step is done that is not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from integrations.commerce.models import Company, Order
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncRun,
)

DONE_OUTCOMES = (SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL)


@dataclass(frozen=True)
class SetupStep:
    key: str
    title: str
    done: bool
    hint: str
    url: str


def _settings_url(settings_obj: LightspeedSettings, anchor: str = "", edit: bool = False) -> str:
    url = reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk])
    return f"{url}{'?edit=1' if edit else ''}{f'#{anchor}' if anchor else ''}"


def shops_page_url(settings_obj: LightspeedSettings) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk])


def shops_are_mapped(settings_obj: LightspeedSettings) -> bool:
    """Mapping on: every open shop draws from a warehouse. Mapping off: a shop is chosen."""
    if not settings_obj.shops_mapping_enabled:
        return settings_obj.shop_id is not None
    shops = LightspeedShop.objects.filter(company_id=settings_obj.company_id, archived=False)
    return shops.exists() and not shops.filter(warehouse_links__isnull=True).exists()


def setup_checklist(settings_obj: LightspeedSettings) -> list[SetupStep]:
    company_id = settings_obj.company_id
    # Downloaded from Lightspeed, not merely known (the demo setup creates the sandbox's shops).
    has_shops = LightspeedShop.objects.filter(company_id=company_id, downloaded_at__isnull=False).exists()
    jobs_on = settings_obj.enabled and (
        settings_obj.order_download_enabled
        or settings_obj.inventory_upload_enabled
        or settings_obj.price_upload_enabled
        or settings_obj.cost_upload_enabled
    )
    orders_downloaded = SyncRun.objects.filter(
        company_id=company_id, job="orders", outcome__in=DONE_OUTCOMES, dry_run=False
    ).exists()
    mapping_url = (
        shops_page_url(settings_obj)
        if settings_obj.shops_mapping_enabled
        else _settings_url(settings_obj, "general-settings", edit=True)
    )
    return [
        SetupStep(
            "client",
            "Enter your Lightspeed API client details",
            bool(
                settings_obj.effective_client_id()
                and settings_obj.effective_client_secret()
                and settings_obj.redirect_uri
            ),
            "Client ID and Client Secret (Advanced) — or this server's own — and the Redirect URI "
            "registered in that API client.",
            _settings_url(settings_obj, "advanced", edit=True),
        ),
        SetupStep(
            "token",
            "Fetch a token",
            settings_obj.is_connected and bool(settings_obj.account_id),
            "Actions → Fetch Token: sign in at Lightspeed and approve LightSync.",
            _settings_url(settings_obj, "actions"),
        ),
        SetupStep(
            "shops",
            "Download your Lightspeed shops",
            has_shops,
            "Actions → Re-Download Lightspeed POS Shops, once the token is fetched.",
            shops_page_url(settings_obj)
            if settings_obj.shops_mapping_enabled
            else _settings_url(settings_obj, "actions"),
        ),
        SetupStep(
            "mapping",
            "Map your shops to warehouses",
            has_shops and shops_are_mapped(settings_obj),
            "With shops mapping on: one or more warehouses per shop. Without it: choose the Shop Name.",
            mapping_url,
        ),
        SetupStep(
            "jobs",
            "Turn on the jobs",
            jobs_on,
            "Lightspeed POS Enabled, and Enable Order Download or one of the uploads.",
            _settings_url(settings_obj, "general-settings", edit=True),
        ),
        SetupStep(
            "orders",
            "Download your first orders",
            orders_downloaded,
            "Happens on schedule once order download is on, or now with Actions → Sync now: orders.",
            _settings_url(settings_obj, "actions"),
        ),
    ]


def other_local_store_orders_exist(*, company: Company) -> bool:
    """Whether the company has Local Store orders that Lightspeed's order download did not bring.

    Until the order download has run once for the company, every Local Store order it holds came
    from somewhere else (another POS, an import).
    """
    if SyncRun.objects.filter(company=company, job="orders", outcome__in=DONE_OUTCOMES).exists():
        return False
    return Order.objects.filter(company=company, channel=Order.Channel.LOCAL_STORE).exists()


ORDER_SOURCE_WARNING = (
    "This company already receives Local Store orders from another source. Lightspeed's sales "
    "will arrive as Local Store orders too, mixed with those: a separate company for the "
    "Lightspeed shops is recommended."
)


def shops_for_mapping(*, company: Company) -> QuerySet[LightspeedShop]:
    """The company's shops (open ones first) with their warehouses in order and their registers."""
    return (
        LightspeedShop.objects.filter(company=company)
        .order_by("archived", "name", "shop_id")
        .select_related("employee", "register")
        .prefetch_related(
            Prefetch(
                "warehouse_links",
                queryset=LightspeedShopWarehouse.objects.select_related("warehouse").order_by(
                    "position", "id"
                ),
            ),
            Prefetch("registers", queryset=LightspeedRegister.objects.order_by("archived", "name")),
        )
    )


def employees_for(*, company: Company) -> QuerySet[LightspeedEmployee]:
    return LightspeedEmployee.objects.filter(company=company).order_by("archived", "first_name", "last_name")


def warehouses_shared_by_shops(*, company: Company) -> dict[str, list[str]]:
    """Warehouse name → names of the open shops it is mapped to, for those mapped to several."""
    shops_by_warehouse: dict[str, list[str]] = defaultdict(list)
    links = (
        LightspeedShopWarehouse.objects.filter(shop__company=company, shop__archived=False)
        .select_related("shop", "warehouse")
        .order_by("warehouse__name", "shop__name")
    )
    for link in links:
        shops_by_warehouse[link.warehouse.name].append(link.shop.name)
    return {name: shops for name, shops in shops_by_warehouse.items() if len(shops) > 1}


def shared_warehouse_warning(shared: dict[str, list[str]]) -> str:
    parts = [f"{warehouse} ({', '.join(shops)})" for warehouse, shops in shared.items()]
    return (
        "Mapped to more than one shop: "
        + "; ".join(parts)
        + ". The same stock is then offered by each of those shops, so it can be sold twice."
    )
