"""`make demo`: Demo Outfitters' Lightspeed POS settings for the sandbox, so its history imports.

Idempotent and token-free: it never touches the token pair (the merchant fetches one through the
sandbox's login page). The sandbox's shops are known ahead of any token (the shared demo
catalogue's DEMO_SHOPS, ids and all), so it creates their rows, maps each to the warehouse that
stocks it and turns shops mapping on: the order download knows whose sales to import from the
start. The shops download after Fetch Token finds those rows by (company, shopID) and fills in
the rest (registers, employees) in place. A shop that already has warehouses keeps them.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Company, Warehouse
from integrations.core import demo_catalogue as catalogue
from integrations.core.changelog import changelog_record, field_values
from integrations.lightspeed.models import LightspeedSettings, LightspeedShop, LightspeedShopWarehouse

DEMO_CLIENT_ID = "lightsync-demo"
DEMO_CLIENT_SECRET = "lightsync-demo-secret"  # noqa: S105 - the sandbox's documented demo client
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/lightspeed/oauth/callback/"
# The sandbox's demo history covers the two weeks before it was seeded: start well before that.
HISTORY_MARGIN = timedelta(days=30)
FIELDS = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "order_download_start",
    "returns_warehouse",
    "order_download_enabled",
    "shops_mapping_enabled",
]


@transaction.atomic
def lightspeed_demo_setup(*, company_name: str = catalogue.DEMO_COMPANY) -> dict[str, int | str]:
    company = Company.objects.get(name=company_name)
    settings_obj, _ = LightspeedSettings.objects.select_for_update().get_or_create(company=company)
    before = field_values(settings_obj, FIELDS)
    settings_obj.client_id = DEMO_CLIENT_ID
    settings_obj.client_secret = DEMO_CLIENT_SECRET
    settings_obj.redirect_uri = DEMO_REDIRECT_URI
    if settings_obj.order_download_start is None:
        settings_obj.order_download_start = timezone.now() - HISTORY_MARGIN
    settings_obj.returns_warehouse = Warehouse.objects.filter(company=company, name="Returns").first()
    settings_obj.order_download_enabled = True
    mapped = 0
    warehouses = {w.code: w for w in Warehouse.objects.filter(company=company)}
    for demo_shop in catalogue.DEMO_SHOPS:
        shop, _ = LightspeedShop.objects.get_or_create(
            company=company,
            shop_id=demo_shop.shop_id,
            defaults={"name": demo_shop.name, "time_zone": demo_shop.time_zone},
        )
        warehouse = warehouses.get(demo_shop.warehouse_code)
        if warehouse is not None and not shop.warehouse_links.exists():
            LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouse, position=0)
        mapped += shop.warehouse_links.exists()
    settings_obj.shops_mapping_enabled = True
    settings_obj.save()
    changelog_record(
        instance=settings_obj,
        before=before,
        company=company,
        actor_label="make demo",
        secret_fields=["client_secret"],
    )
    return {"company": company.name, "shops_mapped": mapped}
