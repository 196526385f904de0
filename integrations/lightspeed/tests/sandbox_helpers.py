"""Helpers for tests and benchmarks that run LightSync against the sandbox over real HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import Company, Product, Warehouse
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    ConnectionStatus,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncRun,
)

SCOPES = "employee:register employee:inventory employee:product_cost"
LIGHTSYNC = "http://127.0.0.1:8000"  # the redirect URI registered for the sandbox's demo client


def connect_with_minted_tokens(server, company: Company, **fields) -> LightspeedSettings:
    """The company connected to the sandbox's account and enabled, as after Fetch Token.

    Tokens are minted through the sandbox's control API (tests of the login pages drive those
    pages instead); `fields` sets further LightspeedSettings fields in the same update.
    """
    pair = server.mint_tokens(scope=SCOPES)
    now = timezone.now()
    LightspeedSettings.objects.filter(company=company).update(
        enabled=True,
        account_id=str(server.account_id),
        auth_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        token_received_at=now,
        token_expires_at=now + timedelta(seconds=int(pair.get("expires_in", 3600))),
        connection_status=ConnectionStatus.CONNECTED,
        **fields,
    )
    return LightspeedSettings.objects.get(company=company)


def linked_catalogue_changed(server, *, items: int, prefix: str, name: str) -> Company:
    """A company connected to the sandbox with `items` items in shop 1, each linked to a product
    whose stock (5 in one warehouse mapped to the shop) then changed by one: an upload of what
    changed has every item to send. For the upload benchmarks."""
    server.seed(
        records={
            "Item": [
                {
                    "itemID": 1000 + n,
                    "description": f"Item {n}",
                    "customSku": f"{prefix}-{n}",
                    "defaultCost": "4.00",
                    "Prices": {"ItemPrice": [{"useTypeID": 1, "amount": "10.00"}]},
                    "ItemShops": {"ItemShop": [{"shopID": 1, "qoh": 5}]},
                }
                for n in range(items)
            ]
        }
    )
    company = Company.objects.create(name=name)
    connect_with_minted_tokens(
        server,
        company,
        shops_mapping_enabled=True,
        inventory_upload_enabled=True,
        auto_enable_new_products=True,
    )
    assert job_run(company_id=company.pk, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    wh = Warehouse.objects.create(company=company, name="Main", code="MAIN")
    LightspeedShopWarehouse.objects.create(
        shop=LightspeedShop.objects.get(company=company, shop_id=1), warehouse=wh
    )
    products = [
        Product.objects.create(company=company, sku=f"{prefix}-{n}", title="Bench") for n in range(items)
    ]
    for item in products:
        stock_adjust(product=item, warehouse=wh, quantity_change=5, reason="import")
    assert job_run(company_id=company.pk, job=JOBS["products"]).counts["linked"] == items
    for item in products:
        stock_adjust(product=item, warehouse=wh, quantity_change=1, reason="adjustment")
    return company


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def browse_fetch_token(django_client, company, *, approve: bool = True):
    """Fetch Token as a person does it: start, log in at Lightspeed, approve, come back."""
    start = django_client.post(reverse("lightspeed:fetch_token_start", args=[company.pk]))
    assert start.status_code == 302
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=30)  # follows redirects inside the sandbox
    assert "Log in" in page.text
    page = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(page.text),
            "action": "login",
            "username": "demo",
            "password": "demo",
        },
        headers={"Referer": page.url},
        timeout=30,
    )
    assert "Authorize" in page.text, page.text[:500]
    back = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": _csrf(page.text), "action": "approve" if approve else "deny"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 302 and back.headers["Location"].startswith(
        f"{LIGHTSYNC}/lightspeed/oauth/callback/"
    )
    callback = urlsplit(back.headers["Location"])
    return django_client.get(f"{callback.path}?{callback.query}")
