"""Resuming after a worker died: runs whose lease lapsed are marked interrupted and queued again.

A run renews its company-and-job lease (and with it its heartbeat) while its process lives. When
the process is killed — SIGKILL, a deploy, a lost machine — the lease lapses within one lease
(`LIGHTSYNC_LEASE_SECONDS`) and the run's heartbeat stops. This sweep, run by beat every
`LIGHTSPEED_RESUME_EVERY_SECONDS`, finds such runs, records them as interrupted with the reason
and queues their job for the company again, on either broker: a killed worker's task is not
redelivered (kombu's filesystem transport deleted it when read; Redis waits out its hour-long
visibility timeout). The job resumes from its persisted cursors and state, exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from integrations.core.locks import company_job_lock_name, lease_seconds, lock_is_held
from integrations.lightspeed.jobs.enqueue import job_resume
from integrations.lightspeed.models import SyncRun

logger = logging.getLogger(__name__)

# The heartbeat may lag its lease's renewal by a moment (a write, a clock step): this much slack.
SLACK = timedelta(seconds=5)


def runs_interrupted_resume(*, now: datetime | None = None) -> int:
    """Marks every running run whose holder died as interrupted and queues its job again.

    Returns how many runs were marked. A run counts as dead when its heartbeat is older than a
    lease and its lease is free; when another run holds the lease already, the dead one is only
    marked, not queued again."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds()) - SLACK
    candidates = SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    marked = 0
    for run in candidates.only("pk", "company_id", "job", "dry_run", "heartbeat_at", "started_at"):
        if _run_interrupted(run, now=now):
            marked += 1
    return marked


def _run_interrupted(run: SyncRun, *, now: datetime) -> bool:
    held = lock_is_held(company_job_lock_name(run.company_id, run.job))
    if held and _runs_holding(run) == [run.pk]:
        return False  # alive after all: its lease is held and no other run could hold it
    seen = run.heartbeat_at or run.started_at
    silent = int((now - seen).total_seconds())
    reason = (
        f"Interrupted: the worker running it stopped (killed, restarted or deployed); no sign of life "
        f"for {silent} s."
    )
    # Conditional: of two sweeps at once, one marks the run and queues its job again.
    if not SyncRun.objects.filter(pk=run.pk, outcome=SyncRun.Outcome.RUNNING).update(
        outcome=SyncRun.Outcome.INTERRUPTED, finished_at=now, error=reason
    ):
        return False
    if held:  # by another run of the job: it carries on with the work
        follow_up = "Another run of the job is going already."
    elif run.dry_run:  # queued again it would run for real: a preview is asked for again instead
        follow_up = "A dry run is not queued again."
    else:
        follow_up = job_resume(company_id=run.company_id, job=run.job)
    SyncRun.objects.filter(pk=run.pk).update(error=f"{reason} {follow_up}")
    logger.warning("Run %s (%s, company %s) was interrupted: %s", run.pk, run.job, run.company_id, follow_up)
    return True


def _runs_holding(run: SyncRun) -> list[int]:
    """The running runs of the same company and job: any of them may be the lease's holder."""
    return list(
        SyncRun.objects.filter(
            company_id=run.company_id, job=run.job, outcome=SyncRun.Outcome.RUNNING
        ).values_list("pk", flat=True)
    )
