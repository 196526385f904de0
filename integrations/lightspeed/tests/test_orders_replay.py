"""Replaying one sale by its Lightspeed saleID, against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from integrations.commerce.models import Order
from integrations.lightspeed.models import LightspeedSettings, SyncIssue
from integrations.lightspeed.orders.services.replay import SaleReplayError, sale_replay
from integrations.lightspeed.tests.pos import Pos, connect_demo

pytestmark = pytest.mark.e2e


def _completed_sale_id(pos: Pos) -> int:
    return next(
        int(sale["saleID"])
        for sale in pos.all_sales()
        if sale["completed"] == "true" and sale["voided"] != "true"
    )


def test_a_replayed_sale_becomes_one_order_however_often_it_is_replayed(demo_sandbox, point_at, db):
    server = point_at(demo_sandbox)
    company = connect_demo(server)
    sale_id = _completed_sale_id(Pos(server))
    SyncIssue.objects.create(company=company, kind="sale_invalid", key=str(sale_id), message="unreadable")

    first = sale_replay(company_id=company.pk, sale_id=sale_id)
    second = sale_replay(company_id=company.pk, sale_id=sale_id)

    assert first.imported and second.imported
    assert Order.objects.filter(company=company, channel_order_id=str(sale_id)).count() == 1
    assert second.counts.get("already_imported") == 1
    assert SyncIssue.objects.get(company=company, key=str(sale_id)).status == SyncIssue.Status.RESOLVED


def test_replaying_a_sale_lightspeed_does_not_have_says_so(demo_sandbox, point_at, db):
    company = connect_demo(point_at(demo_sandbox))

    with pytest.raises(SaleReplayError, match="no sale 999999"):
        sale_replay(company_id=company.pk, sale_id=999999)
    assert not Order.objects.filter(company=company, channel_order_id="999999").exists()


def test_no_sale_is_replayed_while_lightspeed_pos_is_off(demo_sandbox, point_at, db):
    company = connect_demo(point_at(demo_sandbox))
    LightspeedSettings.objects.filter(company=company).update(enabled=False)

    with pytest.raises(SaleReplayError, match="Lightspeed POS Enabled is off"):
        sale_replay(company_id=company.pk, sale_id=1)
