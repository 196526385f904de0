"""A run whose worker died is marked interrupted and queued again; a shutdown stops a run at
once, frees its lease and queues it again; spent retries leave an issue in words."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.core import shutdown
from integrations.core.locks import NamedLock, company_job_lock_name, lock_is_held
from integrations.lightspeed import tasks
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.resume import runs_interrupted_resume
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.tests.jobs_support import job_for_test

from .conftest import ACCOUNT_URL


@pytest.fixture(autouse=True)
def no_shutdown():
    shutdown.reset()
    yield
    shutdown.reset()


@pytest.fixture
def queued(monkeypatch):
    sent: list = []
    for task in (tasks.lightspeed_download_orders, tasks.lightspeed_download_products):
        monkeypatch.setattr(
            task, "apply_async", lambda *a, _name=task.name, **kw: sent.append((_name, a, kw))
        )
    return sent


def _running(company, job: str, *, silent_for: timedelta) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        company=company, job=job, started_at=now - silent_for, heartbeat_at=now - silent_for
    )


def test_a_run_whose_holder_died_is_marked_interrupted_and_its_job_queued_again(
    connected, queued, settings, django_capture_on_commit_callbacks
):
    settings.LIGHTSYNC_LEASE_SECONDS = 30
    dead = _running(connected.company, "products", silent_for=timedelta(seconds=40))
    busy = _running(connected.company, "upload", silent_for=timedelta(seconds=3))

    with django_capture_on_commit_callbacks(execute=True):
        assert runs_interrupted_resume() == 1

    dead.refresh_from_db()
    busy.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.INTERRUPTED and dead.finished_at is not None
    assert "the worker running it stopped" in dead.error and "Queued again" in dead.error
    assert busy.outcome == SyncRun.Outcome.RUNNING
    assert queued == [
        (
            "lightspeed.download_products",
            (),
            {"args": [connected.company_id], "kwargs": {"trigger": "resume"}},
        )
    ]


def test_a_silent_run_whose_lease_is_still_held_is_left_alone(connected, queued, settings):
    settings.LIGHTSYNC_LEASE_SECONDS = 30
    slow = _running(connected.company, "orders", silent_for=timedelta(seconds=40))
    holder = NamedLock(company_job_lock_name(connected.company_id, "orders"))
    assert holder.try_acquire()  # its holder lives: a long request, a keeper that is behind
    try:
        assert runs_interrupted_resume() == 0
    finally:
        holder.release()
    slow.refresh_from_db()
    assert slow.outcome == SyncRun.Outcome.RUNNING and queued == []


def test_two_sweeps_queue_an_interrupted_run_once(
    connected, queued, settings, django_capture_on_commit_callbacks
):
    settings.LIGHTSYNC_LEASE_SECONDS = 30
    _running(connected.company, "products", silent_for=timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_interrupted_resume() == 1
        assert runs_interrupted_resume() == 0
    assert len(queued) == 1


def test_an_interrupted_run_of_a_company_switched_off_since_says_it_was_not_queued(
    connected, queued, settings
):
    settings.LIGHTSYNC_LEASE_SECONDS = 30
    dead = _running(connected.company, "orders", silent_for=timedelta(minutes=5))
    LightspeedSettings.objects.filter(pk=connected.pk).update(enabled=False)

    assert runs_interrupted_resume() == 1

    dead.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.INTERRUPTED
    assert "Not queued again: Lightspeed POS Enabled is off" in dead.error and queued == []


def test_a_shutdown_stops_the_run_at_its_next_step_frees_its_lease_and_queues_it_again(
    connected, queued, django_capture_on_commit_callbacks
):
    steps = []

    def body(ctx):
        ctx.progress(1)
        steps.append(1)
        shutdown.request("the worker is shutting down (SIGTERM)")
        ctx.progress(1)  # the next step sees it
        steps.append(2)
        return {}

    with django_capture_on_commit_callbacks(execute=True):
        run = job_run(company_id=connected.company_id, job=job_for_test("products", body))

    assert steps == [1]
    assert run.outcome == SyncRun.Outcome.INTERRUPTED
    assert run.error.startswith("Interrupted: the worker is shutting down (SIGTERM).")
    assert "Queued again" in run.error
    assert not lock_is_held(company_job_lock_name(connected.company_id, "products"))
    assert [name for name, *_ in queued] == ["lightspeed.download_products"]


def test_a_shutdown_during_a_back_off_wakes_the_run_at_once_and_leaves_no_lease(connected, mocked_lightspeed):
    # Lightspeed answers 503 again and again: the run waits between attempts (seconds each).
    mocked_lightspeed.get(ACCOUNT_URL, status=503, body="Service Unavailable")

    def body(ctx):
        ctx.client.get_account()
        return {}

    timer = threading.Timer(0.3, shutdown.request, args=["the worker is shutting down (SIGTERM)"])
    started = time.monotonic()
    timer.start()
    run = job_run(company_id=connected.company_id, job=job_for_test("backoff_demo", body))
    elapsed = time.monotonic() - started

    assert run.outcome == SyncRun.Outcome.INTERRUPTED
    assert elapsed < 5  # not the whole back-off: woken within the second
    assert not lock_is_held(company_job_lock_name(connected.company_id, "backoff_demo"))


def test_retries_spent_on_an_unavailable_lightspeed_leave_an_issue_that_the_next_success_resolves(
    connected, mocked_lightspeed, monkeypatch
):
    monkeypatch.setattr("integrations.lightspeed.api.transport.LightspeedTransport._delay", lambda self, a: 0)
    for _ in range(6):
        mocked_lightspeed.get(ACCOUNT_URL, status=503, body="Service Unavailable")

    def body(ctx):
        ctx.client.get_account()
        return {}

    job = job_for_test("shops", body)
    run = job_run(company_id=connected.company_id, job=job)  # a command's run: no task to retry it

    assert run.outcome == SyncRun.Outcome.FAILED
    issue = SyncIssue.objects.get(kind="shops_failed")
    assert issue.status == SyncIssue.Status.OPEN
    assert issue.message.startswith("Lightspeed was unavailable after every retry")

    assert job_run(company_id=connected.company_id, job=job_for_test("shops", lambda ctx: {})).outcome == (
        SyncRun.Outcome.SUCCEEDED
    )
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_the_resume_sweep_runs_every_fifteen_seconds_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lightspeed-resume"]
    assert entry["task"] == "lightspeed.resume_interrupted"
    assert entry["schedule"] <= timedelta(seconds=15)
    assert JOBS["orders"].task in tasks.TASK_QUEUES
