"""The fleet benchmark's machinery: companies connected to sandbox fleet accounts, Celery workers
and beat as real processes on PostgreSQL + Redis, their counters and CPU time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psutil
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from benchmarks.fleet_counters import read_all
from integrations.commerce.models import Company, Product, Warehouse
from integrations.commerce.services.stock import stock_set_many
from integrations.lightspeed.models import (
    ConnectionStatus,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncRun,
)

BASE_DIR = Path(__file__).resolve().parent.parent
SHORT_QUEUES = "lightspeed.live,lightspeed.changes,lightspeed.tokens,celery"
LONG_QUEUES = "lightspeed.orders,lightspeed.upload,lightspeed.products,lightspeed.reconcile,lightspeed.shops"
ALL_QUEUES = f"{SHORT_QUEUES},{LONG_QUEUES}"
CORES = psutil.cpu_count()


def on_postgres_and_redis() -> str | None:
    """Why the fleet benchmark cannot run here, or None when it can."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "the fleet benchmark needs PostgreSQL: set DATABASE_URL=postgres://… (and REDIS_URL=redis://…)"
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        return "the fleet benchmark needs Redis: set REDIS_URL=redis://… (and DATABASE_URL=postgres://…)"
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children."""
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return t.user + t.system + t.children_user + t.children_system


def services_cpu_seconds(*names: str) -> dict[str, float]:
    """CPU time of every process called one of `names` and their waited-for children, in one pass
    over the processes: PostgreSQL's server and its backends (`postgres`; a backend that exits
    lands in its parent's children), Redis (`redis-server`). Zero where none runs here."""
    total = dict.fromkeys(names, 0.0)
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in total:
            try:
                t = process.cpu_times()
            except psutil.Error:
                continue
            total[process.info["name"]] += t.user + t.system + t.children_user + t.children_system
    return total


