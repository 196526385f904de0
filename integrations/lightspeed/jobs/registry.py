"""The job registry: the canonical job names of DESIGN.md §5 and what each runs.

Names are stable contracts (the `lightspeed_sync` subcommand, `SyncRun.job`, lock keys, Celery
queues, beat entries, metric labels). A job whose issue has not landed yet is registered with
`available=False`: asking for it says so plainly instead of pretending to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
    run: Callable[[JobContext], dict[str, Any]] | None = None
    needs_client: bool = True
    later_issue: str = ""
    # Runs while Lightspeed POS Enabled is off (still never while disconnected): keeping the
    # connection alive is not syncing, and an unused refresh token dies after 30 days.
    runs_while_disabled: bool = False
    aliases: dict[str, frozenset[str]] = field(default_factory=dict)
    # Why this job may not run with these settings (beyond the refusals every job shares), in
    # words; None when it may. Seen by `job_refusal`, so by runs, Sync now and replays alike.
    refusal: Callable[[LightspeedSettings], str | None] | None = None

    @property
    def available(self) -> bool:
        return self.run is not None


class UnknownJobError(ValueError):
    pass


class JobNotAvailableError(RuntimeError):
    pass


def _tokens(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.connection.services.token_refresh import TOKENS_JOB_MARGIN, token_refresh

    before = ctx.settings.auth_token
    if ctx.settings.enabled:
        token_refresh(company_id=ctx.settings.company_id, margin=TOKENS_JOB_MARGIN, dry_run=ctx.dry_run)
    elif ctx.settings.refresh_token_needs_keep_alive():
        # Jobs are off, so no access token is needed: renew only to keep the connection alive.
        token_refresh(company_id=ctx.settings.company_id, force=True, dry_run=ctx.dry_run)
    ctx.settings.refresh_from_db()
    due = ctx.settings.token_expires_within(TOKENS_JOB_MARGIN)
    refreshed = ctx.settings.auth_token != before
    return {"refreshed": int(refreshed), "due": int(due or refreshed)}


def _shops(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.shops.services.download import shops_download

    return shops_download(
        settings_obj=ctx.settings, client=ctx.client, dry_run=ctx.dry_run, progress=ctx.progress
    )


def _orders(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.orders.services.download import orders_download

    return orders_download(
        settings_obj=ctx.settings,
        client=ctx.client,
        dry_run=ctx.dry_run,
        since=ctx.since,
        progress=ctx.progress,
        run=ctx.run,
    )


def _orders_refusal(settings_obj: LightspeedSettings) -> str | None:
    from integrations.lightspeed.orders.services.download import orders_refusal

    return orders_refusal(settings_obj)


def _products(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.catalog.services.products import products_download

    return products_download(
        settings_obj=ctx.settings,
        client=ctx.client,
        dry_run=ctx.dry_run,
        since=ctx.since,
        progress=ctx.progress,
    )


# Not a command-line field: the frequent upload of what changed passes it (see tasks.py).
CHANGED_ONLY = "changed"


def _upload(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.catalog.services.upload import UploadScope, catalog_upload

    return catalog_upload(
        settings_obj=ctx.settings,
        client=ctx.client,
        fields=ctx.fields - {CHANGED_ONLY},
        scope=UploadScope(due_only=CHANGED_ONLY in ctx.fields),
        dry_run=ctx.dry_run,
        progress=ctx.progress,
    )


def _reconcile(ctx: JobContext) -> dict[str, Any]:
    from integrations.lightspeed.catalog.services.drift import stock_reconcile

    return stock_reconcile(settings_obj=ctx.settings, client=ctx.client, dry_run=ctx.dry_run)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "tokens",
            "refresh access tokens that expire soon",
            run=_tokens,
            needs_client=False,
            runs_while_disabled=True,
        ),
        Job("shops", "download shops, registers, employees and price levels", run=_shops),
        Job("products", "download and link items; auto-create products", run=_products),
        Job(
            "orders",
            "download completed sales as Local Store orders",
            run=_orders,
            refusal=_orders_refusal,
        ),
        Job(
            "upload",
            "upload inventory, prices and costs (one request per changed item)",
            run=_upload,
        ),
        Job(
            "reconcile",
            "report stock drift between LightSync and Lightspeed",
            run=_reconcile,
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


def require_available(job: Job) -> None:
    if not job.available:
        raise JobNotAvailableError(
            f"The {job.name} job ({job.description}) is not available yet: {job.later_issue} builds it. Nothing was run."
        )
