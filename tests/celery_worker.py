"""Runs real Celery processes on the embedded default (SQLite + the filesystem broker) in a
folder of their own, for the broker test and the broker benchmark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache

from integrations.core.tasks import ping_cache_key

BASE_DIR = Path(__file__).resolve().parent.parent


def embedded_env(var_dir: Path) -> dict[str, str]:
    """The environment of a process on the embedded default, kept inside var_dir."""
    env = dict(os.environ)
    # CI exports Redis and Postgres for the suite; these processes must use the embedded default.
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="lightsync.settings.test",
        VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'lightsync.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    return env


def send_pings(var_dir: Path, tokens: list[str]) -> None:
    """Sends core.ping from a separate process, the way the web server or a command would."""
    code = f"from integrations.core.tasks import core_ping\nfor t in {tokens!r}:\n    core_ping.delay(t)\n"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=embedded_env(var_dir),
        check=True,
        timeout=60,
        capture_output=True,
    )


SEND_TO_EVERY_QUEUE = """
import json
from django.conf import settings
from integrations.core.tasks import core_ping
from lightsync.celery import routed_queue_names

sent = {"celery": "%(token)s-celery"}
core_ping.delay(sent["celery"])
for queue in routed_queue_names(settings.CELERY_TASK_ROUTES):
    sent[queue] = "%(token)s-" + queue
    core_ping.apply_async(args=[sent[queue]], queue=queue)
print(json.dumps(sent))
"""


def send_ping_to_every_queue(var_dir: Path, token: str) -> dict[str, str]:
    """One core.ping on the default queue and one on each queue CELERY_TASK_ROUTES names, sent
    from a separate process; returns the token sent to each queue."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEND_TO_EVERY_QUEUE % {"token": token}],
        cwd=BASE_DIR,
        env=embedded_env(var_dir),
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def queued_messages(var_dir: Path) -> list[str]:
    return sorted(p.name for p in (var_dir / "broker" / "queue").glob("*.msg"))


def ping_answer(var_dir: Path, token: str) -> str | None:
    return FileBasedCache(str(var_dir / "cache"), {}).get(ping_cache_key(token))


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_ping(self, var_dir: Path, token: str, *, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = ping_answer(var_dir, token)
            if answer is not None:
                return answer
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"no answer to ping {token} within {timeout}s; worker log:\n{self.log()}")


@contextmanager
def running_worker(var_dir: Path) -> Iterator[Worker]:
    """A `celery worker --pool=solo` on the embedded default; always stopped on exit."""
    log_path = var_dir / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lightsync",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--hostname=test-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=embedded_env(var_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so nothing it forks outlives the test
        )
        try:
            yield Worker(process, log_path)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
