# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests
"""Whose sales are imported: the mapped shops', or with mapping off the chosen Shop Name's —
never every shop's because nothing was chosen (DESIGN.md §3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from integrations.commerce.models import Order, Warehouse
from integrations.lightspeed.jobs.enqueue import job_enqueue_refusal
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, LightspeedShop, SyncRun
from integrations.lightspeed.orders.services.replay import SaleReplayError, sale_replay
from integrations.lightspeed.tests.orders_helpers import line, mock_sales, sale

from .pages_support import (  # noqa: F401 - fixtures
    browser,
    connect,
    merchant_user,
    post,
    settings_form_data,
    settings_url,
    store,
)

NO_SHOP = "choose the Shop Name"


@pytest.fixture
def unscoped(connected):
    """Order download on, shops mapping off and no Shop Name: the state that is refused."""
    Warehouse.objects.create(company=connected.company, name="Main", code="MAIN", is_default=True)
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        order_download_enabled=True,
        shops_mapping_enabled=False,
        shop=None,
        order_download_start=datetime(2026, 11, 1, tzinfo=UTC),
    )
    return LightspeedSettings.objects.get(pk=connected.pk)


def test_with_mapping_off_and_no_shop_name_the_orders_job_is_refused_and_asks_lightspeed_nothing(
    unscoped, mocked_lightspeed
):
    run = job_run(company_id=unscoped.company_id, job=JOBS["orders"], sleep=lambda s: None)

    assert run.outcome == SyncRun.Outcome.REFUSED
    assert NO_SHOP in run.error and "Enable Lightspeed Shops Mapping" in run.error
    assert run.api_requests == 0 and not Order.objects.exists()


def test_with_mapping_off_and_no_shop_name_sync_now_orders_is_greyed_out_with_the_reason(unscoped):
    assert NO_SHOP in job_enqueue_refusal(settings_obj=unscoped, job="orders")
    assert job_enqueue_refusal(settings_obj=unscoped, job="shops") is None  # only the orders job


def test_with_mapping_off_and_no_shop_name_beat_queues_no_order_download_until_a_shop_is_known(unscoped):
    from integrations.lightspeed.orders.selectors import companies_due_for_order_download

    LightspeedSettings.objects.filter(pk=unscoped.pk).update(enabled=True)
    assert list(companies_due_for_order_download()) == []  # no refused run every minute

    LightspeedSettings.objects.filter(pk=unscoped.pk).update(shops_mapping_enabled=True)
    assert list(companies_due_for_order_download()) == [unscoped.company_id]

    shop = LightspeedShop.objects.create(company=unscoped.company, shop_id=2, name="Uptown")
    LightspeedSettings.objects.filter(pk=unscoped.pk).update(shops_mapping_enabled=False, shop=shop)
    assert list(companies_due_for_order_download()) == [unscoped.company_id]


def test_with_mapping_off_and_no_shop_name_no_sale_is_replayed(unscoped):
    with pytest.raises(SaleReplayError, match=NO_SHOP):
        sale_replay(company_id=unscoped.company_id, sale_id=1)


def test_with_mapping_off_only_the_chosen_shops_sales_are_imported_and_the_others_counted(
    unscoped, mocked_lightspeed
):
    chosen = LightspeedShop.objects.create(company=unscoped.company, shop_id=2, name="Uptown")
    LightspeedSettings.objects.filter(pk=unscoped.pk).update(shop=chosen)
    mock_sales(mocked_lightspeed, [sale(801, [line(None)], shop_id=1), sale(802, [line(None)], shop_id=2)])

    run = job_run(company_id=unscoped.company_id, job=JOBS["orders"], sleep=lambda s: None)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["802"]
    assert run.counts["other_shops"] == 1


def _save(browser, store, **changes):
    url = settings_url(store.settings)
    return post(browser, url, settings_form_data(store.refresh(), **changes), token_from=url + "?edit=1")


def test_general_settings_refuses_order_download_with_mapping_off_and_no_shop_name(browser, store):
    connect(store)

    response = _save(browser, store, enabled=True, order_download_enabled=True)

    assert response.status_code == 200
    assert "Enable Order Download needs to know whose sales to download" in response.content.decode()
    assert not store.refresh().order_download_enabled and not store.settings.enabled


def test_general_settings_refuses_turning_pos_on_when_order_download_has_no_shop(browser, store):
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(order_download_enabled=True)

    response = _save(browser, store, enabled=True)

    assert response.status_code == 200 and NO_SHOP in response.content.decode()
    assert not store.refresh().enabled


@pytest.mark.parametrize(
    "scope", [{"shop": "downtown"}, {"shops_mapping_enabled": True}], ids=["shop name", "mapping on"]
)
def test_order_download_saves_with_a_shop_name_or_with_mapping_on(browser, store, scope):
    connect(store)
    if "shop" in scope:
        scope = {"shop": store.downtown.pk}

    response = _save(browser, store, enabled=True, order_download_enabled=True, **scope)

    assert response.status_code == 302
    assert store.refresh().order_download_enabled and store.settings.enabled


def test_order_download_with_no_shop_may_be_saved_while_lightspeed_pos_is_off(browser, store):
    connect(store)

    assert _save(browser, store, order_download_enabled=True).status_code == 302
    assert store.refresh().order_download_enabled and not store.settings.enabled


def test_the_merchant_sees_why_orders_are_not_downloaded_on_the_dashboard_and_general_settings(
    browser, store
):
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(enabled=True, order_download_enabled=True)

    dashboard = browser.get(reverse("admin:lightspeed_dashboard_changelist")).content.decode()
    general = browser.get(settings_url(store.settings)).content.decode()

    # Said live beside the orders job, though no run was ever refused (beat does not queue one).
    orders_row = re.search(r"<strong>orders</strong>.*?</tr>", dashboard, re.S).group(0)
    assert "does not run" in orders_row
    assert "Enable Order Download needs to know whose sales to download" in orders_row
    assert not SyncRun.objects.exists()
    assert re.search(
        r'<button type="button" disabled title="Enable Order Download needs to know[^"]*">Sync now: orders<',
        general,
    )
