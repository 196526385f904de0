"""Running a job for a company: refusals, the per-company lock, and the SyncRun record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from integrations.core.locks import LockLostError, company_job_lock_name, named_lock
from integrations.core.logging import log_context
from integrations.core.shutdown import ShutdownRequestedError
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import ClientStats
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.jobs.enqueue import job_resume
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.jobs.progress import RunProgress, run_heartbeat
from integrations.lightspeed.jobs.registry import Job, JobContext, job_refusal
from integrations.lightspeed.jobs.signals import run_finished
from integrations.lightspeed.models import LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.models.runs import job_failed_kind

logger = logging.getLogger(__name__)


def _finish(
    run: SyncRun, outcome: str, *, error: str = "", counts=None, stats: ClientStats | None = None
) -> SyncRun:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    if counts is not None:
        run.counts = counts
    if stats is not None:
        run.api_requests = stats.requests
        run.api_rate_limited = stats.rate_limited
        run.api_cost = Decimal(str(round(stats.cost, 2)))
        run.api_statuses = dict(stats.statuses)
        if stats.bucket_peak is not None:
            run.api_bucket_peak = Decimal(str(round(stats.bucket_peak, 2)))
        if stats.bucket_size is not None:
            run.api_bucket_size = Decimal(str(round(stats.bucket_size, 2)))
    run.save()
    for receiver, error in run_finished.send_robust(sender=SyncRun, run=run, stats=stats):
        if error is not None:  # what operations does with a finished run must never fail it
            logger.error("%s failed on the %s run %s: %r", receiver, run.job, run.pk, error)
    return run


def job_run(
    *,
    company_id: int,
    job: Job,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    dry_run: bool = False,
    since: datetime | None = None,
    fields: frozenset[str] = frozenset(),
    progress: Callable[[int], None] | None = None,
    raise_transient: bool = False,
    while_disabled: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun:
    """Runs one job for one company and records it. Refuses while disabled or disconnected.

    With `raise_transient`, a rate-limit or outage is recorded and then re-raised so that a
    Celery task can retry it later; without it (a command, a task's last attempt) it also opens
    the job's failure issue. Every other failure is recorded and not raised. A shutdown of the
    process (SIGTERM) stops the run as "interrupted" and queues it again.
    `while_disabled`: a person asked for it, so it may run with Lightspeed POS Enabled off (see
    `job_refusal`).
    """
    settings_obj = LightspeedSettings.objects.select_related("company").get(company_id=company_id)
    run = SyncRun.objects.create(
        company_id=company_id, job=job.name, trigger=trigger, dry_run=dry_run, heartbeat_at=timezone.now()
    )
    with log_context(company_id=company_id, job=job.name, run_id=run.pk):
        return _job_run_recorded(
            run,
            settings_obj=settings_obj,
            job=job,
            dry_run=dry_run,
            since=since,
            fields=fields,
            progress=progress,
            raise_transient=raise_transient,
            while_disabled=while_disabled,
            sleep=sleep,
        )


def _job_run_recorded(
    run: SyncRun,
    *,
    settings_obj: LightspeedSettings,
    job: Job,
    dry_run: bool,
    since: datetime | None,
    fields: frozenset[str],
    progress: Callable[[int], None] | None,
    raise_transient: bool,
    while_disabled: bool,
    sleep: Callable[[float], None],
) -> SyncRun:
    company_id = settings_obj.company_id
    refusal = job_refusal(settings_obj, job, while_disabled=while_disabled)
    if refusal:
        return _finish(run, SyncRun.Outcome.REFUSED, error=refusal)

    lease = company_job_lock_name(company_id, job.name)
    with named_lock(lease, on_renew=lambda: run_heartbeat(run.pk)) as lock:
        if lock is None:
            return _finish(
                run, SyncRun.Outcome.SKIPPED, error=f"Another {job.name} run for this company is in progress."
            )
        stats = ClientStats()
        live_progress = RunProgress(run, stats=stats, forward=progress, lock=lock)
        stats.heartbeat = live_progress.beat
        try:
            client = lightspeed_client_for(settings_obj, stats=stats, sleep=live_progress.sleeper(sleep))
            context = JobContext(
                settings=settings_obj,
                client=client,
                dry_run=dry_run,
                since=since,
                fields=fields,
                progress=live_progress,
                run=run,
            )
            counts = job.run(context)
        except (LockLostError, ShutdownRequestedError, errors.LightspeedError) as exc:
            return _stopped(run, job, exc, stats=stats, lease_ttl=lock.ttl, raise_transient=raise_transient)
        except Exception as exc:
            logger.exception("Lightspeed %s job failed for company %s", job.name, company_id)
            _finish(run, SyncRun.Outcome.FAILED, error=f"{type(exc).__name__}: {exc}", stats=stats)
            raise
        # The job works again: its failure issue (if any) is resolved, and reopens if it recurs.
        SyncIssue.objects.filter(
            company_id=company_id, kind=job_failed_kind(job.name), status=SyncIssue.Status.OPEN
        ).update(
            status=SyncIssue.Status.RESOLVED, resolved_at=timezone.now(), resolution="The job worked again."
        )
        return _finish(run, SyncRun.Outcome.SUCCEEDED, counts=counts, stats=stats)


def _stopped(
    run: SyncRun,
    job: Job,
    exc: Exception,
    *,
    stats: ClientStats,
    lease_ttl: float,
    raise_transient: bool,
) -> SyncRun:
    """Records how a run that could not finish its work ended, in words (and re-raises a transient
    failure for a task that will retry it)."""
    company_id = run.company_id
    if isinstance(exc, LockLostError):
        logger.warning("The %s run %s of company %s lost its lease and stopped", job.name, run.pk, company_id)
        return _finish(
            run,
            SyncRun.Outcome.FAILED,
            error=f"Stopped: this run's lease lapsed (no sign of life for over {int(lease_ttl)} s) and "
            f"another {job.name} run took over; stopping keeps the two from overlapping.",
            stats=stats,
        )
    if isinstance(exc, ShutdownRequestedError):
        logger.warning("The %s run %s of company %s stopped for a shutdown", job.name, run.pk, company_id)
        resumed = job_resume(company_id=company_id, job=job.name)
        return _finish(run, SyncRun.Outcome.INTERRUPTED, error=f"Interrupted: {exc}. {resumed}", stats=stats)
    assert isinstance(exc, errors.LightspeedError)
    _finish(run, SyncRun.Outcome.FAILED, error=exc.message, stats=stats)
    transient = isinstance(exc, errors.LightspeedTransientError)
    if transient and raise_transient:
        raise exc
    message = exc.message
    if transient:  # retries are spent (the client's, and the task's when it called): say so in words
        message = (
            f"Lightspeed was unavailable after every retry ({exc.message}). The {job.name} job tries "
            "again on its next run; this issue resolves when one works."
        )
    sync_issue_record(
        company_id=company_id,
        kind=job_failed_kind(job.name),
        key=job.name,
        message=message,
        excerpt=exc.body,
        run=run,
    )
    return run
