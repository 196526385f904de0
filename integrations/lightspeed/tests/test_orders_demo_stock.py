"""The demo's sales history sells only what its shops had, so importing it flags no shortfall.

`make demo` seeds LightSync's warehouses and the sandbox's shops from one catalogue, each shop
with the stock of the warehouse that feeds it. A history sale of an item its shop did not have
would arrive in LightSync as "Sold more than in stock" issues on the merchant's first look.
"""

from __future__ import annotations

import pytest

from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import SyncIssue, SyncRun
from integrations.lightspeed.tests.pos import connect_demo

pytestmark = pytest.mark.e2e


def test_importing_the_demo_history_flags_no_sale_of_more_than_a_shop_had(demo_sandbox, point_at, db):
    company = connect_demo(point_at(demo_sandbox))

    run = job_run(company_id=company.pk, job=JOBS["orders"], sleep=lambda s: None)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.counts.get("orders", 0) > 50, run.counts
    shortfalls = SyncIssue.objects.filter(company=company, kind="stock_shortfall")
    assert [issue.message for issue in shortfalls] == []
