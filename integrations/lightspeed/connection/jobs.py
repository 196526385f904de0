"""The tokens job (see jobs/registry.py): renew access tokens before they expire."""

from __future__ import annotations

from typing import Any

from integrations.lightspeed.connection.services.token_refresh import TOKENS_JOB_MARGIN, token_refresh
from integrations.lightspeed.jobs.registry import JobContext


def tokens_job(ctx: JobContext) -> dict[str, Any]:
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
