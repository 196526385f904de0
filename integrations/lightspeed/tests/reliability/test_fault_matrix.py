"""The fault matrix: every job against every fault Lightspeed can throw, over real HTTP.

Each cell seeds a small account at the sandbox and connects LightSync to it, then:

1. (faults a client can ride out) arms the fault for a few strikes: the run must succeed, and its
   record must show what it rode out;
2. adds new work, arms the fault for good: the run must stop (or carry on past the one thing
   that failed) and say what happened in words — the run's error or an issue — having retried
   no more than the client's bound;
3. disarms it and runs again (a person presses Retry first where LightSync waits for one): the
   run succeeds and LightSync agrees with Lightspeed — every completed sale of the mapped shops an
   order exactly once, stock moved once, Lightspeed's quantities LightSync's, one item per product;
4. runs once more: nothing new (the cursors are right). The job's failure issue is resolved,
   Lightspeed refused nothing but what the fault made it refuse, no lock is left held, no run left
   running, and every stock level is the sum of its ledger.

The matrix of outcomes is printed at the end of the session (conftest.py).
"""

from __future__ import annotations

import inspect
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.api.inflight import max_in_flight
from integrations.lightspeed.api.transport import LightspeedTransport
from integrations.lightspeed.models import SyncIssue, SyncRun
from integrations.lightspeed.operations.services.issues import issue_retry
from integrations.lightspeed.tests.reliability import matrix
from integrations.lightspeed.tests.reliability.support import (
    DELAY,
    PRODUCTION,
    SHORT_TIMEOUT,
    account_seed,
    catalog_linked_once,
    clock_offset,
    counted,
    fault_hits,
    issues_since,
    items_seed,
    last_request_id,
    ledger_matches_levels,
    locks_free,
    merchant_connect,
    orders_exactly_once,
    products_make,
    quantities_agree,
    run_job,
    sales_seed,
    shops_agree,
    timeout_short,
    token_requests,
)

pytestmark = pytest.mark.e2e

MAX_RETRIES = inspect.signature(LightspeedTransport.__init__).parameters["max_retries"].default


class Scenario:
    """One job's side of a cell: how its account is set up, what new work looks like, what
    "LightSync agrees with Lightspeed" means for it and what "nothing new" means."""

    job = ""

    def __init__(self, world) -> None:
        self.world = world
        self.server = world.server
        self.merchant = None
        self.runs: list[SyncRun] = []  # the runs of the job under test

    def prepare(self) -> None:
        raise NotImplementedError

    def more_work(self) -> None:
        raise NotImplementedError

    def before_recovery(self) -> None:
        """What a person does between the faulted run and the next one (nothing, mostly)."""

    def agrees(self) -> None:
        raise NotImplementedError

    def nothing_new(self, run: SyncRun) -> int:
        raise NotImplementedError

    def run(self, **kwargs) -> SyncRun:
        run = run_job(self.merchant, self.job, self.world.waits, **kwargs)
        self.runs.append(run)
        return run

    def link(self) -> None:
        linked = run_job(self.merchant, "products", self.world.waits)
        assert linked.outcome == SyncRun.Outcome.SUCCEEDED, linked.error


class Orders(Scenario):
    job = "orders"

    def prepare(self) -> None:
        account_seed(self.server)
        self.merchant = merchant_connect(
            self.server,
            waits=self.world.waits,
            order_download_enabled=True,
            order_download_start=timezone.now() - timedelta(hours=1),
        )
        products_make(self.merchant, range(6))
        self.link()
        # Six sales in shops 1, 2, 3, 1, 2, 3 (shop 3 is not mapped), some with two lines.
        sales_seed(self.server, [(200 - 10 * i, [i, (i + 1) % 6][: 1 + i % 2], 1 + i % 3) for i in range(6)])

    def more_work(self) -> None:
        # Five more, stamped between the first ones (committed late at Lightspeed): only the
        # cursor's overlap window finds them, on pages that mix them with sales imported before.
        sales_seed(self.server, [(195 - 10 * i, [(i + 2) % 6], 1 + (i + 1) % 3) for i in range(5)])

    def agrees(self) -> None:
        orders_exactly_once(self.merchant, self.world.lightspeed)

    def nothing_new(self, run: SyncRun) -> int:
        return counted(run, "orders", "returns")


class Upload(Scenario):
    job = "upload"

    def prepare(self) -> None:
        account_seed(self.server)
        self.merchant = merchant_connect(
            self.server,
            waits=self.world.waits,
            inventory_upload_enabled=True,
            price_upload_enabled=True,
            cost_upload_enabled=True,
        )
        self.products = products_make(self.merchant, range(6))
        self.link()
        self._change(self.products[:4], 1)

    def _change(self, products, step: int) -> None:
        wh1, wh2 = self.merchant.warehouses[1], self.merchant.warehouses[2]
        for n, product in enumerate(products):
            stock_adjust(product=product, warehouse=wh1, quantity_change=step + n, reason="adjustment")
            stock_adjust(product=product, warehouse=wh2, quantity_change=-(step + n), reason="adjustment")

    def more_work(self) -> None:
        self._change(self.products[2:], 2)

    def agrees(self) -> None:
        quantities_agree(self.merchant, self.world.lightspeed)

    def nothing_new(self, run: SyncRun) -> int:
        return counted(run, "items_sent")


