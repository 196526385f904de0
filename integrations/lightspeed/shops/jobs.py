"""The shops job (see jobs/registry.py): shops, registers, employees and price levels."""

from __future__ import annotations

from typing import Any

from integrations.lightspeed.jobs.registry import JobContext
from integrations.lightspeed.shops.services.download import shops_download


def shops_job(ctx: JobContext) -> dict[str, Any]:
    return shops_download(
        settings_obj=ctx.settings, client=ctx.client, dry_run=ctx.dry_run, progress=ctx.progress
    )
