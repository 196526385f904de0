"""The live loop's decisions, with Lightspeed stubbed and our clock injected: what one probe asks,
when it runs the orders job and what that run reads, when the next probe comes, and how the tick
queues probes (and queues again a probe lost with its worker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from responses import matchers

from integrations.commerce.models import Order
from integrations.lightspeed.live.services.probe import live_probe, probe_interval
from integrations.lightspeed.live.services.schedule import live_tick
from integrations.lightspeed.models import (
    ApiUsageMinute,
    FreshnessSample,
    LightspeedSettings,
    LiveState,
    SyncRun,
)
from integrations.lightspeed.models.orders import LightspeedSale, OrderCursor
from integrations.lightspeed.tests.orders_helpers import SALE_URL, line, page, sale

from .test_orders_import import START, shop_setup  # noqa: F401 - fixture

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # our clock in these tests
READ_UP_TO = datetime(2026, 12, 4, 11, 59, 50, tzinfo=UTC)  # the orders cursor, Lightspeed's clock
HEADERS = {"X-LS-API-Drip-Rate": "3.5", "X-LS-API-Bucket-Level": "4/140", "X-LS-API-Request-Cost": "1"}
PROBE = [matchers.query_param_matcher({"sort": "-updatetime", "limit": "1"})]


@pytest.fixture
def live(shop_setup):  # noqa: F811
    company = shop_setup["settings"].company
    OrderCursor.objects.create(
        company=company, start_at=START, sales_after=READ_UP_TO, updates_after=READ_UP_TO
    )
    LiveState.objects.create(company=company, next_probe_at=T0)
    return company


def newest(sale_id: int, update_time: datetime, **kwargs) -> dict:
    """The probe's answer: one sale, no relations."""
    record = sale(sale_id, [], update_time=update_time.isoformat(), **kwargs)
    record.pop("SalePayments", None)
    return page([record])


def queries(mocked) -> list[dict]:
    return [{k: v[0] for k, v in parse_qs(urlsplit(c.request.url).query).items()} for c in mocked.calls]


def test_a_probe_that_finds_nothing_new_asks_one_question_of_one_drip_and_runs_nothing(
    live, mocked_lightspeed
):
    mocked_lightspeed.get(
        SALE_URL, json=newest(700, READ_UP_TO - timedelta(seconds=5)), match=PROBE, headers=HEADERS
    )

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert (outcome.probed, outcome.changed, outcome.run) == (True, False, None)
    assert len(mocked_lightspeed.calls) == 1
    assert not SyncRun.objects.filter(company=live).exists()
    state = LiveState.objects.get(company=live)
    assert state.caught_up_at == T0  # the upload may trust the download up to here
    # A tenth of 3.5 drips/s is one 1-drip probe every 2.86 s.
    assert state.next_probe_at == T0 + timedelta(seconds=1 / 0.35)
    usage = ApiUsageMinute.objects.get(company=live)
    assert (usage.poll_drips, usage.poll_requests, usage.work_drips, usage.drip_rate) == (1.0, 1, 0.0, 3.5)


def test_a_probe_that_sees_a_newer_change_downloads_just_that_change_at_once(live, mocked_lightspeed):
    changed_at = READ_UP_TO + timedelta(seconds=8)
    completed = sale(801, [line(None)], time_stamp=changed_at.isoformat())
    mocked_lightspeed.get(SALE_URL, json=newest(801, changed_at), match=PROBE, headers=HEADERS)
    since = (READ_UP_TO - timedelta(seconds=30)).isoformat()
    headers_only = {k: v for k, v in completed.items() if k not in ("SaleLines", "SalePayments")}
    mocked_lightspeed.get(
        SALE_URL,
        json=page([headers_only]),
        match=[matchers.query_param_matcher({"updatetime": f">,{since}"}, strict_match=False)],
    )
    mocked_lightspeed.get(
        SALE_URL,
        json=page([completed]),
        match=[matchers.query_param_matcher({"saleID": "IN,[801]"}, strict_match=False)],
    )

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert outcome.changed
    assert outcome.run.outcome == SyncRun.Outcome.SUCCEEDED, outcome.run.error
    # The probe, the changes since the cursor (30 s overlap), the one sale in full: no timeStamp
    # pass, no SaleVoid list.
    asked = queries(mocked_lightspeed)
    assert [q.get("sort") for q in asked] == ["-updatetime", "updatetime", "saleID"]
    assert Order.objects.filter(company=live, channel_order_id="801").exists()
    cursor = OrderCursor.objects.get(company=live)
    assert cursor.updates_after == cursor.sales_after == changed_at
    sample = FreshnessSample.objects.get(company=live)
    assert (sample.direction, sample.key) == (FreshnessSample.Direction.SALE_TO_ORDER, "801")
    state = LiveState.objects.get(company=live)
    assert (state.seen_sale_id, state.seen_update_time, state.last_change_at) == (801, changed_at, T0)
    # Sales come in runs: after a change the next probe comes sooner (never under 2 s).
    assert state.next_probe_at == T0 + timedelta(seconds=2)


