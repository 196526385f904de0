"""A fleet on one deployment: short work never queues behind long work, the live tick costs the
same few queries whatever the number of companies, beat's fan-outs are spread over the minute."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.commerce.models import Company, Product
from integrations.lightspeed import tasks
from integrations.lightspeed.live.services.schedule import live_tick
from integrations.lightspeed.models import (
    LightspeedSettings,
    LiveState,
    ProductLink,
    SyncRun,
)
from integrations.lightspeed.tests.live_support import tick_eligible_companies
from lightsync.celery import routed_queue_names

SHORT = {
    "lightspeed.live_tick": "lightspeed.live",
    "lightspeed.live_probe": "lightspeed.live",
    "lightspeed.upload_changed": "lightspeed.changes",
    "lightspeed.refresh_token": "lightspeed.tokens",
}
LONG = {
    "lightspeed.download_orders": "lightspeed.orders",
    "lightspeed.upload": "lightspeed.upload",
    "lightspeed.download_products": "lightspeed.products",
    "lightspeed.reconcile": "lightspeed.reconcile",
    "lightspeed.download_shops": "lightspeed.shops",
}
FAN_OUTS = (
    "lightspeed.upload_changed_all",
    "lightspeed.upload_all",
    "lightspeed.download_products_all",
    "lightspeed.reconcile_all",
    "lightspeed.download_orders_all",
    "lightspeed.refresh_tokens",
)


def test_live_probes_small_uploads_and_token_refreshes_never_share_a_queue_with_backfills_or_full_passes(
    settings,
):
    routes = settings.CELERY_TASK_ROUTES
    assert {name: routes[name]["queue"] for name in SHORT} == SHORT
    assert {name: routes[name]["queue"] for name in LONG} == LONG
    assert set(SHORT.values()) <= set(tasks.SHORT_QUEUES)
    assert set(LONG.values()) == set(tasks.LONG_QUEUES)
    assert not set(tasks.SHORT_QUEUES) & set(tasks.LONG_QUEUES)


def test_beats_fan_outs_which_only_queue_other_tasks_are_on_the_default_short_queue(settings):
    assert all(name not in settings.CELERY_TASK_ROUTES for name in FAN_OUTS)
    assert tasks.DEFAULT_QUEUE in tasks.SHORT_QUEUES


def test_a_worker_started_without_queues_consumes_every_queue_short_and_long(settings):
    # `make demo`'s one worker: no -Q, so every routed queue besides the default one.
    consumed = set(routed_queue_names(settings.CELERY_TASK_ROUTES)) | {"celery"}
    assert set(tasks.SHORT_QUEUES) | set(tasks.LONG_QUEUES) == consumed


def _due_links(company: Company, count: int, first: int = 0) -> None:
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(company=company, sku=f"S{i}", title=f"P{i}", site_price=Decimal("1"), site_cost=Decimal("1"))
        for i in range(first, first + count)
    )
    ProductLink.objects.bulk_create(
        ProductLink(company=company, product=p, enabled=True, item_id=1000 + first + i, upload_due_at=now)
        for i, p in enumerate(products)
    )


@pytest.fixture
def sent(monkeypatch) -> list:
    sent: list = []
    monkeypatch.setattr(tasks.lightspeed_upload_changed, "apply_async", lambda *a, **kw: sent.append((a, kw)))
    return sent


def test_a_first_upload_of_many_items_hands_itself_over_to_the_long_queue(connected, settings, sent):
    settings.LIGHTSPEED_UPLOAD_SHORT_ITEMS = 3
    _due_links(connected.company, 4)

    outcome = tasks.lightspeed_upload_changed.run(connected.company_id)

    assert outcome == "handed over to the long queue"
    assert sent == [
        (((connected.company_id,), {"trigger": "schedule", "long": True}), {"queue": "lightspeed.upload"})
    ]
    assert not SyncRun.objects.filter(company_id=connected.company_id).exists()  # nothing ran here


def test_the_upload_of_a_few_changes_runs_where_it_is_and_so_does_one_handed_over(
    connected, settings, sent, monkeypatch
):
    settings.LIGHTSPEED_UPLOAD_SHORT_ITEMS = 3
    ran: list = []
    monkeypatch.setattr(
        tasks, "_run_job", lambda task, company_id, job, trigger, fields: ran.append(company_id)
    )
    _due_links(connected.company, 3)
    tasks.lightspeed_upload_changed.run(connected.company_id)  # 3 due: short work
    _due_links(connected.company, 5, first=3)
    tasks.lightspeed_upload_changed.run(connected.company_id, long=True)  # 8 due, on the long queue

    assert ran == [connected.company_id, connected.company_id]
    assert sent == []


def _tick_queries(at, on_commit) -> tuple[int, int]:
    queued: list[int] = []
    with CaptureQueriesContext(connection) as captured, on_commit(execute=True):
        live_tick(enqueue=queued.append, now=at)
    return len(captured.captured_queries), len(queued)


@pytest.mark.django_db
def test_the_live_tick_costs_the_same_queries_for_5_and_for_200_due_companies(
    django_capture_on_commit_callbacks,
):
    t0 = timezone.now()
    counts = {}
    for n, more in ((5, 5), (200, 195)):
        tick_eligible_companies(more)
        LiveState.objects.all().delete()
        first = _tick_queries(t0, django_capture_on_commit_callbacks)  # gives each its live state
        LiveState.objects.update(next_probe_at=t0)  # every probe due again
        again = _tick_queries(t0 + timedelta(seconds=1), django_capture_on_commit_callbacks)
        counts[n] = (first, again)

    assert [counts[n][0][1] for n in (5, 200)] == [5, 200]  # every due company queued once
    assert [counts[n][1][1] for n in (5, 200)] == [5, 200]
    assert counts[200][1][0] == counts[5][1][0] <= 6  # a tick: a few queries, whatever N
    assert counts[200][0][0] <= counts[5][0][0] + 1  # the first adds the new states in one insert


def test_beats_fan_out_gives_each_company_its_own_moment_spread_over_the_spread_seconds(settings):
    settings.LIGHTSPEED_FAN_OUT_SECONDS = 50
    moments = [tasks.fan_out_countdown(company_id) for company_id in range(1, 1001)]

    assert all(0 <= m < 50 for m in moments)
    per_five_seconds = [sum(1 for m in moments if start <= m < start + 5) for start in range(0, 50, 5)]
    assert min(per_five_seconds) >= 90 and max(per_five_seconds) <= 110  # ~100 each: no burst
    assert moments == [tasks.fan_out_countdown(company_id) for company_id in range(1, 1001)]  # stable

    settings.LIGHTSPEED_FAN_OUT_SECONDS = 0
    assert {tasks.fan_out_countdown(company_id) for company_id in range(1, 100)} == {0}


def test_the_minute_fan_out_sends_each_companys_upload_at_its_moment(connected, settings, monkeypatch):
    LightspeedSettings.objects.filter(pk=connected.pk).update(inventory_upload_enabled=True)
    sent: list = []
    monkeypatch.setattr(
        tasks.lightspeed_upload_changed,
        "apply_async",
        lambda args, countdown, producer: sent.append((args, countdown)),
    )

    assert tasks.lightspeed_upload_changed_all() == 1
    assert sent == [((connected.company_id,), tasks.fan_out_countdown(connected.company_id))]
