"""Which sales explain a quantity Lightspeed moved, with its whole-second timeStamps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.commerce.models import StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import ItemShopState, StockDrift, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_upload import EMPTY_PAGE, bodies, item_answer, item_shop_page


@pytest.fixture
def store(connected):
    company = connected.company
    main = warehouse(company, "Main")
    downtown = shop(company, 1, "Downtown", main)
    settings_obj = uploads_on(connected, order_download_enabled=True, price_upload_enabled=False)
    settings_obj.cost_upload_enabled = False
    settings_obj.save(update_fields=["cost_upload_enabled"])
    return settings_obj, main, downtown


def sold(settings_obj, item_id: int, at, quantity: int = 1, sale_id: int = 9001) -> None:
    """What the order download records for a completed sale at a Downtown register."""
    sale = LightspeedSale.objects.create(
        company=settings_obj.company,
        sale_id=sale_id,
        state=LightspeedSale.State.IMPORTED,
        shop_id_seen=1,
        time_stamp=at,
    )
    LightspeedSaleLine.objects.create(
        sale=sale, sale_line_id=sale_id, item_id=item_id, kind="stock", quantity=quantity
    )


def whole_seconds_ago(minutes: int):
    return (timezone.now() - timedelta(minutes=minutes)).replace(microsecond=0)


def test_a_sale_stamped_a_second_after_the_stock_change_it_made_explains_it_and_is_no_drift(
    store, mocked_lightspeed
):
    settings_obj, main, downtown = store
    cap = product(settings_obj.company, "CAP")
    stock(cap, main, 7)  # 5 as Lightspeed last showed, plus a delivery of 2 not sent yet
    link(cap, 131, seen={downtown: 5})
    moved_at = whole_seconds_ago(3)
    # The register's stock change is stamped 12:00:05, the sale's completion 12:00:06.
    sold(settings_obj, 131, moved_at + timedelta(seconds=1))
    stock_adjust(product=cap, warehouse=main, quantity_change=-1, reason=StockLedgerEntry.Reason.ORDER)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(131, 1, 4, moved_at)]))

    reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 131), json=item_answer(131, {1: 6, 2: 0}))
    upload = job_run(company_id=settings_obj.company_id, job=JOBS["upload"])

    assert reconcile.counts["drift"] == 0 and upload.counts["moves_explained"] == 1
    assert bodies(mocked_lightspeed) == [
        ("Item/131.json", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "6"}]}})
    ]
    assert not StockDrift.objects.exists()


def test_a_sale_rung_up_in_the_same_second_as_our_last_write_explains_the_move_after_it(
    store, mocked_lightspeed
):
    settings_obj, main, downtown = store
    hat = product(settings_obj.company, "HAT")
    stock(hat, main, 8)  # our write of 5, then a sale of 1 and a delivery of 4 here
    written_at = whole_seconds_ago(3)
    link(hat, 132, seen={downtown: 5})
    ItemShopState.objects.filter(link__product=hat).update(seen_time_stamp=written_at)
    # The sale came through in the very second of our write: both rows carry that timeStamp.
    sold(settings_obj, 132, written_at)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(132, 1, 4, written_at)]))

    reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])

    assert reconcile.counts["moved_in_lightspeed"] == 1 and reconcile.counts["drift"] == 0
    assert not StockDrift.objects.exists()


def test_a_count_in_the_same_second_as_a_sale_is_still_drift(store, mocked_lightspeed):
    settings_obj, main, downtown = store
    boot = product(settings_obj.company, "BOOT")
    stock(boot, main, 4)
    link(boot, 133, seen={downtown: 5})
    moved_at = whole_seconds_ago(3)
    sold(settings_obj, 133, moved_at)  # one sold, and a count in Lightspeed set the shelf to 9
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(133, 1, 9, moved_at)]))

    reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])

    assert reconcile.counts["drift"] == 1
    drift = StockDrift.objects.get()
    assert (drift.lightsync_qoh, drift.lightspeed_qoh) == (4, 9)


def test_a_move_is_not_overwritten_while_a_sale_a_second_after_it_may_still_be_unread(
    store, mocked_lightspeed
):
    from integrations.lightspeed.models.orders import OrderCursor

    settings_obj, main, downtown = store
    mug = product(settings_obj.company, "MUG")
    stock(mug, main, 7)
    link(mug, 134, seen={downtown: 5})
    moved_at = whole_seconds_ago(3)
    # The order download has read sales up to the very second of the move, not the one after it.
    OrderCursor.objects.update_or_create(
        company=settings_obj.company,
        defaults={
            "sales_after": moved_at,
            "start_at": moved_at - timedelta(days=1),
            "updates_after": moved_at,
        },
    )
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(134, 1, 4, moved_at)]))

    upload = job_run(company_id=settings_obj.company_id, job=JOBS["upload"])

    assert upload.counts.get("held_back") == 1, (upload.counts, upload.error, upload.outcome)
    assert bodies(mocked_lightspeed) == []
