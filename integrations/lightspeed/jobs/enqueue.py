"""Queue a registered job for one company now ("Sync now"), through its Celery task.

The Actions menu of General Settings and the operations dashboard both call `job_enqueue`.
The task is sent when the surrounding transaction commits, so a worker never starts on data
the request has not committed yet (and nothing is sent when it rolls back).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from celery import current_app
from django.db import transaction

from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_refusal
from integrations.lightspeed.models import LightspeedSettings


class JobEnqueueRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EnqueuedJob:
    job: str
    task_name: str
    queue: str


def job_task_name(job: str) -> str | None:
    """The name of the task that runs `job` for one company (not a beat fan-out task)."""
    from integrations.lightspeed.tasks import JOB_TASKS

    for task_name, task_job in JOB_TASKS.items():
        if task_job != job:
            continue
        task = current_app.tasks.get(task_name)
        if task is not None and "company_id" in inspect.signature(task.run).parameters:
            return task_name
    return None


def job_enqueue_refusal(*, settings_obj: LightspeedSettings, job: str) -> str | None:
    """Why `job` cannot be queued for this company now, in words; None when it can."""
    spec = JOBS.get(job)
    if spec is None:
        return f"There is no job named {job!r}; the jobs are: {', '.join(JOBS)}."
    if not spec.available:
        return f"The {job} job ({spec.description}) is not available yet: {spec.later_issue} builds it."
    if job_task_name(job) is None:
        return f"The {job} job has no task to run it in the background yet."
    return job_refusal(settings_obj, spec)


def job_enqueue(*, company_id: int, job: str, trigger: str = "manual") -> EnqueuedJob:
    """Queues `job` for the company on its own queue. Raises JobEnqueueRefused, queuing nothing."""
    settings_obj = LightspeedSettings.objects.get(company_id=company_id)
    refusal = job_enqueue_refusal(settings_obj=settings_obj, job=job)
    if refusal:
        raise JobEnqueueRefused(refusal)
    task_name = job_task_name(job)
    assert task_name is not None  # checked by the refusal above
    task = current_app.tasks[task_name]
    transaction.on_commit(lambda: task.apply_async(args=[company_id], kwargs={"trigger": trigger}))
    return EnqueuedJob(job=job, task_name=task_name, queue=f"lightspeed.{job}")