@dataclass(frozen=True)
class Cpu:
    """CPU seconds by whom: our workers, the sandbox, PostgreSQL, Redis, and the whole machine
    (everything busy on any core, the benchmark's own process and other runs included)."""

    workers: float
    sandbox: float
    postgres: float
    redis: float
    machine: float

    @classmethod
    def read(cls, workers: float, sandbox_pid: int) -> Cpu:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + t.irq + t.softirq + t.steal
        services = services_cpu_seconds("postgres", "redis-server")
        return cls(workers, cpu_seconds(sandbox_pid), services["postgres"], services["redis-server"], busy)

    def per_second(self, since: Cpu, seconds: float) -> Cpu:
        """Cores used on average between `since` and this reading."""
        return Cpu(*((getattr(self, f.name) - getattr(since, f.name)) / seconds for f in fields(Cpu)))

    def summary(self) -> str:
        return (
            f"CPU in cores: workers {self.workers:.2f}, sandbox {self.sandbox:.2f}, PostgreSQL {self.postgres:.2f}, "
            f"Redis {self.redis:.2f}; machine {self.machine:.2f} of {CORES}"
        )


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def queued_tasks() -> int:
    """Tasks waiting in every queue (Redis lists), not counting those a worker holds."""
    client = redis_client()
    return sum(client.llen(name) for name in (ALL_QUEUES.split(",")))


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(server, var_dir: Path, counters_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="lightsync.settings.test",
        DATABASE_URL=database_url(),
        VAR_DIR=str(var_dir),
        FLEET_COUNTERS_DIR=str(counters_dir),
        LIGHTSPEED_OAUTH_URL=server.base_url,
        LIGHTSPEED_API_URL=server.base_url,
        LIGHTSPEED_CLIENT_ID=server.client_id,
        LIGHTSPEED_CLIENT_SECRET=server.client_secret,
        OAUTHLIB_INSECURE_TRANSPORT="1",
        LIGHTSYNC_LEASE_KEEPER="true",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Processes:
    """Workers and beat started for a phase of the benchmark; stopped together."""

    env: dict[str, str]
    var_dir: Path
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.var_dir / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(  # noqa: S603 - our own celery, fixed arguments
            [sys.executable, "-m", "celery", "-A", "benchmarks.fleet_app", *argv],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker(self, name: str, queues: str, *, concurrency: int = 1, pool: str = "threads") -> None:
        self._start(
            name,
            [
                "worker",
                "-Q",
                queues,
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
                f"--hostname={name}-{os.getpid()}@%h",
            ],
        )

    def beat(self) -> None:
        self._start("beat", ["beat", "--loglevel=WARNING", "-s", str(self.var_dir / "celerybeat-schedule")])

    def wait_ready(self, prefix: str, count: int, timeout: float = 180) -> float:
        """Until `count` workers named `prefix…` answer a ping (started and consuming): a slow
        start-up on a loaded machine is then outside the figure. Returns the seconds waited."""
        from lightsync.celery import app

        started = time.monotonic()
        while True:
            self.check()
            replies = app.control.ping(timeout=1.0)
            ready = [name for reply in replies for name in reply if name.startswith(prefix)]
            if len(ready) >= count:
                return time.monotonic() - started
            assert time.monotonic() - started < timeout, f"{len(ready)} of {count} {prefix} workers ready"

    def cpu(self, prefix: str = "") -> float:
        return sum(cpu_seconds(p.pid) for n, p in self.running.items() if n.startswith(prefix))

    def check(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                log = (self.var_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"{name} exited ({process.returncode}):\n{log}")

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()


def connect_fleet(server, accounts: list[dict], *, items: int, qoh: int, history_days: int = 1) -> list[int]:
    """A company per fleet account, as after Fetch Token and the settings pages: its shops mapped to
    a warehouse each, its products (one per sandbox item, same SKU, the same stock) enabled as the
    products job links them, order download and the inventory upload on. Returns the company ids."""
    now = timezone.now()
    company_ids = []
    for account in accounts:
        account_id = account["accountID"]
        company = Company.objects.create(name=f"Fleet Merchant {account_id}")
        company_ids.append(company.pk)
        warehouses = []
        for position, shop_id in enumerate(account["shopIDs"]):
            warehouse = Warehouse.objects.create(
                company=company, name=f"Shop {shop_id}", code=f"S{shop_id}", is_default=position == 0
            )
            warehouses.append(warehouse)
            shop = LightspeedShop.objects.create(
                company=company, shop_id=shop_id, name=f"Shop {position + 1}"
            )
            LightspeedShopWarehouse.objects.create(shop=shop, warehouse=warehouse, position=0)
        products = Product.objects.bulk_create(
            Product(
                company=company,
                sku=f"F{account_id}-{i:05d}",
                title=f"Fleet item {i}",
                site_price=Decimal("19.99"),
                site_cost=Decimal("8.00"),
            )
            for i in range(1, items + 1)
        )
        stock_set_many(counts=[(p, w, qoh) for p in products for w in warehouses])
        LightspeedSettings.objects.filter(company=company).update(
            enabled=True,
            account_id=str(account_id),
            client_id=account["clientID"],
            auth_token=account["access_token"],
            refresh_token=account["refresh_token"],
            token_received_at=now,
            token_expires_at=now + timedelta(seconds=int(account.get("expires_in", 3600))),
            connection_status=ConnectionStatus.CONNECTED,
            shops_mapping_enabled=True,
            order_download_enabled=True,
            order_download_start=now - timedelta(days=history_days),
            inventory_upload_enabled=True,
            auto_enable_new_products=True,
        )
        settings_obj = LightspeedSettings.objects.get(company=company)
        settings_obj.client_secret = account["clientSecret"]
        settings_obj.save(update_fields=["client_secret"])
    return company_ids


def wait_until_quiet(processes: Processes, *, timeout: float, quiet_for: float = 15) -> float:
    """Waits until no task is queued and no run is running for `quiet_for` seconds; returns the
    seconds waited."""
    started = time.monotonic()
    quiet_since = None
    while time.monotonic() - started < timeout:
        processes.check()
        busy = queued_tasks() > 0 or SyncRun.objects.filter(finished_at__isnull=True).exists()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_for:
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"the fleet did not settle within {timeout:.0f} s ({queued_tasks()} tasks queued)")


@dataclass
class Window:
    """Counters, CPU (cores used on average) and wall time between two readings."""

    counts: Counter
    cpu: Cpu
    seconds: float


def measure(processes: Processes, counters_dir: Path, sandbox_pid: int, seconds: float) -> Window:
    time.sleep(1.5)  # every process has written its counters since the last phase
    before, cpu0, t0 = read_all(counters_dir), Cpu.read(processes.cpu(), sandbox_pid), time.monotonic()
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        processes.check()
        time.sleep(min(5, max(0, deadline - time.monotonic())))
    cpu = Cpu.read(processes.cpu(), sandbox_pid)
    elapsed = time.monotonic() - t0
    time.sleep(1.5)
    after = read_all(counters_dir)
    after.subtract(before)
    return Window(after, cpu.per_second(cpu0, elapsed), elapsed)


def database_name() -> str:
    return settings.DATABASES["default"]["NAME"]


# The bar for scaling: each doubling of worker processes gives at least 1.7x, until the
# CPU saturates — 80 % of the machine's cores (workers, sandbox, PostgreSQL and Redis share them),
# or 80 % of one core for the sandbox (one process).
DOUBLING = 1.7
SATURATED = 0.8


def saturation(cpu: Cpu) -> tuple[float, float]:
    """How near the machine and the sandbox are to saturation (1.0 = at the line)."""
    return cpu.machine / (SATURATED * CORES), cpu.sandbox / SATURATED


def scaling_verdict(what: str, rounds: dict[int, tuple[float, Cpu]]) -> tuple[list[str], list[str]]:
    """`rounds`: worker processes → (rate, cores used). Returns the lines to print and the doublings
    that fell short of 1.7x before anything saturated."""
    lines, short = [], []
    sizes = sorted(rounds)
    for before, after in zip(sizes, sizes[1:], strict=False):
        ratio = rounds[after][0] / rounds[before][0]
        saturated = any(max(saturation(rounds[n][1])) >= 1 for n in (before, after))
        verdict = "ok" if ratio >= DOUBLING else ("CPU saturated" if saturated else "SHORT of 1.7x")
        lines.append(f"{what}: {before} -> {after} processes {ratio:.2f}x ({verdict})")
        if ratio < DOUBLING and not saturated:
            short.append(lines[-1])
    machine, sandbox = saturation(rounds[sizes[-1]][1])
    first = "the sandbox" if sandbox > machine else "the machine"
    lines.append(
        f"{what}: at {sizes[-1]} processes the machine is at {machine * 100:.0f} % of its saturation "
        f"(80 % of {CORES} cores), the sandbox at {sandbox * 100:.0f} % of its (80 % of a core): "
        f"{first} saturates first"
    )
    return lines, short
