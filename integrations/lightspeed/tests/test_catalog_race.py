"""Jobs that read Lightspeed's quantities beside the upload: no poll takes our own write for a move."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from integrations.commerce.models import StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.catalog.services import state as catalog_state
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import ItemShopState, ProductLink, StockDrift, SyncRun

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_upload import EMPTY_PAGE, item_answer, item_shop_page

DEADLINE = 60.0


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_reconcile_polling_while_an_upload_writes_never_takes_the_uploads_write_for_drift(
    connected, mocked_lightspeed, monkeypatch
):
    company = connected.company
    main, uptown = warehouse(company, "Main"), warehouse(company, "Uptown")
    downtown, up = shop(company, 1, "Downtown", main), shop(company, 2, "Uptown", uptown)
    settings_obj = uploads_on(connected)  # Enable Order Download off: every unexplained move is drift
    coat = product(company, "COAT")
    stock(coat, main, 6)
    link(coat, 120, seen={downtown: 5, up: 0})

    written: dict = {}  # what Lightspeed holds once our PUT has reached it
    reconcile: dict = {}
    reconcile_waits = threading.Event()

    def item_shops(request):
        rows = [(120, 1, 6, written["at"])] if written else []
        return 200, {}, json.dumps(item_shop_page(rows) if rows else EMPTY_PAGE)

    def reconcile_in_another_worker():
        try:
            reconcile["run"] = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])
        finally:
            connection.close()

    def lock_sleep(seconds):
        reconcile_waits.set()
        time.sleep(min(seconds, 0.05))

    monkeypatch.setattr(catalog_state, "_lock_sleep", lock_sleep, raising=False)

    def put_item(request):
        # Lightspeed has taken our write; before the upload records it, a delivery lands here
        # and the reconcile of another worker polls Lightspeed's stock changes.
        answer = item_answer(120, {1: 6, 2: 0})
        written["at"] = timezone.now()
        stock_adjust(
            product=coat, warehouse=main, quantity_change=1, reason=StockLedgerEntry.Reason.ADJUSTMENT
        )
        worker = reconcile["thread"] = threading.Thread(target=reconcile_in_another_worker)
        worker.start()
        wait_for(lambda: reconcile_waits.is_set() or not worker.is_alive(), "the reconcile to poll or wait")
        return 200, {}, json.dumps(answer)

    mocked_lightspeed.add_callback("GET", resource_url("ItemShop"), callback=item_shops)
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 120), callback=put_item)

    upload = job_run(company_id=settings_obj.company_id, job=JOBS["upload"], fields=frozenset({"inventory"}))
    reconcile["thread"].join(timeout=DEADLINE)

    assert upload.outcome == SyncRun.Outcome.SUCCEEDED and upload.counts["items_sent"] == 1
    assert reconcile["run"].outcome == SyncRun.Outcome.SUCCEEDED, reconcile["run"].error
    state = ItemShopState.objects.get(link__product=coat, shop=downtown)
    assert (state.qoh_seen, state.qoh_sent, state.moved_at) == (6, 6, None)
    assert not StockDrift.objects.exists()  # our own write of 6 is no drift; the 7 goes up next run
    assert reconcile_waits.is_set()  # it waited for the upload to record its write


def test_an_upload_that_cannot_get_the_stock_lock_sends_nothing_and_keeps_its_products_due(
    connected, mocked_lightspeed, settings
):
    settings.LIGHTSPEED_CATALOG_LOCK_WAIT_SECONDS = 0
    company = connected.company
    main = warehouse(company, "Main")
    downtown = shop(company, 1, "Downtown", main)
    settings_obj = uploads_on(connected)
    coat = product(company, "COAT")
    stock(coat, main, 6)
    link(coat, 121, seen={downtown: 5})
    due = ProductLink.objects.filter(product=coat)
    due.update(upload_due_at=timezone.now())

    with catalog_state.catalog_stock_lock(company.pk, wait=0) as held:  # a reconcile is polling
        assert held is not None
        upload = job_run(company_id=settings_obj.company_id, job=JOBS["upload"])
        reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])

    assert upload.counts == {"items_sent": 0, "stock_lock_busy": 1} and upload.api_requests == 0
    assert reconcile.counts == {"stock_lock_busy": 1} and reconcile.api_requests == 0
    assert due.get().upload_due_at is not None  # the next run sends it
