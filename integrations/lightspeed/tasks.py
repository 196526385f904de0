"""Celery tasks of the Lightspeed channel: ids in, one service call, transient errors retried.

One task per job, each on a queue of its own (`lightspeed.<job>`, routed in apps.py) so a long
run of one job never delays another. The per-company, per-job lock is taken by `job_run`; a run
that finds it held is recorded as skipped and the next beat tick comes round again.
"""

from __future__ import annotations

from celery import Task, shared_task

from integrations.core.http import backoff_delay
from integrations.lightspeed.api.errors import LightspeedRateLimitedError, LightspeedUnavailableError
from integrations.lightspeed.catalog.selectors import companies_for_catalog
from integrations.lightspeed.connection.selectors import settings_due_for_token_refresh
from integrations.lightspeed.connection.services.token_refresh import TOKENS_JOB_MARGIN
from integrations.lightspeed.jobs.registry import CHANGED_ONLY, resolve_job
from integrations.lightspeed.jobs.resume import runs_interrupted_resume
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.live.services.probe import live_probe
from integrations.lightspeed.live.services.schedule import claim_seconds, live_tick
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.operations.services.alerts import alerts_check_all
from integrations.lightspeed.operations.services.retention import retention_prune
from integrations.lightspeed.orders.selectors import companies_due_for_order_download

# task name → the job it runs; apps.py routes each to the queue `lightspeed.<job>`
JOB_TASKS = {
    "lightspeed.refresh_token": "tokens",
    "lightspeed.refresh_tokens": "tokens",
    "lightspeed.download_shops": "shops",
    "lightspeed.download_products": "products",
    "lightspeed.download_products_all": "products",
    "lightspeed.upload": "upload",
    "lightspeed.upload_changed": "upload",
    "lightspeed.upload_all": "upload",
    "lightspeed.upload_changed_all": "upload",
    "lightspeed.reconcile": "reconcile",
    "lightspeed.reconcile_all": "reconcile",
    "lightspeed.download_orders": "orders",
    "lightspeed.download_orders_all": "orders",
}
# The live loop's own queue: its tick and probes never wait behind a long job of another kind.
LIVE_QUEUE = "lightspeed.live"
LIVE_TASKS = ("lightspeed.live_tick", "lightspeed.live_probe")


def _run_job(
    task: Task, company_id: int, job: str, trigger: str, fields: frozenset[str] = frozenset()
) -> str:

    job_spec, named_fields = resolve_job(job)
    fields = named_fields | fields
    try:
        run = job_run(
            company_id=company_id,
            job=job_spec,
            fields=fields,
            trigger=trigger,
            # The last attempt records the failure as an issue instead of asking for another.
            raise_transient=task.request.retries < task.max_retries,
        )
    except LightspeedRateLimitedError as exc:
        countdown = exc.retry_after or backoff_delay(task.request.retries, base=30, cap=900)
        raise task.retry(exc=exc, countdown=countdown) from exc
    except LightspeedUnavailableError as exc:
        raise task.retry(exc=exc, countdown=backoff_delay(task.request.retries, base=30, cap=900)) from exc
    return run.outcome


@shared_task(name="lightspeed.refresh_token", bind=True, acks_late=True, max_retries=8)
def lightspeed_refresh_token(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "tokens", trigger)


@shared_task(name="lightspeed.download_shops", bind=True, acks_late=True, max_retries=8)
def lightspeed_download_shops(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "shops", trigger)


@shared_task(name="lightspeed.refresh_tokens", acks_late=True)
def lightspeed_refresh_tokens() -> int:
    """Beat: queue the tokens job for every enabled company whose token expires soon."""
    company_ids = list(
        settings_due_for_token_refresh(margin=TOKENS_JOB_MARGIN).values_list("company_id", flat=True)
    )
    for company_id in company_ids:
        lightspeed_refresh_token.delay(company_id)
    return len(company_ids)