class Products(Scenario):
    job = "products"

    def prepare(self) -> None:
        account_seed(self.server)
        self.merchant = merchant_connect(
            self.server,
            waits=self.world.waits,
            inventory_upload_enabled=True,
            auto_create_enabled_products=True,
        )
        products_make(self.merchant, range(6))  # Lightspeed has these: linked by SKU
        products_make(self.merchant, range(2), prefix="NEW", qoh=7)  # these it lacks: created

    def more_work(self) -> None:
        items_seed(self.server, range(100, 103))  # itemIDs 600-602: clear of the created ones
        products_make(self.merchant, range(100, 103))
        products_make(self.merchant, range(2, 4), prefix="NEW", qoh=3)

    def before_recovery(self) -> None:
        # A create Lightspeed refused waits for a person's Retry (issues queue), by design.
        for issue in SyncIssue.objects.filter(
            company=self.merchant.company, kind=SyncIssue.Kind.ITEM_CREATE_REJECTED, status="open"
        ):
            issue_retry(issue=issue)

    def agrees(self) -> None:
        catalog_linked_once(self.merchant, self.world.lightspeed)
        quantities_agree(self.merchant, self.world.lightspeed)
        # Every create that reached Lightspeed made an item: none was sent twice (a create whose
        # answer was lost is found by its SKU, never posted again).
        creates = [
            r
            for r in self.server.requests_log()
            if r["method"] == "POST" and r["path"].endswith("/Item.json")
        ]
        made = [i for i in self.world.lightspeed.items() if i["customSku"].startswith("NEW-")]
        assert len(creates) == len(made), [(r["status"], r["query"]) for r in creates]

    def nothing_new(self, run: SyncRun) -> int:
        return counted(run, "linked", "items_created")


class Shops(Scenario):
    job = "shops"

    def prepare(self) -> None:
        account_seed(self.server)
        self.merchant = merchant_connect(self.server, waits=self.world.waits)
        self._shop(4, "Harbor", employees=[6])

    def _shop(self, shop_id: int, name: str, *, employees: list[int]) -> None:
        self.server.seed(
            records={
                "Shop": [
                    {"shopID": shop_id, "name": name, "Registers": {"Register": [{"registerID": shop_id}]}}
                ],
                "Employee": [
                    {"employeeID": n, "firstName": f"Clerk {n}", "lastName": "Demo"} for n in employees
                ],
            }
        )

    def more_work(self) -> None:
        self._shop(5, "Pier", employees=[7, 8])

    def agrees(self) -> None:
        shops_agree(self.merchant, self.world.lightspeed)

    def nothing_new(self, run: SyncRun) -> int:
        return sum(int(v) for k, v in run.counts.items() if k.endswith(("_created", "_updated", "_archived")))


SCENARIOS = {s.job: s for s in (Orders, Upload, Products, Shops)}


def faulted_run(scenario: Scenario, cell: matrix.Cell, count: int | None) -> tuple[SyncRun, float]:
    """Runs the job with the fault armed (now, or once the job reports its first progress)."""
    server = scenario.server
    spec = cell.target.fault(cell.fault, count)
    armed: list[dict] = []

    def arm_after_first(n: int) -> None:
        if not armed:
            armed.append(server.add_fault(**spec))

    if not cell.target.on_progress:
        server.add_fault(**spec)
    started = time.monotonic()
    run = scenario.run(progress=arm_after_first if cell.target.on_progress else None)
    elapsed = time.monotonic() - started
    if cell.fault.spec["kind"] == "delay":
        # The last request the client gave up on lands (late) before anything else happens.
        time.sleep(DELAY - SHORT_TIMEOUT[1] + 0.1)
    if PRODUCTION or os.environ.get("LIGHTSYNC_RELIABILITY_VERBOSE"):
        strikes = "for good" if count is None else f"x{count}"
        print(f"\n{cell} ({strikes}): {run.outcome} in {elapsed:.1f} s, {run.api_statuses}; {run.error}")
    return run, elapsed


# Jobs that keep several requests in flight at once (api/inflight.py): the upload's writes. Their
# faults are armed after the first item, like the others', but which writes they strike then
# depends on which were already in flight; each request's retries are bounded, not the run's.
IN_FLIGHT = {"upload"}


def in_flight(job: str) -> int:
    return max_in_flight() if job in IN_FLIGHT else 1


