"""The orders job on the schedule: beat fans out one task per company that wants it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from integrations.commerce.models import Company
from integrations.lightspeed import tasks
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings


def test_beat_runs_a_safety_net_orders_download_every_ten_minutes_on_the_orders_queue():
    # The live loop downloads within seconds; the beat entry catches anything it missed.
    entry = settings.CELERY_BEAT_SCHEDULE["lightspeed-orders"]
    assert entry["task"] == "lightspeed.download_orders_all"
    assert entry["schedule"] == timedelta(seconds=600)
    assert settings.CELERY_TASK_ROUTES["lightspeed.download_orders"] == {"queue": "lightspeed.orders"}


def test_beat_queues_the_orders_job_only_for_companies_with_pos_and_order_download_on(connected, monkeypatch):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        order_download_enabled=True, shops_mapping_enabled=True
    )
    for name, enabled, download, status in (
        ("Download off", True, False, ConnectionStatus.CONNECTED),
        ("POS off", False, True, ConnectionStatus.CONNECTED),
        ("Needs a person", True, True, ConnectionStatus.REAUTHORIZATION_REQUIRED),
    ):
        other = Company.objects.create(name=name)
        LightspeedSettings.objects.filter(company=other).update(
            enabled=enabled,
            order_download_enabled=download,
            account_id="2",
            refresh_token="r",
            connection_status=status,
        )
    queued = []
    monkeypatch.setattr(
        tasks.lightspeed_download_orders,
        "apply_async",
        lambda args, countdown, producer: queued.append(args[0]),
    )

    assert tasks.lightspeed_download_orders_all.run() == 1
    assert queued == [connected.company_id]


def test_a_rate_limited_orders_task_is_retried_after_lightspeeds_wait(
    connected, mocked_lightspeed, monkeypatch
):
    import pytest

    from integrations.lightspeed.models import SyncRun
    from integrations.lightspeed.tests.conftest import resource_url

    class Retried(Exception):
        pass

    retries = []

    def retry(exc=None, countdown=None, **kwargs):
        retries.append(countdown)
        raise Retried

    monkeypatch.setattr(tasks.lightspeed_download_orders, "retry", retry)
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        order_download_enabled=True, shops_mapping_enabled=True
    )
    mocked_lightspeed.get(resource_url("Sale"), status=429, headers={"Retry-After": "600"})

    with pytest.raises(Retried):
        tasks.lightspeed_download_orders.run(connected.company_id)

    assert retries == [600.0]
    run = SyncRun.objects.get(job="orders")
    assert run.outcome == SyncRun.Outcome.FAILED and run.api_rate_limited == 1
