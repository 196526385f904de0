"""The shops download that follows Fetch Token is recorded as started by Fetch Token.

Sync runs and the dashboard say what started each run; the merchant pressed Fetch Token, not an
admin action, so the run right after connecting says "Fetch Token".
"""
# ruff: noqa: F811 - pytest fixtures imported from test_e2e_sandbox are parameters of the tests

from __future__ import annotations

import pytest

from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.tests.sandbox_helpers import browse_fetch_token

from .test_e2e_sandbox import lightspeed_at, merchant_client  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


def test_the_shops_download_right_after_fetch_token_says_fetch_token_started_it(
    demo_sandbox, lightspeed_at, merchant_client
):
    lightspeed_at(demo_sandbox)

    assert browse_fetch_token(merchant_client, merchant_client.company).status_code == 302

    run = SyncRun.objects.get(company=merchant_client.company, job="shops")
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.get_trigger_display() == "Fetch Token"
