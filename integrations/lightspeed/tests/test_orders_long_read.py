"""A long read of sales (a first run, a backfill, a catch-up: more than one page) asks the change
probe once the second page has come, and then reads later changes from the probe's answer, not
the whole range a second time — voids included."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from responses import matchers

from integrations.commerce.models import Order, Warehouse
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.models.orders import OrderCursor
from integrations.lightspeed.tests.orders_helpers import SALE_URL, line, page, sale, shop_with_warehouses

START = datetime(2026, 11, 1, tzinfo=UTC)
PROBED = "2026-11-20T12:00:00+00:00"


@pytest.fixture
def first_run(connected):
    main = Warehouse.objects.create(company=connected.company, name="Main", code="MAIN", is_default=True)
    shop_with_warehouses(connected.company, main)
    connected.shops_mapping_enabled = True
    connected.order_download_enabled = True
    connected.order_download_start = START
    connected.save()
    return connected


def headers(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("SaleLines", "SalePayments", "Customer")}


def get(mock, body: dict, **params: str) -> None:
    mock.get(SALE_URL, json=body, match=[matchers.query_param_matcher(params, strict_match=False)])


def test_a_long_first_read_probes_once_and_reads_later_changes_from_the_probe_not_from_the_start(
    first_run, mocked_lightspeed
):
    sales = [sale(n, [line(None)], time_stamp=f"2026-11-20T10:0{n}:00+00:00") for n in (1, 2, 3)]
    get(mocked_lightspeed, page(sales[:2], next_url=f"{SALE_URL}?after=p2"), sort="timeStamp")
    get(mocked_lightspeed, page(sales[2:]), after="p2")
    # The probe: the sale Lightspeed changed last, as the second page came.
    get(mocked_lightspeed, page([headers(sales[2]) | {"updatetime": PROBED}]), sort="-updatetime", limit="1")
    # Sales stamped before pass 1's start that changed since the cursor: none.
    get(
        mocked_lightspeed,
        page([]),
        sort="updatetime",
        updatetime=">,2026-10-31T23:59:30+00:00",
        timeStamp="<=,2026-10-31T23:55:00+00:00",
    )
    # Changes from the probe less the 30 s change overlap: sale 1, read by pass 1, voided since.
    voided = headers(sales[0]) | {"voided": "true", "updatetime": "2026-11-20T12:00:05+00:00"}
    get(mocked_lightspeed, page([voided]), sort="updatetime", updatetime=">,2026-11-20T11:59:30+00:00")

    run = job_run(company_id=first_run.company_id, job=JOBS["orders"], sleep=lambda s: None)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    statuses = dict(Order.objects.values_list("channel_order_id", "status"))
    assert sorted(statuses) == ["1", "2", "3"] and statuses["1"] == Order.Status.VOID
    assert Order.Status.VOID not in (statuses["2"], statuses["3"])
    sorts = [parse_qs(urlsplit(c.request.url).query).get("sort") for c in mocked_lightspeed.calls]
    assert sorts == [["timeStamp"], None, ["-updatetime"], ["updatetime"], ["updatetime"]]
    cursor = OrderCursor.objects.get(company_id=first_run.company_id)
    assert cursor.updates_after == datetime(2026, 11, 20, 12, 0, 5, tzinfo=UTC)


def test_a_one_page_read_asks_no_probe_and_reads_changes_from_its_cursor(first_run, mocked_lightspeed):
    only = sale(1, [line(None)], time_stamp="2026-11-20T10:00:00+00:00")
    get(mocked_lightspeed, page([only]), sort="timeStamp")
    get(mocked_lightspeed, page([headers(only)]), sort="updatetime", updatetime=">,2026-10-31T23:59:30+00:00")

    run = job_run(company_id=first_run.company_id, job=JOBS["orders"], sleep=lambda s: None)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert list(Order.objects.values_list("channel_order_id", flat=True)) == ["1"]
    assert len(mocked_lightspeed.calls) == 2
