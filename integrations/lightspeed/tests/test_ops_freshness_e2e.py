"""Freshness you can see, end to end: the live loop against the sandbox over real HTTP imports a
sale, and the dashboard's figures, the budget line and /metrics show that one measured sale."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from integrations.commerce.models import Order
from integrations.lightspeed.models import FreshnessSample
from integrations.lightspeed.operations.selectors import freshness_overview
from integrations.lightspeed.tests.pos import Pos, catalogue_item_ids

from .test_live_e2e import demo_live  # noqa: F401 - the live loop, second by simulated second

pytestmark = pytest.mark.e2e


def test_a_sale_the_live_loop_imports_is_measured_on_the_dashboard_and_in_metrics(demo_live, client):  # noqa: F811
    simulation, company = demo_live
    pos = Pos(simulation.server)
    with simulation.on_commit(execute=True):  # as a worker's transactions commit
        for _ in range(4):
            simulation.second()
        sale = pos.ring_up(catalogue_item_ids()[:1], shop_id=1)
        for _ in range(4):
            simulation.second()
    assert Order.objects.filter(company=company, channel_order_id=sale["saleID"]).exists()
    probes, order_reads = simulation.sale_reads()

    fresh = freshness_overview([company], now=simulation.now + timedelta(minutes=1))[company.pk]

    (sample,) = FreshnessSample.objects.filter(company=company)  # the demo history is no live sale
    assert sample.key == str(sale["saleID"])
    assert (fresh.sale_to_order.samples, fresh.sale_to_order.p95) == (1, sample.seconds)
    assert fresh.stock_to_lightspeed.samples == 0
    assert fresh.drip_rate == 3.5  # the demo account's six registers, as Lightspeed reported it
    assert fresh.poll_drips == sum(r["cost"] for r in probes) == len(probes)  # 1 drip a probe
    assert fresh.work_drips >= sum(r["cost"] for r in order_reads) > 0
    text = client.get("/metrics").content.decode()
    series = f'company="{company.pk}",direction="sale_to_order"'
    assert re.search(rf"^lightsync_lightspeed_freshness_seconds_count\{{{series}\}} 1\.0$", text, re.M)