@shared_task(name="lightspeed.check_alerts", acks_late=True)
def lightspeed_check_alerts() -> int:
    """Beat: alert about what no run reported (e.g. a token refused between runs)."""
    return alerts_check_all()


@shared_task(name="lightspeed.resume_interrupted", acks_late=True)
def lightspeed_resume_interrupted() -> int:
    """Beat, every few seconds: runs whose worker died are marked interrupted and queued again."""
    return runs_interrupted_resume()


@shared_task(name="lightspeed.prune_records", acks_late=True)
def lightspeed_prune_records() -> dict:
    """Beat, daily: old runs and closed issues go (see operations/services/retention.py)."""
    return retention_prune()


@shared_task(name="lightspeed.download_orders", bind=True, acks_late=True, max_retries=8)
def lightspeed_download_orders(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "orders", trigger)


@shared_task(name="lightspeed.download_orders_all", acks_late=True)
def lightspeed_download_orders_all() -> int:
    """Beat: queue the orders job for every company with Lightspeed POS and order download on."""
    company_ids = list(companies_due_for_order_download())
    for company_id in company_ids:
        lightspeed_download_orders.delay(company_id)
    return len(company_ids)


# --- live: the change probe ------------------------------------------------------------------


@shared_task(name="lightspeed.live_tick")
def lightspeed_live_tick() -> int:
    """Beat, every second: queues the change probes that are due (live/services/schedule.py)."""
    return len(live_tick(enqueue=_probe_soon))


def _probe_soon(company_id: int) -> None:
    # A probe still queued when its claim lapses is dropped: the tick has queued another by then.
    lightspeed_live_probe.apply_async((company_id,), expires=claim_seconds())


@shared_task(name="lightspeed.live_probe", acks_late=True)
def lightspeed_live_probe(company_id: int) -> str:
    """One company's change probe, and its orders run when a sale changed."""
    outcome = live_probe(company_id=company_id)
    return outcome.reason or ("changed" if outcome.changed else "unchanged")


# --- catalog: products, upload, reconcile -----------------------------------------------------


@shared_task(name="lightspeed.download_products", bind=True, acks_late=True, max_retries=8)
def lightspeed_download_products(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "products", trigger)


@shared_task(name="lightspeed.upload", bind=True, acks_late=True, max_retries=8)
def lightspeed_upload(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    """The full pass: every linked, enabled product, whatever is marked due."""
    return _run_job(self, company_id, "upload", trigger)


@shared_task(name="lightspeed.upload_changed", bind=True, acks_late=True, max_retries=8)
def lightspeed_upload_changed(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    """Only the products marked due (changed here, moved in Lightspeed, held back last time)."""
    return _run_job(self, company_id, "upload", trigger, fields=frozenset({CHANGED_ONLY}))


@shared_task(name="lightspeed.reconcile", bind=True, acks_late=True, max_retries=8)
def lightspeed_reconcile(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "reconcile", trigger)


def _fan_out(task, **selection) -> int:

    company_ids = companies_for_catalog(**selection)
    for company_id in company_ids:
        task.delay(company_id)
    return len(company_ids)


@shared_task(name="lightspeed.download_products_all", acks_late=True)
def lightspeed_download_products_all() -> int:
    return _fan_out(lightspeed_download_products)


@shared_task(name="lightspeed.upload_all", acks_late=True)
def lightspeed_upload_all() -> int:
    return _fan_out(lightspeed_upload, uploads=True)


@shared_task(name="lightspeed.upload_changed_all", acks_late=True)
def lightspeed_upload_changed_all() -> int:
    # Every company with an upload on: the run itself finds what changed (bulk paths included) in
    # a few queries and asks Lightspeed nothing when nothing did.
    return _fan_out(lightspeed_upload_changed, uploads=True)


@shared_task(name="lightspeed.reconcile_all", acks_late=True)
def lightspeed_reconcile_all() -> int:
    return _fan_out(lightspeed_reconcile, uploads=True)
