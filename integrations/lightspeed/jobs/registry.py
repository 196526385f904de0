"""The job registry: the canonical job names of DESIGN.md §5, and where each job's code lives.

Names are stable contracts (the `lightspeed_sync` subcommand, `SyncRun.job`, lock keys, Celery
queues, beat entries, metric labels). The registry holds dotted paths, not functions: it sits
below the capabilities whose code the jobs run, so importing it never imports them, and the
runner resolves a path only when it runs that job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.module_loading import import_string

from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.models import LightspeedSettings, SyncRun


@dataclass(frozen=True)
class JobContext:
    settings: LightspeedSettings
    client: LightspeedClient
    dry_run: bool = False
    since: datetime | None = None
    fields: frozenset[str] = frozenset()  # upload: which of inventory/prices/costs
    progress: Callable[[int], None] | None = None
    run: SyncRun | None = None  # the run being recorded, for the issues a job opens


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    # Dotted path of the function that runs the job: (JobContext) -> counts.
    entry: str
    # The Celery task that runs the job for one company (Sync now, retries).
    task: str = ""
    # Runs while Lightspeed POS Enabled is off (still never while disconnected): keeping the
    # connection alive is not syncing, and an unused refresh token dies after 30 days.
    runs_while_disabled: bool = False
    # Why this job may not run with these settings (beyond the refusals every job shares), in
    # words, or None when it may. Seen by `job_refusal`, so by runs, Sync now and replays alike.
    refusal: Callable[[LightspeedSettings], str | None] | None = None
    # Run only when someone asks for it (onboarding), never by beat nor by `lightspeed_sync all`.
    on_request_only: bool = False

    def run(self, context: JobContext) -> dict[str, Any]:
        return import_string(self.entry)(context)


class UnknownJobError(ValueError):
    pass


# Not a command-line field: the frequent upload of what changed passes it (see tasks.py).
CHANGED_ONLY = "changed"
# Not a command-line field either: the live loop's orders run, after its change probe saw a change,
# reads only what changed (orders/services/download.py).
LIVE = "live"
# The task that uploads only what is due (changed here, moved in Lightspeed, held back last time).
UPLOAD_CHANGED_TASK = "lightspeed.upload_changed"

JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "tokens",
            "refresh access tokens that expire soon",
            entry="integrations.lightspeed.connection.jobs.tokens_job",
            task="lightspeed.refresh_token",
            runs_while_disabled=True,
        ),
        Job(
            "shops",
            "download shops, registers, employees and price levels",
            entry="integrations.lightspeed.shops.jobs.shops_job",
            task="lightspeed.download_shops",
        ),
        Job(
            "products",
            "download and link items; auto-create products",
            entry="integrations.lightspeed.catalog.jobs.products_job",
            task="lightspeed.download_products",
        ),
        Job(
            "orders",
            "download completed sales as Local Store orders",
            entry="integrations.lightspeed.orders.jobs.orders_job",
            task="lightspeed.download_orders",
            refusal=LightspeedSettings.order_download_refusal,
        ),
        Job(
            "upload",
            "upload inventory, prices and costs (one request per changed item)",
            entry="integrations.lightspeed.catalog.jobs.upload_job",
            task="lightspeed.upload",
        ),
        Job(
            "reconcile",
            "report stock drift between LightSync and Lightspeed",
            entry="integrations.lightspeed.catalog.jobs.reconcile_job",
            task="lightspeed.reconcile",
        ),
        Job(
            "catalog_import",
            "import Lightspeed items as products (onboarding)",
            entry="integrations.lightspeed.catalog.jobs.catalog_import_job",
            task="lightspeed.catalog_import",
            on_request_only=True,
        ),
    )
}
# `lightspeed_sync inventory|prices|costs` are `upload` limited to one field.
UPLOAD_FIELDS = {"inventory": "inventory", "prices": "prices", "costs": "costs"}


def resolve_job(name: str) -> tuple[Job, frozenset[str]]:
    """The job for a command-line name, and the upload fields it is limited to."""
    if name in UPLOAD_FIELDS:
        return JOBS["upload"], frozenset({UPLOAD_FIELDS[name]})
    try:
        return JOBS[name], frozenset()
    except KeyError:
        raise UnknownJobError(f"Unknown job {name!r}; the jobs are: {', '.join(JOBS)}.") from None


def job_refusal(
    settings_obj: LightspeedSettings, job: Job | None = None, *, while_disabled: bool = False
) -> str | None:
    """Why no job (or this `job`) may run for this company now, in words; None when it may.

    `while_disabled`: a person asked for this run, which may go ahead with Lightspeed POS Enabled
    off (the shops download a merchant needs to finish the settings before turning it on)."""
    if settings_obj.needs_reauthorization:
        return (
            f"Re-authorization required: {settings_obj.connection_error or 'Lightspeed refused the token.'}"
        )
    if not settings_obj.enabled and not (while_disabled or (job is not None and job.runs_while_disabled)):
        return "Lightspeed POS Enabled is off for this company."
    if not settings_obj.refresh_token or not settings_obj.account_id:
        return "Lightspeed is not connected: run Fetch Token first."
    if job is not None and job.refusal is not None:
        return job.refusal(settings_obj)
    return None