def test_a_sale_voided_at_the_register_is_seen_by_the_probe_and_its_order_voided(live, mocked_lightspeed):
    sold_at = READ_UP_TO - timedelta(minutes=5)
    LightspeedSale.objects.create(company=live, sale_id=802, state=LightspeedSale.State.IMPORTED)
    voided_at = READ_UP_TO + timedelta(seconds=3)  # updatetime moves; timeStamp does not
    void = sale(802, [], time_stamp=sold_at.isoformat(), update_time=voided_at.isoformat(), voided=True)
    void.pop("SalePayments")
    mocked_lightspeed.get(SALE_URL, json=page([void]), match=PROBE, headers=HEADERS)
    mocked_lightspeed.get(
        SALE_URL,
        json=page([void]),
        match=[matchers.query_param_matcher({"sort": "updatetime"}, strict_match=False)],
    )

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert outcome.run.counts.get("voided") == 1, outcome.run.counts
    assert LightspeedSale.objects.get(company=live, sale_id=802).state == LightspeedSale.State.VOIDED


def test_a_change_that_makes_no_order_leaves_no_run_behind(live, mocked_lightspeed):
    rung_up_at = READ_UP_TO + timedelta(seconds=2)
    still_open = sale(803, [], update_time=rung_up_at.isoformat(), completed=False)
    still_open.pop("SalePayments")
    mocked_lightspeed.get(SALE_URL, json=page([still_open]), match=PROBE, headers=HEADERS)
    mocked_lightspeed.get(
        SALE_URL,
        json=page([still_open]),
        match=[matchers.query_param_matcher({"sort": "updatetime"}, strict_match=False)],
    )

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert outcome.changed and outcome.run is None
    assert not SyncRun.objects.filter(company=live).exists()
    assert OrderCursor.objects.get(company=live).updates_after == rung_up_at  # not read again


def test_a_second_sale_in_the_second_the_last_run_read_up_to_is_still_fetched(live, mocked_lightspeed):
    state = LiveState.objects.get(company=live)
    state.seen_update_time, state.seen_sale_id = READ_UP_TO, 804
    state.save()
    mocked_lightspeed.get(SALE_URL, json=newest(804, READ_UP_TO), match=PROBE, headers=HEADERS)
    assert not live_probe(company_id=live.pk, clock=lambda: T0).changed

    mocked_lightspeed.get(SALE_URL, json=newest(805, READ_UP_TO), match=PROBE, headers=HEADERS)
    mocked_lightspeed.get(
        SALE_URL,
        json=page([]),
        match=[matchers.query_param_matcher({"sort": "updatetime"}, strict_match=False)],
    )
    assert live_probe(company_id=live.pk, clock=lambda: T0).changed


def test_a_failing_probe_records_its_cost_and_comes_back_at_the_idle_pace(live, mocked_lightspeed):
    mocked_lightspeed.get(SALE_URL, status=400, json={"httpCode": "400", "message": "Bad"}, match=PROBE)

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert outcome.probed and not outcome.changed and "Bad" in outcome.reason
    assert not SyncRun.objects.filter(company=live).exists()
    assert LiveState.objects.get(company=live).next_probe_at == T0 + timedelta(
        seconds=10
    )  # drip unknown: 1/s


def test_a_company_with_order_download_off_is_not_probed(live, mocked_lightspeed):
    LightspeedSettings.objects.filter(company=live).update(order_download_enabled=False)

    outcome = live_probe(company_id=live.pk, clock=lambda: T0)

    assert not outcome.probed and len(mocked_lightspeed.calls) == 0
    assert LiveState.objects.get(company=live).next_probe_at == T0 + timedelta(seconds=60)


@pytest.mark.parametrize(
    ("drip", "changed_ago", "interval"),
    [
        (1.0, None, 10.0),  # one register, idle: a tenth of 1 drip/s
        (3.5, None, 1 / 0.35),  # the demo account (six registers)
        (1.0, 30, 4.0),  # a quarter of 1 drip/s while sales flow
        (5.5, 30, 2.0),  # ten registers: never more often than every 2 s
        (1.0, 121, 10.0),  # two minutes after the last change: idle again
    ],
)
def test_the_probe_interval_is_the_share_of_the_drip_rate_polling_may_spend(drip, changed_ago, interval):
    last = None if changed_ago is None else T0 - timedelta(seconds=changed_ago)
    assert probe_interval(drip_rate=drip, last_change_at=last, now=T0) == pytest.approx(interval)


def tick(queued: list[int], at: datetime, on_commit) -> list[int]:
    with on_commit(execute=True):  # probes are queued once the claim is committed
        return live_tick(enqueue=queued.append, now=at)


def test_the_tick_queues_each_due_probe_once_and_again_when_a_probe_is_lost(
    live, django_capture_on_commit_callbacks
):
    queued: list[int] = []

    assert tick(queued, T0, django_capture_on_commit_callbacks) == [live.pk]
    # The probe never ran (its worker was killed): its claim holds for 45 s, then lapses.
    for second in range(1, 45):
        tick(queued, T0 + timedelta(seconds=second), django_capture_on_commit_callbacks)
    assert queued == [live.pk]
    tick(queued, T0 + timedelta(seconds=45), django_capture_on_commit_callbacks)
    assert queued == [live.pk, live.pk]


def test_the_tick_gives_a_new_company_its_probe_and_leaves_companies_without_order_download(
    shop_setup,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    company = shop_setup["settings"].company
    queued: list[int] = []

    tick(queued, T0, django_capture_on_commit_callbacks)
    assert queued == [company.pk]

    LightspeedSettings.objects.filter(company=company).update(order_download_enabled=False)
    LiveState.objects.filter(company=company).update(next_probe_at=T0)
    tick(queued, T0 + timedelta(seconds=1), django_capture_on_commit_callbacks)
    assert queued == [company.pk]
