"""Fixtures and helpers shared by the Lightspeed POS page tests (test_pages_*.py).

Imported explicitly by those modules; the app's shared conftest stays untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, User, Warehouse
from integrations.commerce.tests.factories import MerchantFactory, OpsStaffFactory, WarehouseFactory
from integrations.lightspeed.models import (
    ConnectionStatus,
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
)


@dataclass
class Store:
    """A company as the pages see it: warehouses, downloaded shops, registers, employees."""

    company: Company
    settings: LightspeedSettings
    main: Warehouse
    downtown_wh: Warehouse
    uptown_wh: Warehouse
    returns: Warehouse
    downtown: LightspeedShop
    uptown: LightspeedShop
    front: LightspeedRegister  # Downtown's
    back: LightspeedRegister  # Downtown's
    uptown_till: LightspeedRegister  # Uptown's
    ada: LightspeedEmployee
    bob: LightspeedEmployee

    def refresh(self) -> LightspeedSettings:
        self.settings = LightspeedSettings.objects.get(pk=self.settings.pk)
        return self.settings


def make_store(name: str, account_id: str = "100001") -> Store:
    company = Company.objects.create(name=name, email=f"{name.split()[0].lower()}@example.com")
    settings_obj = LightspeedSettings.objects.get(company=company)
    wh = {
        label: WarehouseFactory(
            company=company, name=label, code=label.upper(), is_sellable=label != "Returns"
        )
        for label in ("Main", "Downtown", "Uptown", "Returns")
    }
    downloaded = timezone.now()
    downtown = LightspeedShop.objects.create(
        company=company, shop_id=1, name="Downtown", time_zone="America/New_York", downloaded_at=downloaded
    )
    uptown = LightspeedShop.objects.create(
        company=company, shop_id=2, name="Uptown", time_zone="America/Chicago", downloaded_at=downloaded
    )

    def register(shop, register_id, reg_name):
        return LightspeedRegister.objects.create(
            company=company, shop=shop, register_id=register_id, name=reg_name
        )

    return Store(
        company=company,
        settings=settings_obj,
        main=wh["Main"],
        downtown_wh=wh["Downtown"],
        uptown_wh=wh["Uptown"],
        returns=wh["Returns"],
        downtown=downtown,
        uptown=uptown,
        front=register(downtown, 11, "Front"),
        back=register(downtown, 12, "Back"),
        uptown_till=register(uptown, 21, "Till"),
        ada=LightspeedEmployee.objects.create(
            company=company, employee_id=1, first_name="Ada", last_name="Lovelace"
        ),
        bob=LightspeedEmployee.objects.create(
            company=company, employee_id=2, first_name="Bob", last_name="Uptown", limit_to_shop_id=2
        ),
    )


def connect(store: Store, *, auth_token: str = "a1", refresh_token: str = "r1") -> LightspeedSettings:
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(
        account_id="100001",
        auth_token=auth_token,
        refresh_token=refresh_token,
        token_received_at=timezone.now(),
        token_expires_at=timezone.now() + timedelta(hours=1),
        connection_status=ConnectionStatus.CONNECTED,
    )
    return store.refresh()


@pytest.fixture
def store(db) -> Store:
    roles.roles_apply()
    return make_store("Demo Outfitters")


@pytest.fixture
def other_store(db) -> Store:
    roles.roles_apply()
    return make_store("Harbor Goods")


@pytest.fixture
def merchant_user(store) -> User:
    return MerchantFactory(username="merchant", company=store.company)


@pytest.fixture
def browser(merchant_user) -> Client:
    """The merchant of `store`, signed in, with CSRF checks on as in a real browser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(merchant_user)
    return client


@pytest.fixture
def ops_browser(db) -> Client:
    roles.roles_apply()
    client = Client(enforce_csrf_checks=True)
    client.force_login(OpsStaffFactory(username="ops"))
    return client


def settings_url(settings_obj: LightspeedSettings, suffix: str = "") -> str:
    return reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk]) + suffix


def shops_url(settings_obj: LightspeedSettings) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk])


def csrf_token(client: Client, url: str) -> str:
    """The CSRF token of the page at `url`, as a browser would have it."""
    html = client.get(url).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(client: Client, url: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST with the CSRF token of the page the form is on (`token_from`, default `url`)."""
    token = csrf_token(client, token_from or url)
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **kwargs)


def settings_form_data(settings_obj: LightspeedSettings, **changes) -> dict:
    """What the edit form posts when the person changes only `changes`."""
    data = {
        "account_id": settings_obj.account_id,
        "shop": settings_obj.shop_id or "",
        "register": settings_obj.register_id or "",
        "employee": settings_obj.employee_id or "",
        "redirect_uri": settings_obj.redirect_uri,
        "returns_warehouse": settings_obj.returns_warehouse_id or "",
        "client_id": settings_obj.client_id,
        "client_secret": "",
        "order_download_start": "",
        "price_level": settings_obj.price_level,
    }
    for name in (
        "enabled",
        "shops_mapping_enabled",
        "order_download_enabled",
        "inventory_upload_enabled",
        "price_upload_enabled",
        "cost_upload_enabled",
        "auto_enable_new_products",
        "auto_create_enabled_products",
        "use_company_address",
    ):
        if getattr(settings_obj, name):
            data[name] = "on"
    for name, value in changes.items():
        if value is True:
            data[name] = "on"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data
