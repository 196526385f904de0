"""The embedded broker: how long a task waits between publish and a worker running it, and how
many tasks a single solo worker gets through over the filesystem transport."""

import statistics
import time
import uuid

from celery import Celery

from tests.celery_worker import ping_answer, running_worker

LATENCY_SAMPLES = 10
BURST = 200


def _sender(var_dir) -> Celery:
    # A publishing client configured like the web process, without paying Django start-up per send.
    broker = var_dir / "broker"
    return Celery(
        "bench-sender",
        broker="filesystem://",
        broker_transport_options={
            "data_folder_in": str(broker / "queue"),
            "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"),
            "control_folder": str(broker / "control"),
        },
        set_as_current=False,
    )


def _wait(var_dir, tokens, worker, timeout):
    pending = set(tokens)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = {t for t in pending if ping_answer(var_dir, t) is None}
        if worker.process.poll() is not None:
            raise AssertionError(f"worker exited:\n{worker.log()}")
        if pending:
            time.sleep(0.01)
    assert not pending, f"{len(pending)} of {len(tokens)} tasks never ran; worker log:\n{worker.log()}"


def bench_embedded_broker_latency_and_throughput(tmp_path):
    for folder in ("queue", "processed", "control"):
        (tmp_path / "broker" / folder).mkdir(parents=True)
    sender = _sender(tmp_path)

    started = time.monotonic()
    with running_worker(tmp_path) as worker:
        warm = uuid.uuid4().hex
        sender.send_task("core.ping", args=[warm])
        _wait(tmp_path, [warm], worker, timeout=120)
        startup = time.monotonic() - started

        latencies = []
        for _ in range(LATENCY_SAMPLES):
            token = uuid.uuid4().hex
            sent = time.monotonic()
            sender.send_task("core.ping", args=[token])
            _wait(tmp_path, [token], worker, timeout=30)
            latencies.append(time.monotonic() - sent)

        tokens = [uuid.uuid4().hex for _ in range(BURST)]
        sent = time.monotonic()
        for token in tokens:
            sender.send_task("core.ping", args=[token])
        published = time.monotonic() - sent
        _wait(tmp_path, tokens, worker, timeout=300)
        drained = time.monotonic() - sent

    print()
    print(f"embedded broker: worker launch to first task done: {startup:.2f} s")
    print(
        f"embedded broker: one task, publish to done: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms over {LATENCY_SAMPLES}"
    )
    print(f"embedded broker: publish rate: {BURST / published:.0f} tasks/s")
    print(
        f"embedded broker: {BURST} tasks through one solo worker: {drained:.2f} s ({BURST / drained:.0f} tasks/s)"
    )
