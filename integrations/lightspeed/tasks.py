"""Celery tasks of the Lightspeed channel: ids in, one service call, transient errors retried.

Short work and long work are on different queues (`TASK_QUEUES`, routed in apps.py), so that
workers given only the short ones (docs/scaling.md) keep every company's live loop within seconds
while one merchant's backfill or first upload runs for an hour:

* short: the live tick and change probes with the orders runs they start (`lightspeed.live`), the
  upload of what changed (`lightspeed.changes`), token refreshes (`lightspeed.tokens`), and beat's
  fan-outs, which only queue other tasks (the default queue);
* long: the orders job as beat or a person starts it (first runs, backfills, the safety net), full
  upload passes, catalogue downloads, the drift report (`lightspeed.<job>`). An upload of what
  changed that finds more due than `LIGHTSPEED_UPLOAD_SHORT_ITEMS` (a first upload) hands itself
  over to `lightspeed.upload`.

The per-company, per-job lock is taken by `job_run`; a run that finds it held is recorded as
skipped and the next beat tick comes round again.
"""

from __future__ import annotations

from celery import Task, current_app, shared_task
from django.conf import settings

from integrations.core.http import backoff_delay
from integrations.lightspeed.api.errors import LightspeedRateLimitedError, LightspeedUnavailableError
from integrations.lightspeed.catalog.selectors import companies_for_catalog, uploads_due_count
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

LIVE_QUEUE = "lightspeed.live"
CHANGES_QUEUE = "lightspeed.changes"
TOKENS_QUEUE = "lightspeed.tokens"
DEFAULT_QUEUE = "celery"  # Celery's own default: beat's fan-outs and housekeeping
SHORT_QUEUES = (LIVE_QUEUE, CHANGES_QUEUE, TOKENS_QUEUE, DEFAULT_QUEUE)
LONG_QUEUES = (
    "lightspeed.orders",
    "lightspeed.upload",
    "lightspeed.products",
    "lightspeed.reconcile",
    "lightspeed.shops",
)
# task name → its queue (apps.py routes them); a task not named here is on the default queue.
TASK_QUEUES = {
    "lightspeed.live_tick": LIVE_QUEUE,
    "lightspeed.live_probe": LIVE_QUEUE,
    "lightspeed.upload_changed": CHANGES_QUEUE,
    "lightspeed.refresh_token": TOKENS_QUEUE,
    "lightspeed.download_shops": "lightspeed.shops",
    "lightspeed.download_products": "lightspeed.products",
    "lightspeed.catalog_import": "lightspeed.products",  # onboarding: a catalogue read, like products
    "lightspeed.upload": "lightspeed.upload",
    "lightspeed.reconcile": "lightspeed.reconcile",
    "lightspeed.download_orders": "lightspeed.orders",
}
UPLOAD_LONG_QUEUE = "lightspeed.upload"


def _run_job(
    task: Task,
    company_id: int,
    job: str,
    trigger: str,
    fields: frozenset[str] = frozenset(),
    dry_run: bool = False,
) -> str:
    job_spec, named_fields = resolve_job(job)
    fields = named_fields | fields
    try:
        run = job_run(
            company_id=company_id,
            job=job_spec,
            fields=fields,
            trigger=trigger,
            dry_run=dry_run,
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
    return _spread(lightspeed_download_orders, list(companies_due_for_order_download()))


# --- live: the change probe ------------------------------------------------------------------


@shared_task(name="lightspeed.live_tick")
def lightspeed_live_tick() -> int:
    """Beat, every second: queues the change probes that are due (live/services/schedule.py)."""
    # One producer (one broker connection) for the tick's probes: a quarter less per probe sent.
    with current_app.producer_or_acquire() as producer:
        return len(live_tick(enqueue=lambda company_id: _probe_soon(company_id, producer=producer)))


def _probe_soon(company_id: int, producer=None) -> None:
    # A probe still queued when its claim lapses is dropped: the tick has queued another by then.
    lightspeed_live_probe.apply_async((company_id,), expires=claim_seconds(), producer=producer)


@shared_task(name="lightspeed.live_probe", acks_late=True)
def lightspeed_live_probe(company_id: int) -> str:
    """One company's change probe, and its orders run when a sale changed."""
    outcome = live_probe(company_id=company_id)
    return outcome.reason or ("changed" if outcome.changed else "unchanged")


# --- catalog: products, upload, reconcile -----------------------------------------------------


@shared_task(name="lightspeed.download_products", bind=True, acks_late=True, max_retries=8)
def lightspeed_download_products(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "products", trigger)


@shared_task(name="lightspeed.catalog_import", bind=True, acks_late=True, max_retries=8)
def lightspeed_catalog_import(
    self, company_id: int, trigger: str = SyncRun.Trigger.MANUAL, dry_run: bool = False
) -> str:
    """Onboarding: the company's Lightspeed items imported as products (or, dry, counted)."""
    return _run_job(self, company_id, "catalog_import", trigger, dry_run=dry_run)


@shared_task(name="lightspeed.upload", bind=True, acks_late=True, max_retries=8)
def lightspeed_upload(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    """The full pass: every linked, enabled product, whatever is marked due."""
    return _run_job(self, company_id, "upload", trigger)


def upload_short_items() -> int:
    return int(getattr(settings, "LIGHTSPEED_UPLOAD_SHORT_ITEMS", 500))


@shared_task(name="lightspeed.upload_changed", bind=True, acks_late=True, max_retries=8)
def lightspeed_upload_changed(
    self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE, long: bool = False
) -> str:
    """Only the products marked due (changed here, moved in Lightspeed, held back last time).

    Many due (a first upload, a bulk change) is long work: it is handed over to the long queue, so
    the short one keeps moving; meanwhile this company's upload lock turns its short runs away."""
    if (
        not long
        and uploads_due_count(company_id=company_id, limit=upload_short_items()) > upload_short_items()
    ):
        self.apply_async((company_id,), {"trigger": trigger, "long": True}, queue=UPLOAD_LONG_QUEUE)
        return "handed over to the long queue"
    return _run_job(self, company_id, "upload", trigger, fields=frozenset({CHANGED_ONLY}))


@shared_task(name="lightspeed.reconcile", bind=True, acks_late=True, max_retries=8)
def lightspeed_reconcile(self, company_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    return _run_job(self, company_id, "reconcile", trigger)


def _fan_out(task, **selection) -> int:
    return _spread(task, companies_for_catalog(**selection))


def fan_out_countdown(company_id: int) -> float:
    """When, after beat's tick, the company's task of a fan-out starts: the same moment every time,
    the companies spread evenly over LIGHTSPEED_FAN_OUT_SECONDS (golden-ratio steps), so a
    thousand companies' minute of uploads is a steady stream rather than a burst at second 0."""
    spread = float(getattr(settings, "LIGHTSPEED_FAN_OUT_SECONDS", 50))
    return round((company_id * 0.6180339887498949) % 1 * spread, 3)


def _spread(task, company_ids: list[int]) -> int:
    with current_app.producer_or_acquire() as producer:
        for company_id in company_ids:
            task.apply_async((company_id,), countdown=fan_out_countdown(company_id), producer=producer)
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
