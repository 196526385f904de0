"""The freshness benchmark's machinery: the default deployment's processes, the load, the figures.

`bench_freshness.py` runs LightSync as a user runs it — a Celery worker and beat as two processes
(as `Procfile.demo` does; the embedded filesystem broker, or Redis when `REDIS_URL` is set) on the
benchmark's database — against a sandbox server process at the demo account's real limits. This
module starts and stops those processes, makes the load (the POS simulator's sales, stock changes
committed through LightSync's services in this process) and reads what happened back from the
sandbox's request log and LightSync's tables.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

from integrations.commerce.models import Order, StockLedgerEntry, StockLevel
from integrations.commerce.services.stock import stock_adjust
from integrations.lightspeed.models import (
    ApiUsageMinute,
    FreshnessSample,
    LightspeedShopWarehouse,
    ProductLink,
    SyncRun,
)

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class Plan:
    """The load and its phases (seconds); BENCH_FRESHNESS_* shorten them."""

    load: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_SECONDS", 240))
    drain: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_DRAIN_SECONDS", 30))
    idle: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_IDLE_SECONDS", 120))
    sales_per_minute: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_SALES_PER_MINUTE", 6))
    stock_every: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_STOCK_EVERY", 4))
    latency_ms: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_LATENCY_MS", 300))
    jitter_ms: float = field(default_factory=lambda: _env_float("BENCH_FRESHNESS_JITTER_MS", 50))
    assert_targets: bool = field(default_factory=lambda: os.environ.get("BENCH_FRESHNESS_ASSERT", "1") != "0")


# --- the deployment's processes -------------------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(server) -> dict[str, str]:
    """The environment `make demo` gives its processes, on this benchmark's database, broker and cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIGHTSPEED_", "BENCH_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="lightsync.settings.local",
        DEBUG="false",  # no query log growing in a long-running worker
        VAR_DIR=str(settings.VAR_DIR),  # the embedded broker's folders and the file cache we publish to
        DATABASE_URL=database_url(),
        FIELD_ENCRYPTION_KEY=",".join(settings.FIELD_ENCRYPTION_KEY),
        LIGHTSPEED_API_URL=server.api_url,
        LIGHTSPEED_OAUTH_URL=server.oauth_url,
        LIGHTSPEED_CLIENT_ID=server.client_id,
        LIGHTSPEED_CLIENT_SECRET=server.client_secret,
        OAUTHLIB_INSECURE_TRANSPORT="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("CELERY_BROKER_URL", None)
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


