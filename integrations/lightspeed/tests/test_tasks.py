"""Celery tasks: ids in, transient failures retried later, tokens renewed on schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed import tasks
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, SyncRun

from .conftest import resource_url


class Retried(Exception):
    def __init__(self, **kwargs):
        self.kwargs = kwargs


@pytest.fixture
def captured_retry(monkeypatch):
    def retry(exc=None, countdown=None, **kwargs):
        raise Retried(exc=exc, countdown=countdown)

    monkeypatch.setattr(tasks.lightspeed_download_shops, "retry", retry)


def test_a_rate_limited_job_is_retried_after_lightspeeds_wait(connected, mocked_lightspeed, captured_retry):
    mocked_lightspeed.get(resource_url("Shop"), status=429, headers={"Retry-After": "600"})

    with pytest.raises(Retried) as retried:
        tasks.lightspeed_download_shops.run(connected.company_id)

    assert retried.value.kwargs["countdown"] == 600.0
    run = SyncRun.objects.get(job="shops")
    assert run.outcome == SyncRun.Outcome.FAILED and run.api_rate_limited == 1


def test_a_refused_job_is_recorded_and_not_retried(connected, mocked_lightspeed, captured_retry):
    LightspeedSettings.objects.filter(pk=connected.pk).update(enabled=False)
    assert tasks.lightspeed_download_shops.run(connected.company_id) == SyncRun.Outcome.REFUSED


def test_beat_queues_the_tokens_job_only_for_enabled_connected_companies_expiring_soon(
    connected, monkeypatch
):
    now = timezone.now()
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        token_received_at=now - timedelta(minutes=50), token_expires_at=now + timedelta(minutes=10)
    )
    fresh = Company.objects.create(name="Fresh")
    LightspeedSettings.objects.filter(company=fresh).update(
        enabled=True,
        account_id="2",
        refresh_token="r",
        connection_status=ConnectionStatus.CONNECTED,
        token_expires_at=now + timedelta(hours=1),
    )
    lost = Company.objects.create(name="Lost")
    LightspeedSettings.objects.filter(company=lost).update(
        enabled=True,
        account_id="3",
        refresh_token="r",
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED,
        token_expires_at=now,
    )
    queued = []
    monkeypatch.setattr(tasks.lightspeed_refresh_token, "delay", lambda *args: queued.append(args))

    assert tasks.lightspeed_refresh_tokens.run() == 1
    assert queued == [(connected.company_id,)]


def test_the_tokens_task_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["lightspeed-tokens"]
    assert entry["task"] == "lightspeed.refresh_tokens" and entry["schedule"] <= timedelta(minutes=10)


def test_each_job_has_its_own_queue_that_the_worker_consumes():
    from lightsync.celery import app, routed_queue_names

    routes = app.conf.task_routes
    assert routes["lightspeed.refresh_token"] == {"queue": "lightspeed.tokens"}
    assert routes["lightspeed.download_shops"] == {"queue": "lightspeed.shops"}
    assert {"lightspeed.tokens", "lightspeed.shops"} <= set(routed_queue_names(routes))
