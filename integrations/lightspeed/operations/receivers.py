"""Operations' view of the work below it: metrics and alerts, connected from `apps.ready`.

The runner and the token refresh announce what happened (signals); they never import operations.
"""

from __future__ import annotations

import logging

from django.db import transaction

from integrations.lightspeed.connection.services.token_refresh import token_refresh_attempted
from integrations.lightspeed.jobs.signals import run_finished
from integrations.lightspeed.live.services.freshness import freshness_recorded
from integrations.lightspeed.operations import metrics
from integrations.lightspeed.operations.services import alerts

logger = logging.getLogger(__name__)


def run_observed(sender, run, stats=None, **kwargs) -> None:
    """A finished run: counted in the metrics now, its company's alerts checked once committed."""
    try:
        metrics.run_counted(run, stats)
    except Exception:  # metrics must never fail the run they describe
        logger.exception("Could not count the %s run %s in the metrics", run.job, run.pk)
    company_id = run.company_id

    def check_alerts() -> None:
        try:
            alerts.alerts_check_company(company_id=company_id)
        except Exception:  # an alert that cannot be sent must not fail the run; beat retries
            logger.exception("Could not check the alerts of company %s", company_id)

    transaction.on_commit(check_alerts)


def freshness_measured(sender, company_id: int, direction: str, seconds: list[float], **kwargs) -> None:
    """Samples the live loop stored: into the /metrics histogram once their transaction commits (a
    rolled-back import measured nothing, and a metrics failure must not roll it back)."""

    def observe() -> None:
        try:
            metrics.freshness_observed(company_id=company_id, direction=direction, seconds=seconds)
        except Exception:
            logger.exception("Could not add company %s's freshness samples to the metrics", company_id)

    transaction.on_commit(observe)


def token_refresh_counted(sender, result: str, **kwargs) -> None:
    metrics.counter_add("token_refreshes", result=result)


def connect() -> None:
    run_finished.connect(run_observed, dispatch_uid="lightspeed_operations_run_finished")
    token_refresh_attempted.connect(token_refresh_counted, dispatch_uid="lightspeed_operations_token_refresh")
    freshness_recorded.connect(freshness_measured, dispatch_uid="lightspeed_operations_freshness")