class Processes:
    def __init__(self, folder: Path, server) -> None:
        self.folder, self.server = folder, server
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own celery
            argv,
            cwd=BASE_DIR,
            env=process_env(self.server),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so nothing it forks outlives the benchmark
        )
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for(self, name: str, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not log {text!r} in {timeout} s:\n{self.log(name)[-3000:]}")
            time.sleep(0.2)

    def check_alive(self) -> None:
        for name, process in self.started.items():
            if process.poll() is not None:
                raise AssertionError(f"the {name} exited ({process.returncode}):\n{self.log(name)[-3000:]}")

    def stop(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextmanager
def deployment(folder: Path, server) -> Iterator[Processes]:
    """A worker and beat as `Procfile.demo` runs them (solo pool; every queue), stopped on exit."""
    processes = Processes(folder, server)
    celery = [sys.executable, "-m", "celery", "-A", "lightsync"]
    try:
        processes.start(
            "worker",
            [
                *celery,
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--hostname=freshbench-{os.getpid()}@%h",
            ],
        )
        processes.start(
            "beat", [*celery, "beat", "--loglevel=INFO", f"--schedule={folder / 'beat-schedule'}"]
        )
        processes.wait_for("worker", "ready.")
        processes.wait_for("beat", "beat: Starting")
        yield processes
    finally:
        processes.stop()


# --- the load ------------------------------------------------------------------------------------


@dataclass
class StockChange:
    item_id: int
    shop_id: int
    quantity: int  # the shop's quantity in LightSync right after the change
    committed: float  # epoch seconds


class StockChanger:
    """Commits a stock ledger change through LightSync's stock service, as a person or a channel does."""

    def __init__(self, company, seed: int = 13) -> None:
        self.rng = random.Random(seed)
        self.pairs = [
            (link.product, sw.warehouse, sw.shop.shop_id, link.item_id)
            for link in ProductLink.objects.filter(company=company, item_id__isnull=False).select_related(
                "product"
            )
            for sw in LightspeedShopWarehouse.objects.filter(shop__company=company).select_related(
                "warehouse", "shop"
            )
            if sw.warehouse.is_sellable
        ]
        assert self.pairs, "no linked product in a mapped sellable warehouse"

    def change(self) -> StockChange:
        product, warehouse, shop_id, item_id = self.rng.choice(self.pairs)
        level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
        available = level.available if level else 0
        delta = self.rng.choice((2, 3)) if available < 3 else self.rng.choice((-1, 2))
        level = stock_adjust(product=product, warehouse=warehouse, quantity_change=delta, reason="adjustment")
        committed = time.time()  # autocommit: the change and its ledger row are committed now
        return StockChange(item_id, shop_id, max(level.on_hand - level.reserved, 0), committed)


# --- the figures ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def summary(values: list[float]) -> str:
    if not values:
        return "n = 0"
    return (
        f"p50 {percentile(values, 50):.1f} s, p95 {percentile(values, 95):.1f} s, "
        f"max {max(values):.1f} s, n = {len(values)}"
    )


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def account_limits(server) -> tuple[float, float]:
    """The account's drip rate and bucket size, as Lightspeed's headers state them (one request)."""
    token = server.mint_tokens(scope="employee:all")["access_token"]
    response = requests.get(
        f"{server.api_url}/API/V3/Account.json", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    response.raise_for_status()
    headers = {k.lower(): v for k, v in response.headers.items()}
    return float(headers["x-ls-api-drip-rate"]), float(headers["x-ls-api-bucket-level"].split("/")[1])


def completed_sales(server, since: float) -> list[dict]:
    """Completed sales (not refunds) completed at or after `since`, read from Lightspeed after the run."""
    token = server.mint_tokens(scope="employee:all")["access_token"]
    url = f"{server.api_url}/API/V3/Account/{server.account_id}/Sale.json"
    start = datetime.fromtimestamp(int(since), tz=UTC).isoformat()
    params = {"completed": "true", "completeTime": f">=,{start}", "sort": "saleID", "limit": 100}
    sales: list[dict] = []
    while url:
        response = requests.get(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        body = response.json()
        found = body.get("Sale") or []
        sales.extend(found if isinstance(found, list) else [found])
        url, params = body["@attributes"]["next"], None
    return [s for s in sales if s.get("voided") != "true" and float(s.get("calcTotal") or 0) >= 0]


@dataclass
class SaleFigures:
    delays: list[float]
    missing: list[str]


def sale_to_order(company, sales: list[dict]) -> SaleFigures:
    """From each sale's completion in Lightspeed (whole seconds: up to 1 s too long) to its order
    existing here with its stock moved (the later of the order's and its ledger rows' commits)."""
    orders = {
        o.channel_order_id: o
        for o in Order.objects.filter(company=company, channel_order_id__in=[s["saleID"] for s in sales])
    }
    delays, missing = [], []
    for sale in sales:
        order = orders.get(sale["saleID"])
        if order is None:
            missing.append(sale["saleID"])
            continue
        moved = StockLedgerEntry.objects.filter(order=order).order_by("-created_at").first()
        done = max(order.created_at, moved.created_at) if moved else order.created_at
        delays.append(done.timestamp() - _epoch(sale["completeTime"]))
    return SaleFigures(delays, missing)


def _put_quantities(row: dict) -> dict[int, int]:
    try:
        shops = json.loads(row["body"] or "{}").get("ItemShops", {}).get("ItemShop", [])
    except ValueError:
        return {}
    shops = shops if isinstance(shops, list) else [shops]
    return {int(s["shopID"]): int(s["qoh"]) for s in shops if "shopID" in s and "qoh" in s}


@dataclass
class StockFigures:
    delays: list[float]
    unmatched: int  # no 200 carried the quantity (a sale moved it again before it went up)
    never: int  # no 200 for the item and shop at all


def stock_to_lightspeed(changes: list[StockChange], log: list[dict]) -> StockFigures:
    """From each change's commit to Lightspeed's 200 for the item's PUT carrying that shop's new
    quantity (the answer leaves the sandbox `latencyMs` after the request arrived).

    The PUT is the first after the commit that carries the shop with exactly the change's quantity,
    looked for among the first two carrying the shop (the first may have read the stock just
    before the commit); failing that, the first carrying the shop at all (a sale had moved the
    quantity again: counted as unmatched). A later PUT that happens to carry the same number again
    is not the change arriving."""
    puts: dict[int, list[dict]] = {}
    for row in log:
        if row["method"] == "PUT" and row["status"] == 200 and "/Item/" in row["path"]:
            item_id = int(row["path"].rsplit("/", 1)[1].split(".")[0])
            puts.setdefault(item_id, []).append(row)
    delays, unmatched, never = [], 0, 0
    for change in changes:
        after = [r for r in puts.get(change.item_id, []) if r["time"] >= change.committed]
        carrying = [r for r in after if change.shop_id in _put_quantities(r)]
        exact = [r for r in carrying[:2] if _put_quantities(r)[change.shop_id] == change.quantity]
        chosen = exact[0] if exact else (carrying[0] if carrying else None)
        if chosen is None:
            never += 1
            continue
        unmatched += not exact
        delays.append(chosen["time"] + chosen["latencyMs"] / 1000 - change.committed)
    return StockFigures(delays, unmatched, never)


def is_probe(row: dict) -> bool:
    return (
        row["method"] == "GET" and row["path"].endswith("/Sale.json") and "sort=-updatetime" in row["query"]
    )


@dataclass
class Budget:
    seconds: float
    poll_drips: float
    work_drips: float
    probes: int
    requests: int
    rate_limited: int

    def share(self, drips: float, drip_rate: float) -> float:
        return drips / (drip_rate * self.seconds) if self.seconds else math.nan


def budget(log: list[dict], start: float, end: float) -> Budget:
    rows = [r for r in log if start <= r["time"] < end and r["path"].startswith("/API/")]
    probes = [r for r in rows if is_probe(r)]
    return Budget(
        seconds=end - start,
        poll_drips=sum(r["cost"] for r in probes),
        work_drips=sum(r["cost"] for r in rows if not is_probe(r)),
        probes=len(probes),
        requests=len(rows),
        rate_limited=sum(r["status"] == 429 for r in rows),
    )


def usage_minutes(company, start: float, end: float) -> tuple[float, float, int, float | None]:
    """LightSync's own accounting (ApiUsageMinute) over the whole minutes inside [start, end):
    (poll drips, work drips, minutes, drip rate)."""
    first = math.ceil(start / 60) * 60
    last = math.floor(end / 60) * 60
    if last <= first:
        return 0.0, 0.0, 0, None
    rows = ApiUsageMinute.objects.filter(
        company=company,
        minute__gte=datetime.fromtimestamp(first, tz=UTC),
        minute__lt=datetime.fromtimestamp(last, tz=UTC),
    )
    rates = [r.drip_rate for r in rows if r.drip_rate]
    return (
        sum(r.poll_drips for r in rows),
        sum(r.work_drips for r in rows),
        int((last - first) // 60),
        max(rates) if rates else None,
    )


def own_samples(company, direction: str, start: float, end: float) -> list[float]:
    """LightSync's own freshness samples (what the dashboard shows), for the cross-check."""
    return list(
        FreshnessSample.objects.filter(
            company=company,
            direction=direction,
            occurred_at__gte=datetime.fromtimestamp(start, tz=UTC),
            occurred_at__lt=datetime.fromtimestamp(end, tz=UTC),
        ).values_list("seconds", flat=True)
    )


def upload_start_lateness(company, changes: list[StockChange], debounce: float) -> list[float]:
    """How late each upload of what changed started after the countdown the first change of its
    burst set (commit + debounce): the broker's delay for a countdown task."""
    runs = list(
        SyncRun.objects.filter(company=company, job="upload")
        .order_by("started_at")
        .values_list("started_at", flat=True)
    )
    late, previous = [], 0.0
    for started in runs:
        at = started.timestamp()
        burst = [c.committed for c in changes if previous < c.committed <= at]
        if burst:
            late.append(at - (min(burst) + debounce))
        previous = at
    return late
