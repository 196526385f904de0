"""The fleet benchmark's fairness load: one big merchant onboarding beside a fleet of small ones.

The big merchant has a Lightspeed account of its own with `BIG_ITEMS` items (all linked here, each
with a different quantity: a first upload) and `BIG_SALES` completed sales over the last 30 days
(a backfill). Both start together, the way a merchant switches them on, while a sample of the
small companies keeps selling and changing stock, as `bench_freshness` does for one company:
a sale rung up at each sampled account every `SALE_EVERY` seconds (`POST
/_sandbox/accounts/{id}/sales`, completed now) and a stock change committed here every
`STOCK_EVERY` seconds through LightSync's stock service.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from benchmarks import fleet_support as fleet
from benchmarks import freshness_driver as fd
from integrations.commerce.models import Company, Order
from integrations.lightspeed import tasks
from integrations.lightspeed.models import LightspeedSettings, SyncRun

BIG_SALES = int(os.environ.get("BENCH_FLEET_BIG_SALES", 50_000))
BIG_ITEMS = int(os.environ.get("BENCH_FLEET_BIG_ITEMS", 20_000))
# A big merchant: 2 shops with 10 registers each, so Lightspeed gives it 10.5 drips/s.
BIG_REGISTERS_PER_SHOP = 10
SAMPLE = int(os.environ.get("BENCH_FLEET_FAIR_SAMPLE", 15))
SALE_EVERY = float(os.environ.get("BENCH_FLEET_FAIR_SALE_EVERY", 10))
STOCK_EVERY = float(os.environ.get("BENCH_FLEET_FAIR_STOCK_EVERY", 10))
SHORT_QUEUE_NAMES = fleet.SHORT_QUEUES.split(",")
LONG_QUEUE_NAMES = fleet.LONG_QUEUES.split(",")


def big_merchant(server, *, qoh: int) -> tuple[int, dict]:
    """The big merchant's account and company, both switched off until `start_big`: its products
    are linked by the onboarding's products download, nothing else runs for it."""
    (account,) = server.add_accounts(
        1, shops=2, registers_per_shop=BIG_REGISTERS_PER_SHOP, items=BIG_ITEMS, qoh=qoh
    )
    server.control("POST", f"accounts/{account['accountID']}/sales", {"count": BIG_SALES, "days": 30})
    (company_id,) = fleet.connect_fleet(server, [account], items=BIG_ITEMS, qoh=qoh + 1, history_days=31)
    LightspeedSettings.objects.filter(company_id=company_id).update(
        order_download_enabled=False, inventory_upload_enabled=False
    )
    return company_id, account


def start_big(company_id: int) -> None:
    """Order download and the inventory upload switched on, and started as the settings page does:
    the orders job's first run (the backfill) and the upload of what is due (20,000 items: handed
    over to the long queue)."""
    LightspeedSettings.objects.filter(company_id=company_id).update(
        order_download_enabled=True, inventory_upload_enabled=True
    )
    tasks.lightspeed_download_orders.apply_async((company_id, SyncRun.Trigger.MANUAL))
    tasks.lightspeed_upload_changed.apply_async((company_id, SyncRun.Trigger.MANUAL))


@dataclass
class BigProgress:
    seconds: float
    orders: int
    uploaded: int
    short_queued: int
    long_queued: int


def big_progress(company_id: int, started: float) -> BigProgress:
    client = fleet.redis_client()
    return BigProgress(
        seconds=time.monotonic() - started,
        orders=Order.objects.filter(company_id=company_id).count(),
        # The upload clears what it sent as done at its end; while it runs, its progress says.
        uploaded=sum(
            SyncRun.objects.filter(company_id=company_id, job="upload").values_list(
                "progress_done", flat=True
            )
        ),
        short_queued=sum(client.llen(name) for name in SHORT_QUEUE_NAMES),
        long_queued=sum(client.llen(name) for name in LONG_QUEUE_NAMES),
    )


@dataclass
class SampleLoad:
    """Sales and stock changes at the sampled small companies, staggered over the interval."""

    server: object
    companies: list[Company]
    accounts: dict[int, int]  # company id → Lightspeed account id
    sales: dict[int, list[dict]] = field(default_factory=dict)
    changes: list[fd.StockChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.changers = {c.pk: fd.StockChanger(c, seed=c.pk) for c in self.companies}
        now, step = time.time(), 1 / max(len(self.companies), 1)
        self.next_sale = {c.pk: now + 1 + i * step * SALE_EVERY for i, c in enumerate(self.companies)}
        self.next_stock = {c.pk: now + 1.5 + i * step * STOCK_EVERY for i, c in enumerate(self.companies)}
        self.rung = 0

    def step(self) -> None:
        now = time.time()
        for company in self.companies:
            if now >= self.next_sale[company.pk]:
                self.rung += 1
                made = self.server.control(
                    "POST",
                    f"accounts/{self.accounts[company.pk]}/sales",
                    {"count": 1, "days": 1, "seed": self.rung},
                )
                self.sales.setdefault(company.pk, []).append(
                    {"saleID": str(made["firstSaleID"]), "completeTime": made["to"]}
                )
                self.next_sale[company.pk] += SALE_EVERY
            if now >= self.next_stock[company.pk]:
                self.changes.append(self.changers[company.pk].change())
                self.next_stock[company.pk] += STOCK_EVERY

    def figures(self, log: list[dict]) -> tuple[list[float], list[str], fd.StockFigures]:
        delays, missing = [], []
        for company in self.companies:
            found = fd.sale_to_order(company, self.sales.get(company.pk, []))
            delays += found.delays
            missing += found.missing
        return delays, missing, fd.stock_to_lightspeed(self.changes, log)


def big_writes(log: list[dict], account_id: int) -> int:
    """Item writes Lightspeed accepted for the big merchant's account (its upload's real output)."""
    prefix = f"/API/V3/Account/{account_id}/Item/"
    return sum(r["method"] == "PUT" and r["status"] == 200 and r["path"].startswith(prefix) for r in log)