def ride_out(scenario: Scenario, cell: matrix.Cell) -> None:
    """Phase 1: a few strikes, ridden out."""
    server, fault = scenario.server, cell.fault
    since = last_request_id(server)
    run, elapsed = faulted_run(scenario, cell, fault.ridden)
    hits = fault_hits(server)
    server.clear_faults()
    assert hits == fault.ridden, f"the fault struck {hits} times, armed for {fault.ridden}"
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert run.api_statuses.get(fault.status, 0) >= 1, run.api_statuses  # the run's record shows it
    if fault.name == "401":
        assert token_requests(server, since) == 1  # renewed once, and replayed
    if fault.status == "429" and not PRODUCTION:
        # Each 429 pauses every request of the run for its Retry-After. Where requests are in
        # flight together (the upload's writes, api/inflight.py), the 429s that struck several of
        # them at once share one pause: at least one pause then, one per strike otherwise.
        pauses = 1 if cell.job in IN_FLIGHT else fault.ridden
        waited = float(fault.spec["headers"]["Retry-After"]) * pauses
        assert scenario.world.waits.total >= waited and elapsed < max(waited, scenario.world.waits.total), (
            scenario.world.waits.total,
            elapsed,
        )


def strike_for_good(scenario: Scenario, cell: matrix.Cell) -> SyncRun:
    """Phase 2: armed until disarmed; the run stops (or skips the one thing) and says why."""
    server, fault = scenario.server, cell.fault
    clock_before = clock_offset(server)
    waited_before = scenario.world.waits.total
    since = last_request_id(server)
    run, elapsed = faulted_run(scenario, cell, None)
    hits = fault_hits(server)
    server.clear_faults()
    assert hits >= 1, "the fault never struck: the cell tested nothing"
    assert run.finished_at is not None
    if run.outcome == SyncRun.Outcome.FAILED:
        assert run.error.strip(), "the run failed without saying why"
        if fault.retried:
            bound = (1 + MAX_RETRIES) * in_flight(cell.job)
            assert 2 <= hits <= bound, f"{hits} attempts: retries must be bounded by {MAX_RETRIES} a request"
    else:
        # It carried on past the one thing that failed: an issue names that thing, in words.
        assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.outcome
        issues = issues_since(run)
        assert issues and all(i.message.strip() for i in issues), f"the run said nothing: {run.counts}"
    if fault.name == "401":
        assert token_requests(server, since) == 1  # renewed once; a token still refused never loops
    if fault.status == "429" and not PRODUCTION:
        waited = scenario.world.waits.total - waited_before
        assert waited > 0 and elapsed < waited, (waited, elapsed)
        assert clock_offset(server) - clock_before >= waited - 0.01  # Lightspeed saw the time pass
    return run


@pytest.mark.parametrize("cell", matrix.CELLS, ids=str)
def test_cell(cell: matrix.Cell, world, db, monkeypatch):
    if cell.fault.spec["kind"] == "delay":
        timeout_short(monkeypatch)
    scenario = SCENARIOS[cell.job](world)
    scenario.prepare()
    if cell.fault.ridden:
        ride_out(scenario, cell)
        scenario.more_work()

    strike_for_good(scenario, cell)

    scenario.before_recovery()
    recovered = scenario.run()
    assert recovered.outcome == SyncRun.Outcome.SUCCEEDED, recovered.error
    scenario.agrees()
    again = scenario.run()
    assert again.outcome == SyncRun.Outcome.SUCCEEDED, again.error
    assert scenario.nothing_new(again) == 0, again.counts
    assert not SyncIssue.objects.filter(
        company=scenario.merchant.company, kind=f"{cell.job}_failed", status="open"
    ).exists(), "the job works again, yet its failure issue is still open"
    # Lightspeed refused nothing but what the fault made it refuse (a 409 would be a write sent twice).
    refused = {s for run in scenario.runs for s in run.api_statuses if s.startswith("4")}
    assert refused <= {str(cell.fault.spec.get("status"))}, refused
    ledger_matches_levels(scenario.merchant.company)
    locks_free(scenario.merchant.company.pk)


def test_a_refused_write_that_goes_up_on_the_next_pass_leaves_no_open_issue_behind(world, db):
    """The issues queue lists problems that still exist: once the item a refusal held back has
    gone up, its `upload_rejected` issue is resolved (as a failed create's is once it is created,
    and a failed job's once the job works)."""
    scenario = Upload(world)
    scenario.prepare()
    faulted, _ = faulted_run(scenario, matrix.Cell("upload", matrix.FAULTS_BY_NAME["400 write"]), None)
    world.server.clear_faults()
    refused = SyncIssue.objects.filter(company=scenario.merchant.company, kind=SyncIssue.Kind.UPLOAD_REJECTED)
    # The fault is armed on the first progress report; with PUTs in flight, which of the 4 changed
    # items were already on their way then varies, so 1 to 4 are refused. Each is an open issue.
    rejected = faulted.counts["rejected"]
    assert 1 <= rejected <= 4 and refused.filter(status="open").count() == rejected

    recovered = scenario.run()

    assert recovered.outcome == SyncRun.Outcome.SUCCEEDED and recovered.counts["items_sent"] == rejected
    scenario.agrees()
    assert list(refused.filter(status="open").values_list("message", flat=True)) == []
