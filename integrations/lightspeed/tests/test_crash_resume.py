"""Crash: a worker or the sync command SIGKILLed mid-run is resumed by the sweep, exactly once.

Real processes over real HTTP: Celery workers (solo pool, the survivor with the embedded beat),
`manage.py lightspeed_sync`, and the sandbox. Leases last a few seconds here and the sweep runs
every second, so each check is "resumed within lease + sweep + slack", never a wall-clock figure:
`make reliability` measures the same at production settings (30 s leases, 15 s sweep).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from integrations.commerce.models import Order
from integrations.commerce.services.stock import stock_adjust
from integrations.core.locks import company_job_lock_name, lock_is_held
from integrations.lightspeed.models import LightspeedSettings, SyncRun
from integrations.lightspeed.tests.pos import Pos, connect_demo
from integrations.lightspeed.tests.test_catalog_e2e import (
    SHOPS,
    Register,
    catalogue,
    connect,
    last_log_id,
    run,
    seed_items,
    writes,
)
from integrations.lightspeed.tests.test_orders_e2e import assert_exactly_once, expected, ring_up_many

from .catalog_support import product, stock, uploads_not_queued, warehouse  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[3]
# `make reliability` (LIGHTSYNC_RELIABILITY=production) runs this suite at production settings:
# 30 s leases and a sweep every 15 s, so a killed worker's company runs again within 60 s.
PRODUCTION = os.environ.get("LIGHTSYNC_RELIABILITY") == "production"
LEASE = 30.0 if PRODUCTION else 3.0  # seconds, in the processes below
SWEEP = 15.0 if PRODUCTION else 1.0  # seconds between resume sweeps
SLACK = 15.0 if PRODUCTION else 12.0  # a task's pickup and a process's scheduling, two loaded cores
BROKER_DB = 11  # the Redis database of these processes' broker and leases (CI), nobody else's


@pytest.fixture
def processes(tmp_path, settings):
    """Starts LightSync processes on the test database; kills whatever is left at the end."""
    started: list[subprocess.Popen] = []
    if settings.REDIS_URL:
        import redis

        url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}"
        redis.Redis.from_url(url).flushdb()
        settings.REDIS_URL = url  # this test's lease checks look where the processes keep them

    def env(server) -> dict[str, str]:
        values = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lightsync.settings.test",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": _database_url(),
            "LIGHTSPEED_API_URL": server.api_url,
            "LIGHTSPEED_OAUTH_URL": server.oauth_url,
            "LIGHTSPEED_CLIENT_ID": server.client_id,
            "LIGHTSPEED_CLIENT_SECRET": server.client_secret,
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
            "LIGHTSYNC_LEASE_SECONDS": str(LEASE),
            "LIGHTSYNC_LEASE_KEEPER": "true",
            "LIGHTSPEED_RESUME_EVERY_SECONDS": str(SWEEP),
            "LIGHTSPEED_ORDERS_EVERY_SECONDS": "3600",  # only the sweep queues work here
            "PYTHONUNBUFFERED": "1",
        }
        values.pop("CELERY_BROKER_URL", None)
        if settings.REDIS_URL:
            values["REDIS_URL"] = settings.REDIS_URL
        else:
            values.pop("REDIS_URL", None)
        return values

    def start(server, argv: list[str], name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own manage.py / celery
            argv, cwd=BASE_DIR, env=env(server), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.name = name
        started.append(process)
        return process

    def worker(server, name: str, *, beat: bool) -> subprocess.Popen:
        argv = [sys.executable, "-m", "celery", "-A", "lightsync", "worker", "--pool=solo"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
        argv += [f"--hostname={name}-{os.getpid()}@%h"]
        if beat:
            argv += ["-B", f"--schedule={tmp_path / 'beat-schedule'}"]
        process = start(server, argv, name)
        _wait_for(lambda: "ready." in _log(tmp_path, name), 90, f"{name} to start", tmp_path, name)
        return process

    def command(server, *args: str) -> subprocess.Popen:
        return start(server, [sys.executable, "manage.py", *args], "command")

    def send(server, task: str, company_id: int) -> None:
        code = f"from celery import current_app\ncurrent_app.send_task({task!r}, args=[{company_id}])\n"
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=BASE_DIR,
            env=env(server),
            check=True,
            timeout=60,
            capture_output=True,
        )

    yield type("Processes", (), {"worker": worker, "command": command, "send": send, "log": tmp_path})
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _log(folder: Path, name: str) -> str:
    path = folder / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _wait_for(condition, timeout: float, what: str, folder: Path | None = None, name: str = "") -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    detail = _log(folder, name)[-3000:] if folder is not None else ""
    raise AssertionError(f"waited {timeout} s for {what}\n{detail}")


def _kill(process: subprocess.Popen) -> float:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)
    return time.monotonic()


def _resumed(company_id: int, job: str):
    return SyncRun.objects.filter(company_id=company_id, job=job, trigger=SyncRun.Trigger.RESUME).first()


def _assert_interrupted_then_resumed(company_id: int, job: str, killed_at: float, folder: Path) -> float:
    """The killed run is recorded as interrupted, and a resumed run succeeds; returns the seconds
    from the kill to the resumed run's start, checked against lease + sweep + slack."""
    bound = LEASE + SWEEP + SLACK
    _wait_for(
        lambda: _resumed(company_id, job) is not None, bound, f"the {job} job to resume", folder, "survivor"
    )
    resumed_after = time.monotonic() - killed_at
    _wait_for(
        lambda: _resumed(company_id, job).outcome != SyncRun.Outcome.RUNNING,
        120,
        f"the resumed {job} run to finish",
        folder,
        "survivor",
    )
    killed = SyncRun.objects.get(company_id=company_id, job=job, outcome=SyncRun.Outcome.INTERRUPTED)
    assert "the worker running it stopped" in killed.error and "Queued again" in killed.error
    resumed = _resumed(company_id, job)
    assert resumed.outcome == SyncRun.Outcome.SUCCEEDED, resumed.error
    # Released as the run's block ends, a moment after its outcome is saved.
    _wait_for(
        lambda: not lock_is_held(company_job_lock_name(company_id, job)), LEASE, "the lease to be freed"
    )
    print(f"\n{job}: resumed {resumed_after:.1f} s after the kill (lease {LEASE:g} s, sweep {SWEEP:g} s)")
    assert resumed_after <= bound
    return resumed_after


