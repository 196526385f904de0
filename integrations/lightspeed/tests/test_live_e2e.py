"""The live loop against the sandbox over real HTTP, at the demo account's real limits (six
registers: 3.5 drips/s), minute by simulated minute: our clock is injected into the tick and the
probes, the sandbox's clock is frozen and moved in step (`/_sandbox/clock`). What is asserted is
what the loop decides — requests and enqueues per minute, the budget they spend, the second a sale
becomes an order, orders read before an upload — never a wall-clock figure (`make bench` has those).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.commerce.models import Order
from integrations.commerce.services.stock import stock_adjust
from integrations.core.locks import NamedLock, company_job_lock_name
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.live.services import catch_up
from integrations.lightspeed.live.services.probe import live_probe
from integrations.lightspeed.live.services.schedule import live_states_ensure, live_tick
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.tests.pos import Pos, catalogue_item_ids, connect_demo

from .catalog_support import uploads_not_queued  # noqa: F401 - autouse fixture
from .test_catalog_e2e import Register, catalogue, connect, lightspeed, run, seed_items  # noqa: F401

pytestmark = pytest.mark.e2e


class Simulation:
    """Beat's tick and the worker's probes, one simulated second at a time."""

    def __init__(self, server, on_commit):
        self.server, self.on_commit = server, on_commit
        self.now = timezone.now()
        self.enqueued = 0
        server.freeze_clock(True)
        self.first_log_id = max((r["id"] for r in server.requests_log()), default=0)

    def second(self) -> None:
        queued: list[int] = []
        with self.on_commit(execute=True):
            live_tick(enqueue=queued.append, now=self.now)
        self.enqueued += len(queued)
        for company_id in queued:
            live_probe(company_id=company_id, clock=lambda: self.now)
        self.now += timedelta(seconds=1)
        self.server.advance_clock(1)

    def sale_reads(self) -> tuple[list[dict], list[dict]]:
        """LightSync's reads of sales since the start: (probes, the orders runs' reads)."""
        reads = [
            r
            for r in self.server.requests_log(self.first_log_id)
            if r["method"] == "GET" and r["path"].endswith("/Sale.json")
        ]
        probes = [r for r in reads if "sort=-updatetime" in r["query"]]
        return probes, [r for r in reads if r not in probes]


@pytest.fixture
def demo_live(demo_sandbox, point_at, db, django_capture_on_commit_callbacks):
    server = point_at(demo_sandbox)
    company = connect_demo(server)
    history = job_run(company_id=company.pk, job=JOBS["orders"])  # the demo's history; the cursor
    assert history.outcome == SyncRun.Outcome.SUCCEEDED, history.error
    simulation = Simulation(server, django_capture_on_commit_callbacks)
    yield simulation, company
    server.freeze_clock(False)


def test_an_idle_account_is_probed_20_times_a_minute_on_a_tenth_of_its_drip_budget(demo_live):
    simulation, company = demo_live
    runs_before = SyncRun.objects.filter(company=company).count()

    for _ in range(60):
        simulation.second()

    probes, order_reads = simulation.sale_reads()
    assert len(probes) == simulation.enqueued == 20  # every 2.86 s, on whole-second ticks: every 3 s
    assert order_reads == []
    spent = sum(r["cost"] for r in simulation.server.requests_log(simulation.first_log_id))
    assert spent / (60 * 3.5) <= 0.10  # the ≤ 15 % bar, with room for the scheduled safety net
    assert SyncRun.objects.filter(company=company).count() == runs_before  # no run: nothing to read


def test_a_sale_becomes_an_order_at_the_next_probe_and_probes_come_faster_while_sales_flow(demo_live):
    simulation, company = demo_live
    pos = Pos(simulation.server)
    for _ in range(29):
        simulation.second()  # probes at 0, 3, …, 27
    sale = pos.ring_up(catalogue_item_ids()[:1], shop_id=1)  # at second 28.x
    simulation.second()  # second 29: no probe due
    assert not Order.objects.filter(company=company, channel_order_id=sale["saleID"]).exists()

    simulation.second()  # second 30: the probe sees the sale and the orders run imports it

    assert Order.objects.filter(company=company, channel_order_id=sale["saleID"]).exists()
    for _ in range(29):
        simulation.second()  # to the end of the minute: seconds 31 to 59
    probes, order_reads = simulation.sale_reads()
    # 10 probes before the sale (0, 3, …, 27), the one at 30 that saw it, then one every 2 s
    # (32, 34, …, 58) while sales flow.
    assert len(probes) == 10 + 1 + 14
    # The one live orders run read the changes since its cursor and fetched the one sale in full.
    assert ["sort=updatetime" in r["query"] for r in order_reads] == [True, False]
    assert "saleID=IN" in order_reads[1]["query"]


def test_an_upload_lets_the_orders_catch_up_first_and_sends_the_item_the_pos_just_sold(
    lightspeed,  # noqa: F811
    db,
):
    settings_obj = connect(
        lightspeed, order_download_enabled=True, order_download_start=timezone.now() - timedelta(minutes=1)
    )
    settings_obj.price_upload_enabled = settings_obj.cost_upload_enabled = False
    settings_obj.save(update_fields=["price_upload_enabled", "cost_upload_enabled"])
    seed_items(lightspeed, 1)
    (belt,) = catalogue(settings_obj, 1)
    run(settings_obj.company_id, "products")
    run(settings_obj.company_id, "orders")
    live_states_ensure(now=timezone.now())
    pos = Register(lightspeed)
    pos.sell(500, 1)  # the register sells one in shop 1: Lightspeed 5 → 4
    stock_adjust(product=belt, warehouse=settings_obj.warehouses[1], quantity_change=3, reason="adjustment")
    before = max(r["id"] for r in lightspeed.requests_log())

    upload = run(settings_obj.company_id, "upload", fields=frozenset({"changed"}))

    # Not held back for a later cycle: the sale came down first, and the quantity sent counts it.
    assert upload.counts.get("orders_caught_up") == 1 and "held_back" not in upload.counts
    assert pos.qoh(500)[1] == 5 + 3 - 1
    assert Order.objects.filter(company=settings_obj.company).count() == 1
    log = [r for r in lightspeed.requests_log(before) if r["path"].endswith(("/Sale.json", "/Item/500.json"))]
    order = ["probe" if "sort=-updatetime" in r["query"] else r["method"] for r in log]
    assert order.index("probe") < order.index("PUT")


def _upload_meets_an_orders_run_in_progress(server, monkeypatch, *, run_ends_after: float | None):
    """The POS sold one of an item that then changed here; another worker's orders run holds the
    company's orders lock when the upload catches up, and ends after `run_ends_after` seconds of
    the upload's waiting (never, with None). Waiting is simulated: no wall-clock time passes."""
    settings_obj = connect(
        server, order_download_enabled=True, order_download_start=timezone.now() - timedelta(minutes=1)
    )
    settings_obj.price_upload_enabled = settings_obj.cost_upload_enabled = False
    settings_obj.save(update_fields=["price_upload_enabled", "cost_upload_enabled"])
    seed_items(server, 1)
    (belt,) = catalogue(settings_obj, 1)
    run(settings_obj.company_id, "products")
    run(settings_obj.company_id, "orders")
    live_states_ensure(now=timezone.now())
    pos = Register(server)
    pos.sell(500, 1)  # Lightspeed 5 → 4
    stock_adjust(product=belt, warehouse=settings_obj.warehouses[1], quantity_change=3, reason="adjustment")
    orders_run = NamedLock(company_job_lock_name(settings_obj.company_id, "orders"))
    assert orders_run.try_acquire()
    waited = [0.0]

    def wait(seconds: float) -> None:
        waited[0] += seconds
        if run_ends_after is not None and waited[0] >= run_ends_after and orders_run.acquired:
            orders_run.release()

    monkeypatch.setattr(catch_up, "_sleep", wait, raising=False)
    monkeypatch.setattr(catch_up, "_monotonic", lambda: waited[0], raising=False)
    upload = run(settings_obj.company_id, "upload", fields=frozenset({"changed"}))
    orders_run.release()
    return upload, pos, waited[0]


