"""`manage.py lightspeed_demo_setup`: Demo Outfitters ready for the sandbox, idempotently, tokens untouched."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.commerce.models import Company
from integrations.commerce.services.demo import demo_seed
from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed.models import LightspeedSettings, LightspeedShop


def test_demo_setup_configures_order_download_without_touching_tokens_and_maps_downloaded_shops(db):
    demo_seed(password="demo")
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    LightspeedSettings.objects.filter(company=company).update(auth_token="kept-a", refresh_token="kept-r")

    call_command("lightspeed_demo_setup", stdout=StringIO())
    first = LightspeedSettings.objects.get(company=company)
    assert (first.client_id, first.client_secret) == ("lightsync-demo", "lightsync-demo-secret")
    assert first.redirect_uri == "http://127.0.0.1:8000/lightspeed/oauth/callback/"
    assert first.order_download_enabled and first.returns_warehouse.name == "Returns"
    assert first.order_download_start is not None and not first.shops_mapping_enabled
    assert (first.auth_token, first.refresh_token) == ("kept-a", "kept-r")

    for shop in catalogue.DEMO_SHOPS:  # as the shops job leaves them after Fetch Token
        LightspeedShop.objects.create(company=company, shop_id=shop.shop_id, name=shop.name)
    out = StringIO()
    call_command("lightspeed_demo_setup", stdout=out)
    call_command("lightspeed_demo_setup", stdout=StringIO())

    again = LightspeedSettings.objects.get(company=company)
    assert again.order_download_start == first.order_download_start
    assert again.shops_mapping_enabled and "3 shop(s) mapped" in out.getvalue()
    mapping = {
        s.name: [w.code for w in s.warehouses.all()] for s in LightspeedShop.objects.filter(company=company)
    }
    assert mapping == {"Downtown": ["DOWNTOWN"], "Uptown": ["UPTOWN"], "Outlet": ["OUTLET"]}


def test_demo_setup_asks_for_seed_demo_first(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("lightspeed_demo_setup", stdout=StringIO())
