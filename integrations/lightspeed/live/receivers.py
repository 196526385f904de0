"""The live loop listens to the runner: what each finished run cost goes into the company's
minute as work (the probes record their own cost as polling)."""

from __future__ import annotations

from integrations.lightspeed.jobs.signals import run_finished
from integrations.lightspeed.live.services.freshness import api_usage_record


def run_cost_record(sender, run, stats=None, **kwargs) -> None:
    if stats is None or run.dry_run:
        return
    api_usage_record(
        company_id=run.company_id,
        drips=stats.cost,
        requests=stats.requests,
        polling=False,
        drip_rate=stats.drip_rate,
        at=run.finished_at,
    )


def connect() -> None:
    run_finished.connect(run_cost_record, dispatch_uid="lightspeed_live_run_cost")
