"""Queue a registered job for one company now ("Sync now"), through its Celery task.

The Actions menu of General Settings and the operations dashboard both call `job_enqueue`.
The task is sent when the surrounding transaction commits, so a worker never starts on data
the request has not committed yet (and nothing is sent when it rolls back).
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction

from integrations.core.errors import RefusalError
from integrations.lightspeed.jobs.registry import JOBS, UPLOAD_CHANGED_TASK, job_refusal
from integrations.lightspeed.models import LightspeedSettings, SyncRun


class JobEnqueueError(RefusalError):
    """The job cannot be queued for this company now (e.g. disconnected); nothing was queued."""


@dataclass(frozen=True)
class EnqueuedJob:
    job: str
    task_name: str
    queue: str


def _task(job: str):
    """The Celery task that runs `job` for one company, or None when none is registered."""
    spec = JOBS.get(job)
    return current_app.tasks.get(spec.task) if spec is not None and spec.task else None


def job_enqueue_refusal(*, settings_obj: LightspeedSettings, job: str) -> str | None:
    """Why `job` cannot be queued for this company now, in words; None when it can."""
    spec = JOBS.get(job)
    if spec is None:
        return f"There is no job named {job!r}; the jobs are: {', '.join(JOBS)}."
    if _task(job) is None:
        return f"The {job} job has no task to run it in the background yet."
    return job_refusal(settings_obj, spec)


def job_enqueue(*, company_id: int, job: str, trigger: str = "manual", dry_run: bool = False) -> EnqueuedJob:
    """Queues `job` for the company on its own queue (`dry_run`: to count, changing nothing).
    Raises JobEnqueueError, queuing nothing."""
    settings_obj = LightspeedSettings.objects.get(company_id=company_id)
    refusal = job_enqueue_refusal(settings_obj=settings_obj, job=job)
    if refusal:
        raise JobEnqueueError(refusal)
    task = _task(job)
    kwargs: dict = {"trigger": trigger, **({"dry_run": True} if dry_run else {})}
    transaction.on_commit(lambda: task.apply_async(args=[company_id], kwargs=kwargs))
    route = settings.CELERY_TASK_ROUTES.get(task.name) or {}
    return EnqueuedJob(job=job, task_name=task.name, queue=route.get("queue", "celery"))


def upload_soon(*, company_id: int, countdown: float) -> None:
    """Queues one upload of what is due for the company, `countdown` seconds from now."""
    current_app.tasks[UPLOAD_CHANGED_TASK].apply_async((company_id,), countdown=countdown)


def job_resume(*, company_id: int, job: str) -> str:
    """Queues `job` again for the company after a run of it was interrupted; says what happened."""
    try:
        job_enqueue(company_id=company_id, job=job, trigger=SyncRun.Trigger.RESUME)
    except JobEnqueueError as exc:
        return f"Not queued again: {exc.message}"
    return "Queued again; it resumes from where it was."
