"""Order download: 10,000 sales (3 lines on average) imported from the sandbox over real HTTP.

Prints our own processing rate (wall time minus the time spent waiting on HTTP), database
queries per sale and API requests per 100 sales. The sandbox drips fast enough that rate
limiting never enters the figure; the import is checked to be complete and exactly once.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from integrations.commerce.models import Order, OrderLine
from integrations.lightspeed.api.client import ClientStats
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.models import LightspeedSettings
from integrations.lightspeed.orders.services.download import orders_download
from integrations.lightspeed.tests.pos import Pos, catalogue_item_ids, connect_demo

SALES = 10_000


def _sales(item_ids: list[int], registers: dict[int, int]) -> list[dict]:
    rng = random.Random(6)
    start = timezone.now() - timedelta(days=3)
    out = []
    for n in range(SALES):
        shop_id = 1 + n % 3
        lines = [
            {"itemID": rng.choice(item_ids), "unitQuantity": rng.choice((1, 1, 2))}
            for _ in range(rng.choice((1, 2, 3, 4, 5)))
        ]
        out.append(
            {
                "shopID": shop_id,
                "registerID": registers[shop_id],
                "employeeID": 1,
                "completed": True,
                "completeTime": (start + timedelta(seconds=20 * n)).isoformat(),
                "SaleLines": {"SaleLine": lines},
                "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "100000"}},
            }
        )
    return out


def bench_order_download_10000_sales(sandbox_server_factory, settings, monkeypatch, transactional_db):
    server = sandbox_server_factory(seed="demo", drip_rate=10_000, bucket_size=1_000_000, burst_limit=0)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.LIGHTSPEED_OAUTH_URL = settings.LIGHTSPEED_API_URL = server.api_url
    settings.LIGHTSPEED_CLIENT_ID, settings.LIGHTSPEED_CLIENT_SECRET = server.client_id, server.client_secret
    company = connect_demo(server)
    pos = Pos(server)
    registers = {shop_id: pos.register_of(shop_id) for shop_id in (1, 2, 3)}
    item_ids = catalogue_item_ids() * 1
    server.seed(records={"fast": True, "Sale": _sales(item_ids, registers)})

    settings_obj = LightspeedSettings.objects.select_related("company").get(company=company)
    stats = ClientStats()
    client = lightspeed_client_for(settings_obj, stats=stats)
    api_wait = [0.0]
    send = client.session.request

    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            api_wait[0] += time.perf_counter() - began

    client.session.request = timed
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    began = time.perf_counter()
    with connection.execute_wrapper(count):
        counts = orders_download(settings_obj=settings_obj, client=client)
    wall = time.perf_counter() - began

    imported = Order.objects.filter(company=company).count()
    assert imported == counts["orders"] and imported >= SALES, counts
    lines = OrderLine.objects.filter(order__company=company).count()
    own = wall - api_wait[0]
    print(f"\norders imported: {imported} orders, {lines} lines ({lines / imported:.2f} lines/order)")
    print(f"orders wall time: {wall:.1f} s (API wait {api_wait[0]:.1f} s, our processing {own:.1f} s)")
    print(f"orders processing rate: {imported / own:.0f} sales/s (API wait excluded)")
    print(f"orders database queries: {queries[0] / imported:.2f} per sale ({queries[0]} in all)")
    print(
        f"orders API requests: {stats.requests * 100 / imported:.2f} per 100 sales ({stats.requests} in all)"
    )
