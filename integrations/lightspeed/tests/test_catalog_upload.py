"""The upload job against a strict HTTP mock: exact requests, only what changed, never a sale."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from responses import matchers

from integrations.commerce.models import StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.jobs.registry import CHANGED_ONLY, JOBS, resolve_job
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import ItemShopState, ProductLink, StockDrift, SyncIssue, SyncRun

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url

EMPTY_PAGE = {"@attributes": {"next": "", "previous": ""}}


def stamp(moment) -> str:
    return (
        moment.astimezone(timezone.UTC if hasattr(timezone, "UTC") else None)
        .replace(microsecond=0)
        .isoformat()
    )


def iso(moment) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def item_answer(item_id: int, shops: dict[int, int], price: str = "19.99", cost: str = "8.5") -> dict:
    now = iso(timezone.now())
    return {
        "@attributes": {"count": "1"},
        "Item": {
            "itemID": str(item_id),
            "systemSku": f"21{item_id:010d}",
            "defaultCost": cost,
            "timeStamp": now,
            "archived": "false",
            "Prices": {"ItemPrice": [{"amount": price, "useTypeID": "1", "useType": "Default"}]},
            "ItemShops": {
                "ItemShop": [
                    {
                        "itemShopID": str(item_id * 10 + s),
                        "itemID": str(item_id),
                        "shopID": str(s),
                        "qoh": str(q),
                        "timeStamp": now,
                    }
                    for s, q in shops.items()
                ]
            },
        },
    }


def item_shop_page(rows: list[tuple[int, int, int, object]]) -> dict:
    return {
        **EMPTY_PAGE,
        "ItemShop": [
            {
                "itemShopID": str(i * 10 + s),
                "itemID": str(i),
                "shopID": str(s),
                "qoh": str(q),
                "timeStamp": iso(t),
            }
            for i, s, q, t in rows
        ],
    }


def bodies(mock, method: str = "PUT") -> list[tuple[str, dict]]:
    return [
        (call.request.url.split("/Account/100001/")[1], json.loads(call.request.body))
        for call in mock.calls
        if call.request.method == method
    ]


@pytest.fixture
def store(connected):
    company = connected.company
    main, uptown = warehouse(company, "Main"), warehouse(company, "Uptown")
    downtown_shop, uptown_shop = shop(company, 1, "Downtown", main), shop(company, 2, "Uptown", uptown)
    return uploads_on(connected), main, uptown, downtown_shop, uptown_shop


def run_upload(company_id: int, *fields: str) -> SyncRun:
    run = job_run(company_id=company_id, job=JOBS["upload"], fields=frozenset(fields))
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run


def test_everything_that_changed_for_an_item_goes_in_one_put(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    jacket = product(settings_obj.company, "JACKET", site_price=Decimal("24.50"), site_cost=Decimal("9.2500"))
    stock(jacket, main, 7)
    stock(jacket, uptown, 9)
    link(jacket, 101, seen={downtown: 5, up: 3}, price=Decimal("19.99"), cost=Decimal("8.5"))
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 101), json=item_answer(101, {1: 7, 2: 9}, "24.5", "9.25"))

    run = run_upload(settings_obj.company_id)

    assert bodies(mocked_lightspeed) == [
        (
            "Item/101.json",
            {
                "ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "7"}, {"shopID": "2", "qoh": "9"}]},
                "Prices": {"ItemPrice": [{"useTypeID": "1", "amount": "24.50"}]},
                "defaultCost": "9.2500",
            },
        )
    ]
    assert run.api_requests == 2 and run.counts["items_sent"] == 1 and run.counts["quantities_sent"] == 2
    jacket_link = ProductLink.objects.get(product=jacket)
    assert (jacket_link.price_sent, jacket_link.cost_sent) == (Decimal("24.50"), Decimal("9.2500"))
    assert jacket_link.upload_due_at is None
    assert dict(ItemShopState.objects.filter(link=jacket_link).values_list("shop__shop_id", "qoh_sent")) == {
        1: 7,
        2: 9,
    }


def test_only_the_shops_and_fields_that_changed_are_sent(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    boots = product(settings_obj.company, "BOOTS")
    stock(boots, main, 2)
    stock(boots, uptown, 4)
    link(boots, 102, seen={downtown: 2, up: 1})  # price and cost already agree
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 102), json=item_answer(102, {1: 2, 2: 4}))

    run_upload(settings_obj.company_id)

    assert bodies(mocked_lightspeed) == [
        ("Item/102.json", {"ItemShops": {"ItemShop": [{"shopID": "2", "qoh": "4"}]}})
    ]


def test_nothing_changed_means_no_request_and_the_full_pass_only_polls(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    hat = product(settings_obj.company, "HAT")
    stock(hat, main, 1)
    link(hat, 103, seen={downtown: 1, up: 0})

    changed = job_run(
        company_id=settings_obj.company_id, job=JOBS["upload"], fields=frozenset({CHANGED_ONLY})
    )

    assert changed.api_requests == 0 and changed.counts == {"items_sent": 0}
    assert len(mocked_lightspeed.calls) == 0

    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    full = run_upload(settings_obj.company_id)

    assert full.api_requests == 1 and full.counts["items_sent"] == 0
    assert [c.request.method for c in mocked_lightspeed.calls] == ["GET"]


def test_the_upload_follows_the_enable_settings_and_the_field_named_on_the_command_line(
    store, mocked_lightspeed
):
    settings_obj, main, uptown, downtown, up = store
    uploads_on(settings_obj, price_upload_enabled=False)
    cap = product(settings_obj.company, "CAP", site_price=Decimal("30"), site_cost=Decimal("12"))
    stock(cap, main, 6)
    link(cap, 104, seen={downtown: 1, up: 0}, price=Decimal("1"), cost=Decimal("1"))
    mocked_lightspeed.put(resource_url("Item", 104), json=item_answer(104, {1: 1, 2: 0}, "1", "12"))

    job, fields = resolve_job("costs")
    run = job_run(company_id=settings_obj.company_id, job=job, fields=fields)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert bodies(mocked_lightspeed) == [("Item/104.json", {"defaultCost": "12.0000"})]


def test_a_quantity_sold_at_a_register_is_held_until_the_order_download_has_it_then_goes_up(
    store, mocked_lightspeed
):
    settings_obj, main, uptown, downtown, up = store
    settings_obj.order_download_enabled = True
    settings_obj.save(update_fields=["order_download_enabled"])
    scarf = product(settings_obj.company, "SCARF")
    stock(scarf, main, 7)  # LightSync received 2 more; Lightspeed still shows 5
    link(scarf, 105, seen={downtown: 5, up: 0})
    sold_at = timezone.now() - timedelta(minutes=2)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(105, 1, 4, sold_at)]))

    first = run_upload(settings_obj.company_id)

    assert bodies(mocked_lightspeed) == []
    assert first.counts["held_back"] == 1 and first.counts["moved_in_lightspeed"] == 1
    state = ItemShopState.objects.get(link__product=scarf, shop=downtown)
    assert (state.qoh_seen, state.moved_at) == (4, sold_at.replace(microsecond=0))
    assert ProductLink.objects.get(product=scarf).upload_due_at is not None  # the next cycle looks again

    # The order download imports the sale (its stock comes off here) and has read past it.
    stock_adjust(product=scarf, warehouse=main, quantity_change=-1, reason=StockLedgerEntry.Reason.ORDER)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 105), json=item_answer(105, {1: 6, 2: 0}))

    second = run_upload(settings_obj.company_id)

    assert bodies(mocked_lightspeed) == [
        ("Item/105.json", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "6"}]}})
    ]
    assert second.counts["items_sent"] == 1
    state.refresh_from_db()
    assert (state.qoh_seen, state.qoh_sent, state.moved_at) == (6, 6, None)


def test_a_move_no_sale_explains_is_overwritten_once_the_download_caught_up_and_recorded_as_drift(
    store, mocked_lightspeed
):
    settings_obj, main, uptown, downtown, up = store
    settings_obj.order_download_enabled = True
    settings_obj.save(update_fields=["order_download_enabled"])
    belt = product(settings_obj.company, "BELT")
    stock(belt, main, 5)
    link(belt, 106, seen={downtown: 5, up: 0})
    counted_at = timezone.now() - timedelta(minutes=5)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(106, 1, 9, counted_at)]))
    mocked_lightspeed.put(resource_url("Item", 106), json=item_answer(106, {1: 5, 2: 0}))

    run = run_upload(settings_obj.company_id, "inventory")

    assert bodies(mocked_lightspeed) == [
        ("Item/106.json", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "5"}]}})
    ]
    drift = StockDrift.objects.get()
    assert (drift.lightsync_qoh, drift.lightspeed_qoh, drift.status) == (5, 9, StockDrift.Status.PUSHED)
    assert run.counts["drift_overwritten"] == 1


def test_a_write_lightspeed_refuses_becomes_an_issue_and_the_run_goes_on(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    first, second = product(settings_obj.company, "A-1"), product(settings_obj.company, "B-2")
    for item, item_id in ((first, 107), (second, 108)):
        stock(item, main, 3)
        link(item, item_id, seen={downtown: 0, up: 0})
    refusal = {
        "httpCode": "400",
        "httpMessage": "Bad Request",
        "message": "Item 107 is a matrix item.",
        "errorClass": "Exception",
    }
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 107), status=400, json=refusal)
    mocked_lightspeed.put(resource_url("Item", 108), json=item_answer(108, {1: 3, 2: 0}))

    run = run_upload(settings_obj.company_id)

    assert run.counts["rejected"] == 1 and run.counts["items_sent"] == 1
    issue = SyncIssue.objects.get(kind="upload_rejected")
    assert issue.key == "107" and "Item 107 is a matrix item." in issue.message


def test_a_refused_write_resolves_its_issue_once_the_item_goes_up_on_a_later_run(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    vest = product(settings_obj.company, "A-1")
    stock(vest, main, 3)
    link(vest, 107, seen={downtown: 0, up: 0})
    refusal = {
        "httpCode": "400",
        "httpMessage": "Bad Request",
        "message": "Item 107 is locked.",
        "errorClass": "x",
    }
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 107), status=400, json=refusal)
    mocked_lightspeed.put(resource_url("Item", 107), json=item_answer(107, {1: 3, 2: 0}))

    first = run_upload(settings_obj.company_id)
    assert first.counts["rejected"] == 1
    assert SyncIssue.objects.get(kind="upload_rejected").status == SyncIssue.Status.OPEN

    second = run_upload(settings_obj.company_id)  # the full pass sends it again; Lightspeed takes it

    issue = SyncIssue.objects.get(kind="upload_rejected")
    assert second.counts["items_sent"] == 1 and second.counts["refusals_resolved"] == 1
    assert issue.status == SyncIssue.Status.RESOLVED
    assert issue.resolution == "Lightspeed took the item's update on a later upload."


def test_dry_run_lists_what_would_be_sent_without_sending(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    vest = product(settings_obj.company, "VEST", site_price=Decimal("40"))
    stock(vest, uptown, 2)
    link(vest, 109, seen={downtown: 0, up: 5}, price=Decimal("35"))

    run = job_run(company_id=settings_obj.company_id, job=JOBS["upload"], dry_run=True)

    assert len(mocked_lightspeed.calls) == 0
    assert run.counts["preview"] == ["VEST @ Uptown: qoh 5 → 2", "VEST: price 35 → 40"]
    assert ItemShopState.objects.get(link__product=vest, shop=up).qoh_seen == 5


def test_lightspeed_sync_inventory_dry_run_prints_each_quantity_it_would_send(store, mocked_lightspeed):
    from io import StringIO

    from django.core.management import call_command

    settings_obj, main, uptown, downtown, up = store
    vest = product(settings_obj.company, "VEST", site_price=Decimal("40"))
    stock(vest, main, 3)
    link(vest, 110, seen={downtown: 1, up: 0}, price=Decimal("35"))
    out = StringIO()

    call_command(
        "lightspeed_sync",
        "inventory",
        "--dry-run",
        "--company",
        str(settings_obj.company_id),
        stdout=out,
        stderr=StringIO(),
    )

    text = out.getvalue()
    assert "  would send VEST @ Downtown: qoh 1 → 3" in text
    assert "price" not in text  # limited to inventory
    assert len(mocked_lightspeed.calls) == 0 and ProductLink.objects.get(product=vest).price_seen == Decimal(
        "35"
    )


def test_stock_changed_by_a_bulk_path_goes_up_with_the_next_run_of_what_changed(store, mocked_lightspeed):
    from integrations.commerce.services.stock import stock_set_many

    settings_obj, main, uptown, downtown, up = store
    gloves = product(settings_obj.company, "GLOVES")
    stock(gloves, main, 3)
    link(gloves, 111, seen={downtown: 3, up: 0})
    changed = frozenset({CHANGED_ONLY})
    assert job_run(company_id=settings_obj.company_id, job=JOBS["upload"], fields=changed).api_requests == 0

    stock_set_many(counts=[(gloves, main, 8)])  # bulk_update + bulk_create: no signal fires
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 111), json=item_answer(111, {1: 8, 2: 0}))

    run = job_run(company_id=settings_obj.company_id, job=JOBS["upload"], fields=changed)

    assert run.counts["items_sent"] == 1
    assert bodies(mocked_lightspeed) == [
        ("Item/111.json", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "8"}]}})
    ]


def test_an_item_whose_quantities_were_never_seen_is_read_first_and_only_a_difference_is_sent(
    store, mocked_lightspeed
):
    settings_obj, main, uptown, downtown, up = store
    mittens = product(settings_obj.company, "MITTENS")
    stock(mittens, main, 2)
    stock(mittens, uptown, 6)
    link(mittens, 112)  # linked by a sale line: Lightspeed's quantities unknown here
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.get(
        resource_url("Item"),
        json={**EMPTY_PAGE, "Item": item_answer(112, {1: 2, 2: 1})["Item"]},
        match=[matchers.query_param_matcher({"itemID": "IN,[112]"}, strict_match=False)],
    )
    mocked_lightspeed.put(resource_url("Item", 112), json=item_answer(112, {1: 2, 2: 6}))

    run = run_upload(settings_obj.company_id, "inventory")

    assert run.counts["items_read"] == 1
    assert bodies(mocked_lightspeed) == [
        ("Item/112.json", {"ItemShops": {"ItemShop": [{"shopID": "2", "qoh": "6"}]}})
    ]


def test_without_order_download_a_move_is_never_overwritten_and_shows_in_the_drift_report(
    store, mocked_lightspeed
):
    settings_obj, main, uptown, downtown, up = store  # Enable Order Download is off
    tie = product(settings_obj.company, "TIE")
    stock(tie, main, 5)
    link(tie, 113, seen={downtown: 5, up: 0})
    mocked_lightspeed.get(
        resource_url("ItemShop"), json=item_shop_page([(113, 1, 3, timezone.now() - timedelta(minutes=1))])
    )

    reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    upload = run_upload(settings_obj.company_id)

    assert reconcile.counts["drift_opened"] == 1 and upload.counts["held_back"] == 1
    assert bodies(mocked_lightspeed) == []
    drift = StockDrift.objects.get()
    assert (drift.lightsync_qoh, drift.lightspeed_qoh, drift.status) == (5, 3, StockDrift.Status.OPEN)
    assert ProductLink.objects.get(product=tie).upload_due_at is None  # not retried every minute


def test_a_move_the_downloaded_sales_explain_is_not_drift_even_when_lightsync_changed_too(
    store, mocked_lightspeed
):
    from integrations.lightspeed.models.orders import LightspeedSale, LightspeedSaleLine

    settings_obj, main, uptown, downtown, up = store
    settings_obj.order_download_enabled = True
    settings_obj.save(update_fields=["order_download_enabled"])
    cap = product(settings_obj.company, "CAP")
    stock(cap, main, 7)  # a delivery of 2 here, not sent yet; Lightspeed shows 5
    link(cap, 114, seen={downtown: 5, up: 0})
    sold_at = (timezone.now() - timedelta(minutes=3)).replace(microsecond=0)  # Lightspeed's are whole seconds
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(114, 1, 4, sold_at)]))
    run_upload(settings_obj.company_id)  # held: the sale is not downloaded yet

    # What the order download records and books for that sale.
    sale = LightspeedSale.objects.create(
        company=settings_obj.company,
        sale_id=9001,
        state=LightspeedSale.State.IMPORTED,
        shop_id_seen=1,
        time_stamp=sold_at,
    )
    LightspeedSaleLine.objects.create(sale=sale, sale_line_id=1, item_id=114, kind="stock", quantity=1)
    stock_adjust(product=cap, warehouse=main, quantity_change=-1, reason=StockLedgerEntry.Reason.ORDER)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 114), json=item_answer(114, {1: 6, 2: 0}))

    run = run_upload(settings_obj.company_id)

    assert bodies(mocked_lightspeed) == [
        ("Item/114.json", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "6"}]}})
    ]
    assert run.counts["moves_explained"] == 1 and not StockDrift.objects.exists()


def test_a_drift_the_reconcile_opened_is_pushed_by_the_upload_not_recorded_twice(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    settings_obj.order_download_enabled = True
    settings_obj.save(update_fields=["order_download_enabled"])
    sock = product(settings_obj.company, "SOCK")
    stock(sock, main, 5)
    link(sock, 115, seen={downtown: 5, up: 0})
    counted_at = timezone.now() - timedelta(minutes=5)
    SyncRun.objects.create(company=settings_obj.company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED)
    mocked_lightspeed.get(resource_url("ItemShop"), json=item_shop_page([(115, 1, 9, counted_at)]))

    reconcile = job_run(company_id=settings_obj.company_id, job=JOBS["reconcile"])
    assert reconcile.counts["drift_opened"] == 1

    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 115), json=item_answer(115, {1: 5, 2: 0}))
    run = run_upload(settings_obj.company_id, "inventory")

    assert run.counts["drift_overwritten"] == 1
    drift = StockDrift.objects.get()  # one move, one record
    assert (drift.lightsync_qoh, drift.lightspeed_qoh, drift.status) == (5, 9, StockDrift.Status.PUSHED)
    assert drift.settled_at is not None


def test_the_price_goes_to_the_price_level_chosen_in_advanced_settings(store, mocked_lightspeed):
    settings_obj, main, uptown, downtown, up = store
    settings_obj.price_level = 3  # Online
    settings_obj.save(update_fields=["price_level"])
    hood = product(settings_obj.company, "HOOD", site_price=Decimal("30"))
    link(hood, 116, seen={downtown: 0, up: 0}, price=Decimal("25"))
    answer = item_answer(116, {1: 0, 2: 0})
    answer["Item"]["Prices"]["ItemPrice"].append({"amount": "30", "useTypeID": "3", "useType": "Online"})
    mocked_lightspeed.put(resource_url("Item", 116), json=answer)

    run_upload(settings_obj.company_id, "prices")

    assert bodies(mocked_lightspeed) == [
        ("Item/116.json", {"Prices": {"ItemPrice": [{"useTypeID": "3", "amount": "30.00"}]}})
    ]
    assert ProductLink.objects.get(product=hood).price_seen == Decimal("30")


def test_the_run_of_what_changed_measures_each_stock_change_until_lightspeed_took_it(
    store, mocked_lightspeed
):
    from integrations.lightspeed.models import FreshnessSample

    settings_obj, main, uptown, downtown, up = store
    scarf = product(settings_obj.company, "SCARF")
    stock(scarf, main, 3)
    scarf_link = link(scarf, 114, seen={downtown: 3, up: 0})
    changed_at = timezone.now() - timedelta(seconds=4)
    stock_adjust(product=scarf, warehouse=main, quantity_change=2, reason=StockLedgerEntry.Reason.ADJUSTMENT)
    ProductLink.objects.filter(pk=scarf_link.pk).update(upload_due_at=changed_at)  # marked 4 s ago
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 114), json=item_answer(114, {1: 5, 2: 0}))

    job_run(company_id=settings_obj.company_id, job=JOBS["upload"], fields=frozenset({CHANGED_ONLY}))

    sample = FreshnessSample.objects.get()
    assert (sample.direction, sample.key, sample.occurred_at) == (
        FreshnessSample.Direction.STOCK_TO_LIGHTSPEED,
        "114",
        changed_at,
    )
    assert 4 <= sample.seconds < 60

    # The full pass is no change's path: it sends, but measures nothing.
    stock_adjust(product=scarf, warehouse=main, quantity_change=1, reason=StockLedgerEntry.Reason.ADJUSTMENT)
    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.put(resource_url("Item", 114), json=item_answer(114, {1: 6, 2: 0}))
    assert run_upload(settings_obj.company_id, "inventory").counts["items_sent"] == 1
    assert FreshnessSample.objects.count() == 1


def test_writes_go_in_flight_together_and_each_answer_is_recorded_whatever_order_they_come_in(
    store, mocked_lightspeed
):
    import threading

    settings_obj, main, uptown, downtown, up = store
    items = {}
    for n, item_id in enumerate((121, 122, 123)):
        item = product(settings_obj.company, f"TEE-{n}")
        stock(item, main, 4 + n)
        link(item, item_id, seen={downtown: 0, up: 0})
        items[item_id] = item
    # The first write's answer waits until the third write has arrived: only writes in flight
    # together get past it, and the third is answered first.
    third_arrived = threading.Event()

    def answer(item_id: int, qoh: int, *, first: bool = False, last: bool = False):
        def callback(request):
            if last:
                third_arrived.set()
            if first:
                assert third_arrived.wait(10), "the third write was not sent while the first was in flight"
            return 200, {}, json.dumps(item_answer(item_id, {1: qoh, 2: 0}))

        return callback

    mocked_lightspeed.get(resource_url("ItemShop"), json=EMPTY_PAGE)
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 121), callback=answer(121, 4, first=True))
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 122), callback=answer(122, 5))
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 123), callback=answer(123, 6, last=True))

    run = run_upload(settings_obj.company_id, "inventory")

    assert run.counts["items_sent"] == 3 and run.counts["quantities_sent"] == 3
    sent = dict(ItemShopState.objects.filter(shop=downtown).values_list("link__item_id", "qoh_sent"))
    assert sent == {121: 4, 122: 5, 123: 6}
    assert sorted(path for path, _ in bodies(mocked_lightspeed)) == [
        "Item/121.json",
        "Item/122.json",
        "Item/123.json",
    ]