def test_an_upload_whose_catch_up_meets_an_orders_run_in_progress_waits_for_it_and_sends_the_item(
    lightspeed,  # noqa: F811
    db,
    monkeypatch,
):
    upload, pos, waited = _upload_meets_an_orders_run_in_progress(lightspeed, monkeypatch, run_ends_after=1.5)

    # Not held back for a whole cycle: once the run ended the probe brought the sale down.
    assert upload.counts.get("orders_caught_up") == 1 and "held_back" not in upload.counts
    assert pos.qoh(500)[1] == 5 + 3 - 1
    assert 1.5 <= waited < 2


def test_an_upload_waits_for_an_orders_run_in_progress_only_a_few_seconds(
    lightspeed,  # noqa: F811
    db,
    monkeypatch,
):
    upload, pos, waited = _upload_meets_an_orders_run_in_progress(
        lightspeed, monkeypatch, run_ends_after=None
    )

    assert waited == pytest.approx(5)  # LIGHTSPEED_LIVE_CATCH_UP_WAIT_SECONDS
    assert upload.counts.get("held_back") == 1 and "orders_caught_up" not in upload.counts
    assert pos.qoh(500)[1] == 4  # the sale's decrement is not overwritten with a stale 8


def test_without_the_live_loop_the_item_the_pos_just_sold_waits_for_the_next_cycle(
    lightspeed,  # noqa: F811
    db,
    settings,
):
    settings.LIGHTSPEED_LIVE_TICK_SECONDS = 0
    settings_obj = connect(
        lightspeed, order_download_enabled=True, order_download_start=timezone.now() - timedelta(minutes=1)
    )
    seed_items(lightspeed, 1)
    (belt,) = catalogue(settings_obj, 1)
    run(settings_obj.company_id, "products")
    run(settings_obj.company_id, "orders")
    live_states_ensure(now=timezone.now())
    pos = Register(lightspeed)
    pos.sell(500, 1)
    stock_adjust(product=belt, warehouse=settings_obj.warehouses[1], quantity_change=3, reason="adjustment")

    upload = run(settings_obj.company_id, "upload", fields=frozenset({"changed"}))

    assert upload.counts.get("held_back") == 1
    assert pos.qoh(500)[1] == 4  # the sale's decrement is not overwritten with a stale 8
