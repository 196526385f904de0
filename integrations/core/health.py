"""Health checks for /healthz and the Prometheus registry behind /metrics.

/healthz answers a load balancer or an orchestrator: the database (the web process cannot
serve without it), the broker (tasks cannot be queued without it) and the age of the last beat
tick (nothing runs on schedule without beat; `core.beat_tick` records one every minute). Only a
failing database makes the answer a 503, so a dead beat does not take the web servers out of a
load balancer; `?strict=1` makes any failing check a 503, for monitors that page someone.

/metrics: apps add collectors with `metrics_collector_register` (the Lightspeed app adds one that
reads its counters from the database, so numbers raised by workers reach every web process).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

BEAT = "beat"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    critical: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def database_check() -> Check:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        # /healthz answers anyone: the error's text (host, database user) goes to the log only.
        logger.exception("health check: the database did not answer")
        return Check("database", False, f"the database did not answer ({type(exc).__name__})", critical=True)
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    return Check("database", True, f"{connection.vendor} answered", critical=True, data={"ms": elapsed_ms})


def broker_check(
    url: str | None = None, transport_options: dict | None = None, *, timeout: float = 3.0
) -> Check:
    """Whether the Celery broker takes messages: a connection for Redis/AMQP, the folders for
    the embedded filesystem transport (which has no server to connect to)."""
    url = url if url is not None else settings.CELERY_BROKER_URL
    options = transport_options if transport_options is not None else settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if url.startswith("filesystem"):
        folders = [Path(options[key]) for key in ("data_folder_in", "data_folder_out") if key in options]
        missing = [str(f) for f in folders if not (f.is_dir() and os.access(f, os.W_OK))]
        if missing:
            return Check("broker", False, f"embedded broker folder not writable: {', '.join(missing)}")
        return Check("broker", True, "embedded broker folders writable")
    from kombu import Connection

    scheme = url.split(":", 1)[0]
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:
        return Check("broker", False, f"{scheme} broker unreachable: {type(exc).__name__}: {exc}")
    return Check("broker", True, f"{scheme} broker reachable")


def beat_tick_record(*, now: datetime | None = None) -> None:
    from integrations.core.models import Heartbeat

    Heartbeat.objects.update_or_create(name=BEAT, defaults={"beat_at": now or timezone.now()})


def beat_age_seconds(*, now: datetime | None = None) -> float | None:
    from integrations.core.models import Heartbeat

    beat_at = Heartbeat.objects.filter(name=BEAT).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return max(0.0, ((now or timezone.now()) - beat_at).total_seconds())


def beat_check(*, now: datetime | None = None, max_age: float | None = None) -> Check:
    max_age = settings.HEALTHZ_BEAT_MAX_AGE if max_age is None else max_age
    try:
        age = beat_age_seconds(now=now)
    except Exception as exc:
        return Check("beat", False, f"cannot read the last tick: {type(exc).__name__}")
    if age is None:
        return Check("beat", False, "no beat tick recorded yet", data={"age_seconds": None})
    data = {"age_seconds": round(age, 1), "max_age_seconds": max_age}
    if age > max_age:
        return Check("beat", False, f"last beat tick {age:.0f} s ago (more than {max_age} s)", data=data)
    return Check("beat", True, f"last beat tick {age:.0f} s ago", data=data)


def health_report(*, strict: bool = False) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body of /healthz."""
    checks = [database_check(), broker_check(), beat_check()]
    failing = [c for c in checks if not c.ok]
    if not failing:
        status, http = "ok", 200
    elif any(c.critical for c in failing) or strict:
        status, http = "fail", 503
    else:
        status, http = "degraded", 200
    body = {
        "status": status,
        "checks": {c.name: {k: v for k, v in asdict(c).items() if k != "name"} for c in checks},
    }
    return http, body


# --- /metrics ---------------------------------------------------------------------------------
_collectors: dict[str, Collector] = {}


def metrics_collector_register(name: str, collector: Collector) -> None:
    """Adds a collector to /metrics (idempotent per name)."""
    _collectors[name] = collector


class _BeatCollector(Collector):
    def collect(self):
        gauge = GaugeMetricFamily(
            "lightsync_beat_tick_age_seconds", "Seconds since the last Celery beat tick."
        )
        age = beat_age_seconds()
        if age is not None:
            gauge.add_metric([], round(age, 1))
        yield gauge


def metrics_text() -> bytes:
    # A registry per scrape: collectors read the database, nothing is held in this process.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_BeatCollector())
    for collector in _collectors.values():
        registry.register(collector)
    return generate_latest(registry)
