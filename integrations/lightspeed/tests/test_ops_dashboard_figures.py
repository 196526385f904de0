"""The dashboard's figures: sync latency, token age, each job's last success, the upload backlog."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from integrations.commerce.models import Order, StockLedgerEntry
from integrations.commerce.services.stock import stock_adjust
from integrations.commerce.tests.factories import ProductFactory, WarehouseFactory
from integrations.lightspeed.models import LightspeedShop
from integrations.lightspeed.models.catalog import ItemShopState, ProductLink
from integrations.lightspeed.models.orders import LightspeedSale
from integrations.lightspeed.operations.dashboard import latency_chart


def _sale_imported(company, shop, sale_id: int, *, completed, imported) -> None:
    order = Order.objects.create(
        company=company,
        channel=Order.Channel.LOCAL_STORE,
        channel_order_id=str(sale_id),
        order_date=completed,
        total=Decimal("10"),
    )
    sale = LightspeedSale.objects.create(
        company=company, sale_id=sale_id, state="imported", order=order, shop=shop, complete_time=completed
    )
    LightspeedSale.objects.filter(pk=sale.pk).update(created_at=imported)


def _stock_sent(company, shop, *, changed, sent) -> None:
    product = ProductFactory(company=company)
    stock_adjust(
        product=product, warehouse=WarehouseFactory(company=company), quantity_change=5, reason="import"
    )
    StockLedgerEntry.objects.filter(product=product).update(created_at=changed)
    link = ProductLink.objects.create(company=company, product=product, item_id=product.pk)
    ItemShopState.objects.create(link=link, shop=shop, qoh_sent=5, sent_at=sent)


def test_the_latency_figures_are_the_sale_to_order_and_stock_change_to_sent_delays(connected):
    company = connected.company
    shop = LightspeedShop.objects.create(company=company, shop_id=1, name="Downtown")
    now = timezone.now()
    base = now - timedelta(hours=3)
    for sale_id, delay in ((1, 30), (2, 50), (3, 70)):
        completed = base + timedelta(minutes=sale_id)
        _sale_imported(
            company, shop, sale_id, completed=completed, imported=completed + timedelta(seconds=delay)
        )
    for delay in (20, 40):
        _stock_sent(company, shop, changed=base, sent=base + timedelta(seconds=delay))

    chart, figures = latency_chart(company, now=now)

    assert figures == {"sale": (50.0, 70.0), "stock": (30.0, 40.0)}
    assert "Sale → order" in chart and "Stock change → sent" in chart


def test_the_dashboard_shows_token_age_each_jobs_last_success_and_the_upload_backlog(client, connected):
    import re

    from django.contrib.auth.models import Group
    from django.urls import reverse

    from integrations.commerce import roles
    from integrations.commerce.models import User
    from integrations.lightspeed.models import LightspeedSettings, SyncRun

    roles.roles_apply()
    user = User.objects.create_user("merchant", password="pw", company=connected.company, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.MERCHANTS))
    client.force_login(user)
    company = connected.company
    now = timezone.now()
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        token_received_at=now - timedelta(days=3, minutes=1), token_refreshed_at=now - timedelta(minutes=20)
    )
    for job, hours_ago, outcome in (
        ("orders", 2, "succeeded"),
        ("orders", 1, "failed"),
        ("upload", 5, "succeeded"),
    ):
        started = now - timedelta(hours=hours_ago)
        SyncRun.objects.create(
            company=company,
            job=job,
            outcome=outcome,
            started_at=started,
            finished_at=started + timedelta(seconds=5),
        )
    for minutes in (10, 45):
        link = ProductLink.objects.create(
            company=company, product=ProductFactory(company=company), item_id=minutes, enabled=True
        )
        ProductLink.objects.filter(pk=link.pk).update(upload_due_at=now - timedelta(minutes=minutes))

    html = client.get(reverse("admin:lightspeed_dashboard_changelist")).content.decode()

    assert "Token received 3\xa0days ago, renewed 20\xa0minutes ago" in html
    jobs = html[html.index('id="ls-jobs"') :]
    last_success = dict(re.findall(r"<strong>(\w+)</strong>.*?</td>\s*<td>([^<]*)</td>", jobs, re.S))
    assert last_success["orders"].startswith("2\xa0hours") and last_success["orders"].endswith("ago")
    assert last_success["upload"].startswith("5\xa0hours")
    assert last_success["shops"] == "never"
    backlog = html[html.index('id="ls-backlog"') : html.index("</div>", html.index("items waiting"))]
    assert '<div class="ls-big">2</div>' in backlog and "oldest for 45\xa0minutes" in backlog
