"""What a worker or beat process of the fleet benchmark spends: tasks run, SQL statements, Redis
round trips and HTTP requests, counted inside the process and written every second to
`$FLEET_COUNTERS_DIR/<pid>.json` (a file, so counting costs neither a query nor a Redis command).

Installed by `benchmarks.fleet_app` before Celery starts; the benchmark reads the files at the
start and end of a window and subtracts.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

_counts: Counter = Counter()
_lock = threading.Lock()


def bump(name: str, by: int = 1) -> None:
    with _lock:
        _counts[name] += by


def _wrap(cls: type, method: str, name: str) -> None:
    original = getattr(cls, method)

    def counted(self, *args, **kwargs):
        bump(name)
        return original(self, *args, **kwargs)

    setattr(cls, method, counted)


def _flush(path: Path) -> None:
    with _lock:
        data = dict(_counts)
    data["cpu_seconds"] = sum(os.times()[:2])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def install() -> None:
    folder = os.environ.get("FLEET_COUNTERS_DIR")
    if not folder:
        return
    import redis.connection
    import requests
    from django.db.backends import utils

    _wrap(utils.CursorWrapper, "execute", "queries")
    _wrap(utils.CursorWrapper, "executemany", "queries")
    _wrap(redis.connection.AbstractConnection, "send_packed_command", "redis")
    _wrap(requests.Session, "send", "http")

    from celery.signals import task_postrun

    @task_postrun.connect(weak=False)
    def _task_done(sender=None, **kwargs) -> None:
        bump("tasks")
        bump(f"task:{getattr(sender, 'name', sender)}")

    path = Path(folder) / f"{os.getpid()}.json"

    def keep_writing() -> None:
        while True:
            time.sleep(1)
            _flush(path)

    threading.Thread(target=keep_writing, daemon=True, name="fleet-counters").start()
    atexit.register(_flush, path)


def read_all(folder: Path) -> Counter:
    """The sum of every process's counters now."""
    total: Counter = Counter()
    for path in folder.glob("*.json"):
        try:
            total.update(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # being replaced this instant: the next read has it
    return total
