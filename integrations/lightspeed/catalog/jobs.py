"""The catalog's jobs (see jobs/registry.py): products, upload, reconcile and catalog_import."""

from __future__ import annotations

from typing import Any

from integrations.lightspeed.catalog.services.drift import stock_reconcile
from integrations.lightspeed.catalog.services.onboarding import catalog_import
from integrations.lightspeed.catalog.services.products import products_download
from integrations.lightspeed.catalog.services.upload import UploadScope, catalog_upload
from integrations.lightspeed.jobs.registry import CHANGED_ONLY, JobContext


def products_job(ctx: JobContext) -> dict[str, Any]:
    return products_download(
        settings_obj=ctx.settings,
        client=ctx.client,
        dry_run=ctx.dry_run,
        since=ctx.since,
        progress=ctx.progress,
    )


def upload_job(ctx: JobContext) -> dict[str, Any]:
    return catalog_upload(
        settings_obj=ctx.settings,
        client=ctx.client,
        fields=ctx.fields - {CHANGED_ONLY},
        scope=UploadScope(due_only=CHANGED_ONLY in ctx.fields),
        dry_run=ctx.dry_run,
        progress=ctx.progress,
    )


def reconcile_job(ctx: JobContext) -> dict[str, Any]:
    return stock_reconcile(settings_obj=ctx.settings, client=ctx.client, dry_run=ctx.dry_run)


def catalog_import_job(ctx: JobContext) -> dict[str, Any]:
    return catalog_import(
        settings_obj=ctx.settings, client=ctx.client, dry_run=ctx.dry_run, progress=ctx.progress, run=ctx.run
    )
