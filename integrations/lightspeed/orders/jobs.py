"""The orders job (see jobs/registry.py): completed sales become Local Store orders."""

from __future__ import annotations

from typing import Any

from integrations.lightspeed.jobs.registry import LIVE, JobContext
from integrations.lightspeed.orders.services.download import orders_download


def orders_job(ctx: JobContext) -> dict[str, Any]:
    return orders_download(
        settings_obj=ctx.settings,
        client=ctx.client,
        dry_run=ctx.dry_run,
        since=ctx.since,
        progress=ctx.progress,
        run=ctx.run,
        live=LIVE in ctx.fields,
    )
