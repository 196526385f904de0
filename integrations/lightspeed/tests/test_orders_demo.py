"""`manage.py lightspeed_demo_setup`: Demo Outfitters ready for the sandbox, idempotently, tokens untouched."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.commerce.services.demo import demo_seed
from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed.connection.page import setup_checklist
from integrations.lightspeed.connection.services.settings import lightspeed_settings_save
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, LightspeedShop
from integrations.lightspeed.shops.services.redownload import shops_redownload
from integrations.lightspeed.tests.conftest import ACCOUNT_ID, resource_url
from integrations.lightspeed.tests.test_jobs import PRICE_LEVELS_PAGE

DEMO_MAPPING = {"Downtown": ["DOWNTOWN"], "Uptown": ["UPTOWN"], "Outlet": ["OUTLET"]}


def _mapping(company) -> dict[str, list[str]]:
    return {
        s.name: [w.code for w in s.warehouses.all()] for s in LightspeedShop.objects.filter(company=company)
    }


def _steps(company) -> dict[str, bool]:
    return {step.key: step.done for step in setup_checklist(LightspeedSettings.objects.get(company=company))}


def test_demo_setup_configures_order_download_and_maps_the_demo_shops_before_any_token(db):
    demo_seed(password="demo")
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    LightspeedSettings.objects.filter(company=company).update(auth_token="kept-a", refresh_token="kept-r")
    out = StringIO()

    call_command("lightspeed_demo_setup", stdout=out)

    first = LightspeedSettings.objects.get(company=company)
    assert (first.client_id, first.client_secret) == ("lightsync-demo", "lightsync-demo-secret")
    assert first.redirect_uri == "http://127.0.0.1:8000/lightspeed/oauth/callback/"
    assert first.order_download_enabled and first.returns_warehouse.name == "Returns"
    assert first.order_download_start is not None
    assert (first.auth_token, first.refresh_token) == ("kept-a", "kept-r")
    # No "run it again after Fetch Token": the sandbox's shops are mapped now.
    assert first.shops_mapping_enabled and "3 shop(s) mapped" in out.getvalue()
    assert _mapping(company) == DEMO_MAPPING
    assert {(s.shop_id, s.time_zone) for s in LightspeedShop.objects.filter(company=company)} == {
        (shop.shop_id, shop.time_zone) for shop in catalogue.DEMO_SHOPS
    }

    call_command("lightspeed_demo_setup", stdout=StringIO())  # idempotent

    again = LightspeedSettings.objects.get(company=company)
    assert again.order_download_start == first.order_download_start and again.shops_mapping_enabled
    assert LightspeedShop.objects.filter(company=company).count() == 3 and _mapping(company) == DEMO_MAPPING


def test_demo_setup_keeps_a_shop_the_merchant_mapped_elsewhere(db):
    demo_seed(password="demo")
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    call_command("lightspeed_demo_setup", stdout=StringIO())
    downtown = LightspeedShop.objects.get(company=company, shop_id=1)
    main = company.warehouses.get(code="MAIN")
    downtown.warehouse_links.all().delete()
    downtown.warehouse_links.create(warehouse=main, position=0)

    call_command("lightspeed_demo_setup", stdout=StringIO())

    assert _mapping(company)["Downtown"] == ["MAIN"]


def _sandbox_shops() -> dict:
    """The demo account's shops as Lightspeed answers (the sandbox seeds them from DEMO_SHOPS)."""
    shops, register_id = [], 0
    for shop in catalogue.DEMO_SHOPS:
        registers = []
        for name in shop.registers:
            register_id += 1
            registers.append({"registerID": str(register_id), "name": name, "shopID": str(shop.shop_id)})
        shops.append(
            {
                "shopID": str(shop.shop_id),
                "name": shop.name,
                "timeZone": shop.time_zone,
                "archived": "false",
                "Registers": {"Register": registers},
            }
        )
    return {"@attributes": {"next": "", "previous": ""}, "Shop": shops}


def test_after_fetch_token_the_shops_download_fills_in_the_demo_shops_in_place_and_pos_can_go_on(
    db, mocked_lightspeed
):
    demo_seed(password="demo")
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    call_command("lightspeed_demo_setup", stdout=StringIO())
    shop_pks = set(LightspeedShop.objects.filter(company=company).values_list("pk", flat=True))
    # The demo's own shop rows are not a download: the setup checklist does not tick that step.
    assert not _steps(company)["shops"]
    # What Fetch Token leaves: a connected account (the callback then downloads the shops).
    LightspeedSettings.objects.filter(company=company).update(
        account_id=ACCOUNT_ID,
        auth_token="a1",
        refresh_token="r1",
        token_received_at=timezone.now(),
        token_expires_at=timezone.now() + timedelta(hours=1),
        connection_status=ConnectionStatus.CONNECTED,
    )
    mocked_lightspeed.get(resource_url("Shop"), json=_sandbox_shops())
    mocked_lightspeed.get(resource_url("Employee"), json={"@attributes": {"next": "", "previous": ""}})
    mocked_lightspeed.get(resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE)

    report = shops_redownload(company_id=company.pk)

    assert report.ok, report.error
    assert _steps(company)["shops"]  # now they are downloaded
    assert (report.added, report.renamed, report.archived) == ([], [], [])
    assert not any(report.counts.get(f"shops_{k}") for k in ("created", "updated", "archived"))
    assert report.counts["registers_created"] == 6
    shops = LightspeedShop.objects.filter(company=company)
    assert set(shops.values_list("pk", flat=True)) == shop_pks  # the same rows, keyed by shopID
    assert all(shop.downloaded_at is not None for shop in shops)
    assert _mapping(company) == DEMO_MAPPING
    # The one step left for the merchant: Lightspeed POS Enabled (order download is on already).
    settings_obj = LightspeedSettings.objects.get(company=company)
    saved = lightspeed_settings_save(settings_obj=settings_obj, actor=None, changes={"enabled": True})
    assert saved.enabled and saved.order_download_enabled


def test_demo_setup_asks_for_seed_demo_first(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("lightspeed_demo_setup", stdout=StringIO())