@pytest.fixture
def orders_sandbox(sandbox_server_factory, point_at):
    return point_at(sandbox_server_factory(seed="demo", drip_rate=1000, bucket_size=100000))


def _hold_the_second_page(server) -> None:
    """The second page of sales answers only after a minute: the run is mid-import when killed."""
    server.add_fault(method="GET", path="/Sale.json", kind="delay", delay=60, count=1, query="after=")


def test_a_worker_killed_mid_import_is_resumed_by_the_sweep_and_every_sale_imports_once(
    orders_sandbox, processes
):
    server = orders_sandbox
    company = connect_demo(server)
    ring_up_many(Pos(server), 110)
    LightspeedSettings.objects.filter(company=company).update(enabled=True, order_download_enabled=True)
    _hold_the_second_page(server)

    victim = processes.worker(server, "victim", beat=False)
    processes.send(server, "lightspeed.download_orders", company.pk)
    _wait_for(
        lambda: Order.objects.filter(company=company).exists(), 90, "the first page", processes.log, "victim"
    )
    processes.worker(server, "survivor", beat=True)
    killed_at = _kill(victim)
    partial = Order.objects.filter(company=company).count()
    assert 0 < partial < expected(Pos(server))["orders"], "killed mid-import"

    _assert_interrupted_then_resumed(company.pk, "orders", killed_at, processes.log)
    assert_exactly_once(company, Pos(server))


def test_the_sync_command_killed_mid_import_is_resumed_by_a_worker_and_every_sale_imports_once(
    orders_sandbox, processes
):
    server = orders_sandbox
    company = connect_demo(server)
    ring_up_many(Pos(server), 110)
    LightspeedSettings.objects.filter(company=company).update(enabled=True, order_download_enabled=True)
    _hold_the_second_page(server)
    processes.worker(server, "survivor", beat=True)

    command = processes.command(server, "lightspeed_sync", "orders", "--company", str(company.pk))
    _wait_for(
        lambda: Order.objects.filter(company=company).exists(), 90, "the first page", processes.log, "command"
    )
    killed_at = _kill(command)

    _assert_interrupted_then_resumed(company.pk, "orders", killed_at, processes.log)
    assert_exactly_once(company, Pos(server))


def _quantities(pos: Register) -> dict[int, dict[int, int]]:
    """Every item's quantity per shop, in one request (one per item would meet the burst limit)."""
    body = pos.call("GET", "Item", params={"load_relations": '["ItemShops"]', "sort": "itemID"})
    items = body.get("Item") or []
    quantities = {}
    for item in items if isinstance(items, list) else [items]:
        rows = item["ItemShops"]["ItemShop"]
        rows = rows if isinstance(rows, list) else [rows]
        quantities[int(item["itemID"])] = {
            int(r["shopID"]): int(r["qoh"]) for r in rows if r["shopID"] != "0"
        }
    return quantities


@pytest.fixture
def catalog_sandbox(sandbox, settings, point_at):
    server = point_at(sandbox)
    server.seed(
        records={
            "Shop": [
                {"shopID": 2, "name": "Uptown", "Registers": {"Register": [{"name": "Front"}]}},
                {"shopID": 3, "name": "Outlet", "Registers": {"Register": [{"name": "Tent"}]}},
            ]
        }
    )
    return server


def test_a_worker_killed_mid_upload_is_resumed_and_every_item_ends_right_without_a_second_write(
    catalog_sandbox, processes
):
    server = catalog_sandbox
    settings_obj = connect(server)
    seed_items(server, 30)
    products = catalogue(settings_obj, 30)
    run(settings_obj.company_id, "products")
    for n, item in enumerate(products):
        stock_adjust(
            product=item, warehouse=settings_obj.warehouses[1], quantity_change=n + 1, reason="adjustment"
        )
    before = last_log_id(server)
    # Every write takes a moment: the upload is mid-way when the worker is killed.
    server.add_fault(method="PUT", path="/Item/", kind="delay", delay=0.4)

    victim = processes.worker(server, "victim", beat=False)
    processes.send(server, "lightspeed.upload", settings_obj.company_id)
    _wait_for(lambda: len(writes(server, before)) >= 8, 90, "eight writes", processes.log, "victim")
    processes.worker(server, "survivor", beat=True)
    killed_at = _kill(victim)
    done_before_kill = len(writes(server, before))
    assert done_before_kill < len(products), "killed mid-upload"
    server.clear_faults()

    _assert_interrupted_then_resumed(settings_obj.company_id, "upload", killed_at, processes.log)
    quantities = _quantities(Register(server))
    for n, item in enumerate(products):
        assert quantities[500 + n] == {s: 5 + (n + 1 if s == 1 else 0) for s in SHOPS}, item.sku
    per_item = Counter(r["path"] for r in writes(server, before) if r["status"] == 200)
    twice = {path: count for path, count in per_item.items() if count > 1}
    # The one write in flight at the kill may have landed after its answer was lost; it is the
    # only one that may go again (the same absolute quantity), never another.
    assert len(twice) <= 1 and all(count == 2 for count in twice.values()), twice
    assert len(per_item) == len(products)
