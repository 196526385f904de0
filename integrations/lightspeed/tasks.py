"""Celery tasks of the Lightspeed channel: ids in, one service call, transient errors retried.

The per-company, per-job lock is taken by `job_run`; a run that finds it held is recorded as
skipped and the next beat tick comes round again.
"""

from __future__ import annotations

from celery import shared_task

from integrations.core.http import backoff_delay
from integrations.lightspeed.errors import LightspeedRateLimitedError, LightspeedUnavailableError
from integrations.lightspeed.models import SyncRun


@shared_task(name="lightspeed.run_job", bind=True, acks_late=True, max_retries=8)
def lightspeed_run_job(self, company_id: int, job: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    from integrations.lightspeed.jobs import resolve_job
    from integrations.lightspeed.services.runs import job_run

    job_spec, fields = resolve_job(job)
    try:
        run = job_run(
            company_id=company_id, job=job_spec, fields=fields, trigger=trigger, raise_transient=True
        )
    except LightspeedRateLimitedError as exc:
        raise self.retry(
            exc=exc, countdown=exc.retry_after or backoff_delay(self.request.retries, base=30, cap=900)
        ) from exc
    except LightspeedUnavailableError as exc:
        raise self.retry(exc=exc, countdown=backoff_delay(self.request.retries, base=30, cap=900)) from exc
    return run.outcome


@shared_task(name="lightspeed.refresh_tokens", acks_late=True)
def lightspeed_refresh_tokens() -> int:
    """Beat: queue the tokens job for every enabled company whose token expires soon."""
    from integrations.lightspeed.selectors import settings_due_for_token_refresh
    from integrations.lightspeed.services.token_refresh import TOKENS_JOB_MARGIN

    company_ids = list(
        settings_due_for_token_refresh(margin=TOKENS_JOB_MARGIN).values_list("company_id", flat=True)
    )
    for company_id in company_ids:
        lightspeed_run_job.delay(company_id, "tokens")
    return len(company_ids)
